package io.meshdns.discovery;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.io.IOException;
import java.util.function.UnaryOperator;

/**
 * Decodes Services and EndpointSlices straight into their cached copies ({@link CachedFields}), each as soon as
 * it is read. fabric8 decodes a whole list before its informer stores the first item, so without this every
 * full object of every list in flight stays alive until the last one is decoded: at 200,000 endpoints across 20
 * clusters listing at once, ~200 MiB that the collector copied and promoted only to drop them a moment
 * later. Decoded this way, a full object dies as soon as its copy is made, young and cheap.
 */
final class CachedFieldsModule extends SimpleModule {
    CachedFieldsModule() {
        super("meshdns-cached-fields");
        setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyDeserializer(
                    DeserializationConfig config, BeanDescription bean, JsonDeserializer<?> deserializer) {
                Class<?> type = bean.getBeanClass();
                if (type == EndpointSlice.class) {
                    return new Trimming<>(deserializer, CachedFields::endpointSlice);
                }
                if (type == Service.class) {
                    return new Trimming<>(deserializer, CachedFields::service);
                }
                return deserializer;
            }
        });
    }

    /** fabric8's own deserializer of the type, its result replaced by the cached copy. */
    private static final class Trimming<T> extends DelegatingDeserializer {
        private final UnaryOperator<T> trim;

        Trimming(JsonDeserializer<?> full, UnaryOperator<T> trim) {
            super(full);
            this.trim = trim;
        }

        @Override
        protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> full) {
            return new Trimming<>(full, trim);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Object deserialize(JsonParser p, DeserializationContext context) throws IOException {
            Object full = _delegatee.deserialize(p, context);
            return full == null ? null : trim.apply((T) full);
        }
    }
}
