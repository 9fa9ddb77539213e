package io.meshdns.server.answer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.meshdns.discovery.ClusterId;
import java.util.Arrays;
import java.util.Objects;

/**
 * The compiled answers, by what an answer depends on besides the snapshot: the question, the size class
 * and who asks. Bounded by bytes held (Caffeine, size-weighted), never expired on a timer: an answer is
 * replaced when its query finds it no longer {@linkplain CompiledAnswer#reusable reusable}, which is
 * exactly when the snapshot changed the service it was compiled from.
 */
final class AnswerStore {
    private final Cache<AnswerKey, CompiledAnswer> answers;

    /** @param maxBytes the most bytes of compiled answers held; 0 keeps none (every query compiles) */
    AnswerStore(long maxBytes) {
        // Maintenance (draining read buffers, eviction) runs on the calling event loop in small amortized
        // steps rather than waking a common-pool thread: one fewer thread hop competing for the cores.
        this.answers = maxBytes <= 0
                ? null
                : Caffeine.newBuilder()
                        .maximumWeight(maxBytes)
                        .weigher((AnswerKey k, CompiledAnswer a) -> a.weight() + k.weight())
                        .executor(Runnable::run)
                        .build();
    }

    boolean enabled() {
        return answers != null;
    }

    /** The answer stored for {@code probe}, or {@code null}; the probe may be a thread's reused key. */
    CompiledAnswer get(AnswerKey probe) {
        return answers == null ? null : answers.getIfPresent(probe);
    }

    void put(AnswerKey key, CompiledAnswer answer) {
        if (answers != null && answer.storable()) {
            answers.put(key, answer);
        }
    }

    /**
     * What an answer depends on besides the snapshot: the question, the size limit, who asks. Keys in the
     * store are immutable copies; each thread looks up with its own reused, mutable probe ({@link #set}).
     */
    static final class AnswerKey {
        private byte[] question;
        private int questionLength;
        private int sizeLimit;
        private boolean edns;
        private ClusterId cluster;
        private String topologyZone;
        private int hash;

        AnswerKey set(
                byte[] question,
                int questionLength,
                int sizeLimit,
                boolean edns,
                ClusterId cluster,
                String topologyZone) {
            this.question = question;
            this.questionLength = questionLength;
            this.sizeLimit = sizeLimit;
            this.edns = edns;
            this.cluster = cluster;
            this.topologyZone = topologyZone;
            int h = 1;
            for (int i = 0; i < questionLength; i++) {
                h = 31 * h + question[i];
            }
            this.hash = (h * 31 + sizeLimit) * 31 + Objects.hashCode(cluster);
            return this;
        }

        /** An immutable key with this probe's values, for storing. */
        AnswerKey copy() {
            return new AnswerKey()
                    .set(
                            Arrays.copyOf(question, questionLength),
                            questionLength,
                            sizeLimit,
                            edns,
                            cluster,
                            topologyZone);
        }

        int weight() {
            return 64 + questionLength;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AnswerKey k
                    && k.hash == hash
                    && k.sizeLimit == sizeLimit
                    && k.edns == edns
                    && Arrays.equals(k.question, 0, k.questionLength, question, 0, questionLength)
                    && Objects.equals(k.cluster, cluster)
                    && Objects.equals(k.topologyZone, topologyZone);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
