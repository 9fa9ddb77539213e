package io.meshdns.testkit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Consumer;

/**
 * A watch that starts at a resourceVersion, as an API server serves it: only changes after that version. The
 * CRUD store's watch opens by sending every stored object as ADDED, whatever version the client asked to
 * start from; an informer asks for the version of the list it has just read, so each object reached it twice
 * (and a large mesh's sync measured the replay). This listener hands the store's watch a socket that drops
 * those ADDED events of objects at or below the version; every later event (a create, update or delete after
 * it, including those that raced the opening) passes.
 *
 * <p>The store's replay is also cut at its source ({@link #replayOnlyAfter}): it wrote every stored object as an
 * event, only for this listener to parse and drop it again, and at 200,000 endpoints that was about a quarter of
 * the mock API servers' CPU in a first sync, on the cores the client under test uses.
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

    /**
     * Makes the CRUD store's watch {@code storeWatch} (fabric8's {@code WatchEventsListener}, just made by {@code
     * store.handleWatch}) replay, when it opens, only the objects of {@code map} changed after version {@code from},
     * instead of every object it matches. fabric8 7.9 offers no hook for this, so the listener's open action (its
     * replay, run under the store's read lock as fabric8 runs it) is replaced by reflection; the listener was
     * registered for later events by {@code handleWatch} already.
     */
    static void replayOnlyAfter(
            WebSocketListener storeWatch, KubernetesCrudDispatcher store, Map<AttributeSet, String> map, long from) {
        try {
            Class<?> type = storeWatch.getClass();
            Method matches = type.getMethod("attributeMatches", AttributeSet.class);
            Method send = type.getMethod("sendWebSocketResponse", String.class, Watcher.Action.class);
            matches.setAccessible(true);
            send.setAccessible(true);
            Field lockField = KubernetesCrudDispatcher.class.getDeclaredField("lock");
            lockField.setAccessible(true);
            Lock lock = ((ReadWriteLock) lockField.get(store)).readLock();
            Consumer<Object> replay = listener -> {
                lock.lock();
                try {
                    for (Map.Entry<AttributeSet, String> e : map.entrySet()) {
                        if ((boolean) matches.invoke(listener, e.getKey()) && storedVersion(e.getValue()) > from) {
                            send.invoke(listener, e.getValue(), Watcher.Action.ADDED);
                        }
                    }
                } catch (ReflectiveOperationException ex) {
                    throw new IllegalStateException("replaying a watch", ex);
                } finally {
                    lock.unlock();
                }
            };
            Field onOpen = type.getDeclaredField("onOpenAction");
            onOpen.setAccessible(true);
            onOpen.set(storeWatch, replay);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "fabric8's mock CRUD watch changed shape (testkit is written for kubernetes-server-mock 7.9)", e);
        }
    }

    /** {@code metadata.resourceVersion} of a stored object's JSON, or {@link Long#MAX_VALUE} when unreadable. */
    private static long storedVersion(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Long.MAX_VALUE;
            }
            long version = objectVersion(p);
            return version < 0 ? Long.MAX_VALUE : version;
        } catch (IOException | NumberFormatException e) {
            return Long.MAX_VALUE; // replayed, as fabric8 would
        }
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
