package io.meshdns.forwarder;

import io.meshdns.discovery.ClusterId;
import java.util.List;

/** A stanza as a test writes it: meshdns's defaults for one cluster, then what the test changes. */
record DraftStanza(
        String cluster,
        List<String> forwardTo,
        List<String> reverseZones,
        AnswerCaching caching,
        ForwardOptions forward) {

    /** Zone {@code clusterset.local}, cache 5 s and shuffled answers, option 0xff14, sequential forwarding. */
    static DraftStanza of(String cluster, List<String> forwardTo) {
        return new DraftStanza(cluster, forwardTo, List.of(), null, null);
    }

    DraftStanza withReverseZones(List<String> cidrs) {
        return new DraftStanza(cluster, forwardTo, cidrs, caching, forward);
    }

    DraftStanza withCaching(AnswerCaching answers) {
        return new DraftStanza(cluster, forwardTo, reverseZones, answers, forward);
    }

    DraftStanza withForward(ForwardOptions options) {
        return new DraftStanza(cluster, forwardTo, reverseZones, caching, options);
    }

    MeshdnsStanza stanza() {
        return new MeshdnsStanza(
                ClusterId.of(cluster), "clusterset.local", reverseZones, forwardTo, caching, 65300, forward, List.of());
    }
}
