-- V10: the gateway's health checks write mcp_servers.health_status and last_health_check every few
-- seconds; they no longer bump updated_at, which again says when the server's definition changed.
DROP TRIGGER trg_mcp_servers_set_updated_at ON mcp_servers;
CREATE TRIGGER trg_mcp_servers_set_updated_at BEFORE UPDATE ON mcp_servers
  FOR EACH ROW
  WHEN ((OLD.name, OLD.description, OLD.endpoint, OLD.enabled, OLD.config, OLD.health_check_url)
        IS DISTINCT FROM (NEW.name, NEW.description, NEW.endpoint, NEW.enabled, NEW.config, NEW.health_check_url))
  EXECUTE FUNCTION set_updated_at();
