package io.ossfuse.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of the README, checked on the main classes of every module so it stays true without
 * anyone remembering it: cli -> recovery -> fuse-core -> cache-tier, and local-oss a test endpoint.
 * It lives in cli because only cli sees every module's classes.
 */
class LayeringTest {
  static final String[] FUSE_CORE = {
    "io.ossfuse.fs..", "io.ossfuse.fuse..", "io.ossfuse.mount..",
    "io.ossfuse.oss..", "io.ossfuse.store..", "io.ossfuse.stats.."
  };

  static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ossfuse");
  }

  @Test
  void cacheTierDependsOnNoOtherModule() {
    noClasses()
        .that()
        .resideInAPackage("io.ossfuse.cache..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.ossfuse.fs..",
            "io.ossfuse.fuse..",
            "io.ossfuse.mount..",
            "io.ossfuse.oss..",
            "io.ossfuse.store..",
            "io.ossfuse.stats..",
            "io.ossfuse.recovery..",
            "io.ossfuse.cli..",
            "io.ossfuse.localoss..")
        .check(main);
  }

  @Test
  void fuseCoreKnowsNothingOfRecoveryOrCli() {
    noClasses()
        .that()
        .resideInAnyPackage(FUSE_CORE)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.ossfuse.recovery..", "io.ossfuse.cli..")
        .check(main);
  }

  @Test
  void recoveryKnowsNothingOfCli() {
    noClasses()
        .that()
        .resideInAPackage("io.ossfuse.recovery..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ossfuse.cli..")
        .check(main);
  }

  /** The file system is transport-neutral: JNR and the raw /dev/fuse transport both serve it. */
  @Test
  void fileSystemKnowsNoFuseTransport() {
    noClasses()
        .that()
        .resideInAPackage("io.ossfuse.fs..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ossfuse.fuse..")
        .check(main);
  }

  /**
   * local-oss is a test endpoint, never on the data path. The one exception is the CLI's own {@code
   * local-oss}, {@code demo} and {@code class-archive} (its training mount) commands, which exist
   * to start it.
   */
  @Test
  void localOssIsUsedOnlyByTestsAndItsOwnCommands() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.ossfuse.localoss..")
        .and()
        .doNotHaveFullyQualifiedName(LocalOssCommand.class.getName())
        .and()
        .doNotHaveFullyQualifiedName(DemoCommand.class.getName())
        .and()
        .doNotHaveFullyQualifiedName(ClassArchiveCommand.class.getName())
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.ossfuse.localoss..")
        .check(main);
  }

  @Test
  void fuseCorePackagesHaveNoCycles() {
    slices()
        .matching("io.ossfuse.(**)")
        .should()
        .beFreeOfCycles()
        .check(main.that(JavaClass.Predicates.resideInAnyPackage(FUSE_CORE)));
  }
}
