package io.meshdns.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KubernetesNamesTest {
    @Test
    void aResourceCrdIsNamedPluralDotGroup() {
        assertThat(KubernetesNames.SERVICE_EXPORT.crdName()).isEqualTo("serviceexports.multicluster.x-k8s.io");
        assertThat(KubernetesNames.SERVICE_IMPORT.crdName()).isEqualTo("serviceimports.multicluster.x-k8s.io");
        assertThat(KubernetesNames.CLUSTER_PROPERTY.crdName()).isEqualTo("clusterproperties.about.k8s.io");
    }

    @Test
    void aResourceObjectsApiVersionIsGroupSlashVersion() {
        assertThat(KubernetesNames.SERVICE_EXPORT.apiVersion()).isEqualTo("multicluster.x-k8s.io/v1alpha1");
        assertThat(KubernetesNames.CLUSTER_PROPERTY.apiVersion()).isEqualTo("about.k8s.io/v1alpha1");
    }
}
