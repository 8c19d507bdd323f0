package dev.orca.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link Schema#VERSION} is the highest migration on the classpath, and versions have no gaps. */
class SchemaVersionTest {

  @Test
  void versionIsTheHighestMigrationNumber() {
    List<Migrations.Migration> migrations = Migrations.onClasspath();
    assertThat(migrations).isNotEmpty();
    int highest = migrations.get(migrations.size() - 1).version();
    assertThat(Schema.VERSION).isEqualTo(highest);
  }

  @Test
  void versionsRunFromOneWithoutGapsOrDuplicates() {
    List<Integer> versions = Migrations.onClasspath().stream().map(Migrations.Migration::version).toList();
    assertThat(versions).containsExactlyElementsOf(IntStream.rangeClosed(1, Schema.VERSION).boxed().toList());
  }

  @Test
  void locationIsTheClasspathDirectoryTheFilesAreIn() {
    assertThat(Schema.LOCATION).isEqualTo("classpath:" + Migrations.DIRECTORY);
    assertThat(Migrations.onClasspath()).allSatisfy(m -> {
      assertThat(m.fileName()).matches(Migrations.FILE_NAME);
      assertThat(m.sql()).as(m.fileName()).isNotBlank();
    });
  }
}
