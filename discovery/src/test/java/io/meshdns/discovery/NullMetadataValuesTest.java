package io.meshdns.discovery;

import static io.meshdns.discovery.TestMesh.await;
import static io.meshdns.discovery.TestMesh.part;
import static io.meshdns.discovery.TestMesh.readySlice;
import static io.meshdns.discovery.TestMesh.spec;
import static io.meshdns.testkit.MeshObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.meshdns.core.KubernetesNames;
import org.junit.jupiter.api.Test;

/**
 * Annotation values the API can hold as JSON null: fabric8's mock API server stores the null of the merge
 * patch {@code kubectl annotate svc web key-} sends, where a real API server removes the key. Null and absent
 * both mean "not set"; the rest of the object is still read.
 */
class NullMetadataValuesTest extends WatchedClusters {
    NullMetadataValuesTest() {
        super(1);
    }

    /** What {@code kubectl annotate} sends to remove a key: a JSON merge patch setting it to null. */
    private void annotateToNull(String key) {
        east.client()
                .services()
                .inNamespace("shop")
                .withName("web")
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"" + key + "\":null}}}");
    }

    @Test
    void anAnnotationSetToNullIsNotSetAndTheServiceIsStillRead() {
        east.create(new ServiceBuilder(service("shop", "web", "10.96.0.10", true))
                .editMetadata()
                .addToAnnotations(KubernetesNames.MAX_ANSWERS_ANNOTATION, "2")
                .endMetadata()
                .build());
        east.create(readySlice("shop", "web", "web-1", "10.10.1.1"));
        mesh = TestMesh.start(TestMesh.fast(), spec(east));
        await(
                mesh,
                "web with its cap annotation",
                s -> part(s, east, "shop", "web") != null
                        && "2"
                                .equals(part(s, east, "shop", "web")
                                        .annotations()
                                        .get(KubernetesNames.MAX_ANSWERS_ANNOTATION)));

        annotateToNull(KubernetesNames.MAX_ANSWERS_ANNOTATION);
        assertThat(east.client()
                        .services()
                        .inNamespace("shop")
                        .withName("web")
                        .get()
                        .getMetadata()
                        .getAnnotations())
                .as("the mock API keeps the null")
                .containsEntry(KubernetesNames.MAX_ANSWERS_ANNOTATION, null);

        MeshSnapshot after = await(
                mesh,
                "web without its cap annotation",
                s -> part(s, east, "shop", "web") != null
                        && !part(s, east, "shop", "web")
                                .annotations()
                                .containsKey(KubernetesNames.MAX_ANSWERS_ANNOTATION));
        assertThat(part(after, east, "shop", "web").annotations())
                .containsEntry(KubernetesNames.EXPORT_ANNOTATION, "true");
    }
}
