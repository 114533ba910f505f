package dev.clearway.actors.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's counters: connections, refusals by reason, protocol violations, messages. Cheap to
 * bump from any thread; the metrics endpoint exports them with IoT Edge's names once it lands.
 */
public final class GatewayCounters {
  /** Counter names (label values in brackets are part of the name). */
  public static final String CONNECT_SUCCESS = "client_connect_success";
  public static final String CONNECT_FAILED = "client_connect_failed";
  public static final String DISCONNECT = "client_disconnect";
  public static final String PROTOCOL_ERROR = "protocol_error";
  public static final String UNAUTHORIZED_TOPIC = "unauthorized_topic";
  public static final String MESSAGES_RECEIVED = "messages_received";
  public static final String MESSAGES_DROPPED = "messages_dropped";
  public static final String ROUTE_RELOAD = "route_reload";
  public static final String CONNECTIONS_REFUSED_AT_LIMIT = "connections_refused_at_limit";
  /** Messages the hub confirmed (PUBACK) on the uplink. */
  public static final String MESSAGES_SENT = "messages_sent";
  /** Times the uplink went from online to offline. */
  public static final String OFFLINE = "offline_count";
  /** Uplink connection attempts that failed, by reason. */
  public static final String UPSTREAM_CONNECT_FAILED = "upstream_connect_failed";

  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final AtomicLong connected = new AtomicLong();

  public void increment(String name) {
    counters.computeIfAbsent(name, n -> new LongAdder()).increment();
  }

  public void add(String name, long n) {
    counters.computeIfAbsent(name, k -> new LongAdder()).add(n);
  }

  /** Increments {@code name{label}}, e.g. {@code client_connect_failed{bad_credentials}}. */
  public void increment(String name, String label) {
    increment(name + "{" + label + "}");
  }

  public long get(String name) {
    LongAdder a = counters.get(name);
    return a == null ? 0 : a.sum();
  }

  public long get(String name, String label) {
    return get(name + "{" + label + "}");
  }

  /** Connections currently authenticated. */
  public AtomicLong connected() {
    return connected;
  }

  /** A sorted copy of every counter, for logs and the metrics endpoint. */
  public Map<String, Long> snapshot() {
    Map<String, Long> m = new TreeMap<>();
    counters.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }
}
