package io.meshdns.server.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.meshdns.core.Cidr;
import io.meshdns.core.IpLiteral;
import io.meshdns.core.UpstreamAddress;
import io.meshdns.discovery.Reachability;
import io.meshdns.loadbalancer.Policy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The config's typed values (durations, sizes, networks, addresses), read from their YAML text once, as
 * {@link ConfigLoader} binds the file: each failure is an {@link InvalidValue} naming its key, which the
 * loader turns into file, line and key.
 */
final class ConfigValues {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})(Ki|Mi|Gi)?");

    private ConfigValues() {}

    /** The deserializers of the value types; fields whose checks go further name theirs with {@code @JsonDeserialize}. */
    static SimpleModule module() {
        return new SimpleModule("meshdns-config-values")
                .addDeserializer(Duration.class, new DurationValue())
                .addDeserializer(Cidr.class, new CidrValue())
                // Never Jackson's own: it would look a name up in DNS.
                .addDeserializer(InetAddress.class, new AddressValue())
                .addDeserializer(Reachability.class, new ReachabilityValue())
                .addDeserializer(Policy.class, new PolicyValue());
    }

    /** One kind of a cluster's reachability, by the name the config, the status page and reasons use. */
    static Reachability reachability(String key, String value) {
        for (Reachability kind : Reachability.values()) {
            if (kind.configName().equals(value)) {
                return kind;
            }
        }
        throw unknownReachability(key, value);
    }

    /** A load-balancing policy, by its name ({@link Policy#parse} says which names there are). */
    static Policy policy(String key, String value) {
        try {
            return Policy.parse(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidValue(key, e.getMessage());
        }
    }

    static InvalidValue unknownReachability(String key, String value) {
        return new InvalidValue(
                key, "must be pod, clusterIP, loadBalancer or an ordered list of them; was '" + value + "'");
    }

    /** Go-style durations as Kubernetes users write them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
    static Duration duration(String key, String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new InvalidValue(key, "is not a duration like 30s, 5m or 1h: '" + value + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /** A duration that must be more than zero: zero would otherwise read as "never". */
    static Duration positiveDuration(String key, String value) {
        Duration d = duration(key, value);
        if (d.isZero()) {
            throw new InvalidValue(key, "must be more than 0 (0 would mean never), was '" + value + "'");
        }
        return d;
    }

    /** The burst window of response rate limiting: 1s to 60s. */
    static Duration rateLimitWindow(String key, String value) {
        Duration w = duration(key, value);
        if (w.compareTo(Duration.ofSeconds(1)) < 0 || w.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new InvalidValue(key, "must be between 1s and 60s, was " + value);
        }
        return w;
    }

    /** A size in bytes: a whole number, optionally with Ki, Mi or Gi (as Kubernetes quantities). */
    static long size(String key, String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            String hint = key.equals("cache") && DURATION.matcher(value.trim()).matches()
                    ? "; it is the size of the compiled-answer store now: answers are no longer expired on a timer, and"
                            + " every query gets its own load-balanced order"
                    : "";
            throw new InvalidValue(key, "is not a size like 64Mi, 512Ki or 1Gi: '" + value + "'" + hint);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        return switch (unit) {
            case "Ki" -> n << 10;
            case "Mi" -> n << 20;
            case "Gi" -> n << 30;
            default -> n;
        };
    }

    /** A CIDR like {@code 10.10.0.0/16} or {@code fd00::/8}; a bare address means a single host. */
    static Cidr cidr(String key, String value) {
        return network(key, value, Cidr::parse);
    }

    /**
     * A network also written into CoreDNS's config ({@code reverseZones}): as {@link #cidr}, but an IPv4 network
     * written as IPv6 ({@code ::ffff:10.0.0.0/8}) is refused, as {@code coredns-config} refuses it.
     */
    static Cidr cidrAsWritten(String key, String value) {
        return network(key, value, Cidr::parseAsWritten);
    }

    private static Cidr network(String key, String value, Function<String, Cidr> parse) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidValue(key, e.getMessage());
        }
    }

    /** A literal address (never a DNS lookup: the config must not depend on DNS). */
    static InetAddress address(String key, String value) {
        InetAddress address = value == null ? null : IpLiteral.parse(value.trim());
        if (address == null) {
            cidr(key, value); // says what is wrong when it is not even a network
            throw new InvalidValue(key, "'" + value + "' is not an IP address");
        }
        return address;
    }

    /** A listen address: an IP literal such as 0.0.0.0, 127.0.0.1 or :: (a name would need DNS to start DNS). */
    static InetAddress bindAddress(String key, String value) {
        try {
            return address(key, value);
        } catch (InvalidValue e) {
            throw new InvalidValue(key, "must be an IP address such as 0.0.0.0, 127.0.0.1 or ::, was '" + value + "'");
        }
    }

    /**
     * A notify target: a literal address, with a port after a colon (IPv6 in brackets: {@code [::1]:53}), port 53
     * when none is given ({@code [::1]} alone too). Surrounding white space is ignored, as for every address.
     */
    static InetSocketAddress notifyTarget(String key, String target) {
        UpstreamAddress upstream;
        try {
            upstream = UpstreamAddress.parse(target == null ? null : target.trim());
        } catch (UpstreamAddress.InvalidPort e) {
            throw new InvalidValue(key, "port must be between 1 and 65535 in '" + target + "'");
        } catch (IllegalArgumentException e) {
            throw new InvalidValue(
                    key,
                    "'" + target + "' is not ADDR or ADDR:PORT with a literal IP address"
                            + " (IPv6 in brackets: [fd00::53]:53)");
        }
        return new InetSocketAddress(upstream.address(), upstream.port() == 0 ? 53 : upstream.port());
    }

    /**
     * Reads one YAML scalar with {@code parse(key, text)}; the key is the field's name, or its list's for an
     * item of a list. Anything but a scalar is refused as a field of type String would be.
     */
    abstract static class Scalar<T> extends StdDeserializer<T> {
        private static final long serialVersionUID = 1L;
        private final transient BiFunction<String, String, T> parse;

        Scalar(Class<T> type, BiFunction<String, String, T> parse) {
            super(type);
            this.parse = parse;
        }

        @Override
        @SuppressWarnings("unchecked")
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.currentToken().isScalarValue()) {
                return (T) ctxt.handleUnexpectedToken(String.class, p);
            }
            JsonStreamContext where = p.getParsingContext();
            if (where.inArray()) {
                where = where.getParent();
            }
            try {
                return parse.apply(where.getCurrentName(), p.getText());
            } catch (InvalidValue e) {
                // With the value's own location: the line when the key's cannot be found (a key given twice).
                throw JsonMappingException.from(p, e.getMessage(), e);
            }
        }
    }

    /**
     * A file path as written, made absolute against the config file's folder (the reader's {@link #CONFIG_DIR}
     * attribute) when relative, so an example's secret file can sit next to it.
     */
    static final class FileNextToConfig extends StdDeserializer<String> {
        private static final long serialVersionUID = 1L;
        static final String CONFIG_DIR = "meshdns.configDir";

        FileNextToConfig() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.currentToken().isScalarValue()) {
                return (String) ctxt.handleUnexpectedToken(String.class, p);
            }
            String written = p.getText();
            try {
                if (ctxt.getAttribute(CONFIG_DIR) instanceof java.nio.file.Path dir
                        && !written.isEmpty()
                        && !java.nio.file.Path.of(written).isAbsolute()) {
                    return dir.resolve(written).normalize().toString();
                }
            } catch (java.nio.file.InvalidPathException e) {
                // not a path at all (a NUL byte): the key's own check reports it as written
            }
            return written;
        }
    }

    static final class DurationValue extends Scalar<Duration> {
        private static final long serialVersionUID = 1L;

        DurationValue() {
            super(Duration.class, ConfigValues::duration);
        }
    }

    static final class PositiveDuration extends Scalar<Duration> {
        private static final long serialVersionUID = 1L;

        PositiveDuration() {
            super(Duration.class, ConfigValues::positiveDuration);
        }
    }

    static final class RateLimitWindow extends Scalar<Duration> {
        private static final long serialVersionUID = 1L;

        RateLimitWindow() {
            super(Duration.class, ConfigValues::rateLimitWindow);
        }
    }

    static final class Size extends Scalar<Long> {
        private static final long serialVersionUID = 1L;

        Size() {
            super(Long.class, ConfigValues::size);
        }
    }

    static final class CidrValue extends Scalar<Cidr> {
        private static final long serialVersionUID = 1L;

        CidrValue() {
            super(Cidr.class, ConfigValues::cidr);
        }
    }

    static final class CidrAsWritten extends Scalar<Cidr> {
        private static final long serialVersionUID = 1L;

        CidrAsWritten() {
            super(Cidr.class, ConfigValues::cidrAsWritten);
        }
    }

    static final class AddressValue extends Scalar<InetAddress> {
        private static final long serialVersionUID = 1L;

        AddressValue() {
            super(InetAddress.class, ConfigValues::address);
        }
    }

    static final class BindAddress extends Scalar<InetAddress> {
        private static final long serialVersionUID = 1L;

        BindAddress() {
            super(InetAddress.class, ConfigValues::bindAddress);
        }
    }

    static final class ReachabilityValue extends Scalar<Reachability> {
        private static final long serialVersionUID = 1L;

        ReachabilityValue() {
            super(Reachability.class, ConfigValues::reachability);
        }
    }

    static final class PolicyValue extends Scalar<Policy> {
        private static final long serialVersionUID = 1L;

        PolicyValue() {
            super(Policy.class, ConfigValues::policy);
        }
    }

    static final class NotifyTarget extends Scalar<InetSocketAddress> {
        private static final long serialVersionUID = 1L;

        NotifyTarget() {
            super(InetSocketAddress.class, ConfigValues::notifyTarget);
        }
    }
}
