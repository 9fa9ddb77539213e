package io.meshdns.forwarder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code stubDomains} JSON of a kube-dns ConfigMap, merged so that zones other than meshdns' stay as they are. */
final class StubDomains {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StubDomains() {}

    /** {@code current} with the stanza's zones set (or, when {@code remove}, taken out); {@code null} when nothing is left. */
    static String merge(String source, String current, MeshdnsStanza stanza, boolean remove) {
        Map<String, Object> domains = new LinkedHashMap<>();
        if (current != null && !current.isBlank()) {
            try {
                domains.putAll(JSON.readValue(current, new TypeReference<LinkedHashMap<String, Object>>() {}));
            } catch (JsonProcessingException e) {
                throw new CorefileException(source + ": stubDomains is not a JSON object of zone to server list: "
                        + e.getOriginalMessage());
            }
        }
        Map<String, List<String>> ours = stanza.stubDomains();
        if (remove) {
            ours.keySet().forEach(domains::remove);
        } else {
            domains.putAll(ours);
        }
        if (domains.isEmpty()) {
            return null;
        }
        String merged = write(domains);
        // unchanged content keeps its original formatting
        if (current != null && !current.isBlank() && sameJson(current, merged)) {
            return current;
        }
        return merged;
    }

    private static boolean sameJson(String a, String b) {
        try {
            return JSON.readTree(a).equals(JSON.readTree(b));
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
