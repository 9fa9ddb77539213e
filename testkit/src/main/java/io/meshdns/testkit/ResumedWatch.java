package io.meshdns.testkit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;

/**
 * A watch that starts at a resourceVersion, as an API server serves it: only changes after that version. The
 * CRUD store's watch opens by sending every stored object as ADDED, whatever version the client asked to
 * start from; an informer asks for the version of the list it has just read, so each object reached it twice
 * (and a large mesh's sync measured the replay). This listener hands the store's watch a socket that drops
 * those ADDED events of objects at or below the version; every later event (a create, update or delete after
 * it, including those that raced the opening) passes.
 */
final class ResumedWatch extends WebSocketListener {
    private static final JsonFactory JSON = Serialization.jsonMapper().getFactory();

    private final WebSocketListener store;
    private final long from;
    private WebSocket socket;

    ResumedWatch(WebSocketListener store, long from) {
        this.store = store;
        this.from = from;
    }

    /** The {@code resourceVersion} a watch request starts from, or -1 when it names none (or "0": any). */
    static long from(String path) {
        int query = path.indexOf('?');
        if (query < 0) {
            return -1;
        }
        for (String pair : path.substring(query + 1).split("&")) {
            if (pair.startsWith("resourceVersion=")) {
                try {
                    return Long.parseLong(pair.substring("resourceVersion=".length()));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private synchronized WebSocket socket(WebSocket ws) {
        if (socket == null) {
            socket = new Resumed(ws);
        }
        return socket;
    }

    @Override
    public void onBeforeAccept(WebSocket ws, Response response) {
        store.onBeforeAccept(socket(ws), response);
    }

    @Override
    public void onOpen(WebSocket ws, Response response) {
        store.onOpen(socket(ws), response);
    }

    @Override
    public void onMessage(WebSocket ws, String text) {
        store.onMessage(socket(ws), text);
    }

    @Override
    public void onMessage(WebSocket ws, ByteString bytes) {
        store.onMessage(socket(ws), bytes);
    }

    @Override
    public void onMessage(WebSocket ws, byte[] bytes) {
        store.onMessage(socket(ws), bytes);
    }

    @Override
    public void onClosing(WebSocket ws, int code, String reason) {
        store.onClosing(socket(ws), code, reason);
    }

    @Override
    public void onClosed(WebSocket ws, int code, String reason) {
        store.onClosed(socket(ws), code, reason);
    }

    @Override
    public void onFailure(WebSocket ws, Throwable error, Response response) {
        store.onFailure(socket(ws), error, response);
    }

    /** The client's socket, minus the replayed events. */
    private final class Resumed implements WebSocket {
        private final WebSocket client;

        Resumed(WebSocket client) {
            this.client = client;
        }

        @Override
        public RecordedRequest request() {
            return client.request();
        }

        @Override
        public boolean send(String text) {
            return replayed(text) || client.send(text);
        }

        @Override
        public boolean send(byte[] bytes) {
            return client.send(bytes);
        }

        @Override
        public boolean close(int code, String reason) {
            return client.close(code, reason);
        }
    }

    /** Whether {@code event} is an ADDED event of an object whose resourceVersion is at most {@link #from}. */
    private boolean replayed(String event) {
        try (JsonParser p = JSON.createParser(event)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            String type = null;
            long version = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("type")) {
                    type = p.getText();
                } else if (field.equals("object") && value == JsonToken.START_OBJECT) {
                    version = objectVersion(p);
                } else {
                    p.skipChildren();
                }
            }
            return "ADDED".equals(type) && version >= 0 && version <= from;
        } catch (IOException | NumberFormatException e) {
            return false; // not an event this filter understands: sent as it is
        }
    }

    /** {@code metadata.resourceVersion} of the object the parser is at the start of, or -1; reads past its end. */
    private static long objectVersion(JsonParser p) throws IOException {
        long version = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("metadata") && value == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String meta = p.currentName();
                    p.nextToken();
                    if (meta.equals("resourceVersion")) {
                        version = Long.parseLong(p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        return version;
    }
}
