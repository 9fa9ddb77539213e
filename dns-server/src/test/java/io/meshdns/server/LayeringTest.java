package io.meshdns.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The arrows between meshdns's modules and between dns-server's packages point down, read from the compiled
 * classes (tests left out): a package that imports another is never imported by it, so each can be read,
 * tested and changed from the bottom up (docs/architecture.md draws the same picture).
 */
class LayeringTest {
    static final JavaClasses MESHDNS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.meshdns");

    @Test
    void dnsServersPackagesFormNoCycle() {
        slices().matching("io.meshdns.server.(*)..").should().beFreeOfCycles().check(MESHDNS);
    }

    @Test
    void onlyTheAssemblyAboveEveryPackageUsesIt() {
        noClasses()
                .that()
                .resideInAPackage("io.meshdns.server.*..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.meshdns.server")
                .check(MESHDNS);
    }

    @Test
    void modulesDependDownwardsOnly() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("dns-server")
                .definedBy("io.meshdns.server..")
                .layer("forwarder-config")
                .definedBy("io.meshdns.forwarder..")
                .layer("loadbalancer")
                .definedBy("io.meshdns.loadbalancer..")
                .layer("discovery")
                .definedBy("io.meshdns.discovery..")
                .layer("core")
                .definedBy("io.meshdns.core..")
                .whereLayer("dns-server")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("forwarder-config")
                .mayOnlyBeAccessedByLayers("dns-server")
                .whereLayer("loadbalancer")
                .mayOnlyBeAccessedByLayers("forwarder-config", "dns-server")
                .whereLayer("discovery")
                .mayOnlyBeAccessedByLayers("loadbalancer", "forwarder-config", "dns-server")
                .whereLayer("core")
                .mayOnlyBeAccessedByLayers("discovery", "loadbalancer", "forwarder-config", "dns-server")
                .check(MESHDNS);
    }
}
