package io.meshdns.discovery;

import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * How a failed request to a member cluster is told in its health reason, the sentence the status page and the
 * log show: what was being done, then why ({@code list/watch services: HTTP 403 ...}, {@code ServiceExport CRD
 * lookup: ConnectException: Connection refused}). Pure functions of the exception, callable from any thread.
 */
final class WatchErrors {
    private WatchErrors() {}

    /** The part of a reason after what was being done: the same cause told by two informers is one piece of news. */
    static String cause(String reason) {
        int colon = reason.indexOf(": ");
        return colon < 0 ? reason : reason.substring(colon + 2);
    }

    /** The API server's answer inside {@code t} (fabric8 wraps it in completion exceptions), or {@code null}. */
    static KubernetesClientException apiError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof KubernetesClientException k && k.getCode() > 0) {
                return k;
            }
        }
        return null;
    }

    /** {@code what} failed because of {@code t}, in one line: the HTTP status, else the root cause. */
    static String describe(String what, Throwable t) {
        KubernetesClientException api = apiError(t);
        if (api != null && api.getCode() == 401) {
            return what + ": the API server refused the credentials (HTTP 401 Unauthorized)";
        }
        if (api != null && api.getCode() == 403) {
            return what + ": not allowed for these credentials (HTTP 403 Forbidden); check the RBAC rules";
        }
        if (api != null) {
            String message = api.getStatus() != null && api.getStatus().getMessage() != null
                    ? api.getStatus().getMessage()
                    : firstLine(String.valueOf(api.getMessage()));
            return what + ": HTTP " + api.getCode() + " " + message;
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return what + ": " + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage()));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
