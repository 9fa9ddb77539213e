package io.meshdns.testkit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.AttributeSet;
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
 * (and a large mesh's sync measured the replay). Here the store replays, when the watch opens, only the objects
 * changed after the version (so changes that raced the opening still arrive), and every later create, update or
 * delete passes as the store sends it.
 *
 * <p>The replay is cut at its source, not filtered on the way out: writing every stored object as an event only
 * to drop it again was about a quarter of the mock API servers' CPU in a first sync at 200,000 endpoints, on the
 * cores the client under test uses.
 */
final class ResumedWatch {
    private static final JsonFactory JSON = Serialization.jsonMapper().getFactory();

    private ResumedWatch() {}

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
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("metadata") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String meta = p.currentName();
                        p.nextToken();
                        if (meta.equals("resourceVersion")) {
                            return Long.parseLong(p.getText());
                        }
                        p.skipChildren();
                    }
                    return Long.MAX_VALUE;
                }
                p.skipChildren();
            }
            return Long.MAX_VALUE;
        } catch (IOException | NumberFormatException e) {
            return Long.MAX_VALUE; // replayed, as fabric8 would
        }
    }
}
