package dev.clearway.benchmarks;

import dev.clearway.routes.Condition;
import dev.clearway.routes.Message;
import dev.clearway.routes.RouteLanguageSettings;
import dev.clearway.routes.RouteSet;
import dev.clearway.routes.RouteSpec;
import dev.clearway.routes.RoutedEndpoint;
import dev.clearway.routes.SystemProperty;
import dev.clearway.routes.Truth;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Route evaluation cost per message. Targets: {@code notIsDefinedModuleId} ≤ 50 ns; {@code
 * bodyQueryOn1KbJson} ≤ 500 ns with the body parse included (each invocation builds a fresh message,
 * so the once-per-message parse is paid every time).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RouteEvaluation -f 1 -wi 3 -i 5 -w 2s -r 2s</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class RouteEvaluationBenchmark {

  private Condition notIsDefined;
  private Condition compound;
  private Condition bodyQuery;
  private RouteSet twentyRoutes;
  private Message device;
  private Message.Builder jsonMessage;
  private Message jsonParsed;

  @Setup
  public void setUp() {
    notIsDefined = Condition.compile("NOT IS_DEFINED($connectionModuleId)");
    compound =
        Condition.compile(
            "$connectionDeviceId = 'sensor-17' AND (severity = 'high' OR as_number(temperature) > 30)"
                + " AND NOT IS_DEFINED($connectionModuleId)");
    bodyQuery = Condition.compile("$body.telemetry.temperature >= 50");
    device =
        Message.builder()
            .systemProperty(SystemProperty.CONNECTION_DEVICE_ID, "sensor-17")
            .systemProperty(SystemProperty.MESSAGE_ID, "m-1")
            .property("severity", "low")
            .property("temperature", "31.5")
            .property("site", "north")
            .build();
    jsonMessage =
        Message.builder()
            .systemProperty(SystemProperty.CONNECTION_DEVICE_ID, "sensor-17")
            .systemProperty(SystemProperty.CONTENT_TYPE, "application/json")
            .systemProperty(SystemProperty.CONTENT_ENCODING, "utf-8")
            .property("severity", "low")
            .body(oneKilobyteJson());
    jsonParsed = jsonMessage.build();
    jsonParsed.jsonBody();
    twentyRoutes = RouteSet.compile(twentyRoutes(), Duration.ofHours(2), RouteLanguageSettings.DEFAULTS);
    if (notIsDefined.evaluate(device) != Truth.TRUE
        || compound.evaluate(device) != Truth.TRUE
        || bodyQuery.evaluate(jsonParsed) != Truth.TRUE
        || twentyRoutes.endpointsFor(jsonMessage.build()).size() < 3) {
      throw new IllegalStateException("benchmark inputs do not exercise the conditions");
    }
  }

  static byte[] oneKilobyteJson() {
    StringBuilder sb = new StringBuilder("{\"deviceId\":\"sensor-17\",\"telemetry\":{");
    for (int i = 0; sb.length() < 900; i++) {
      sb.append("\"reading").append(i).append("\":{\"value\":").append(i * 1.25).append(",\"unit\":\"kPa\"},");
    }
    sb.append("\"temperature\":51.5,\"humidity\":40},\"tags\":[\"a\",\"b\",\"c\"],\"ok\":true}");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static List<RouteSpec> twentyRoutes() {
    List<RouteSpec> specs = new ArrayList<>();
    for (int m = 0; m < 8; m++) {
      specs.add(
          new RouteSpec(
              "module" + m,
              "FROM /messages/modules/filter" + m + "/outputs/* INTO BrokeredEndpoint(\"/modules/sink" + m + "/inputs/in\")",
              m % 10,
              Duration.ZERO));
    }
    for (int s = 0; s < 6; s++) {
      specs.add(
          RouteSpec.bare(
              "site" + s,
              "FROM /messages/* WHERE site = 'site" + s + "' AND severity <> 'debug' INTO BrokeredEndpoint(\"/modules/site" + s + "/inputs/in\")"));
    }
    specs.add(RouteSpec.bare("devices", "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream"));
    specs.add(new RouteSpec("alerts", "FROM /messages/* WHERE severity = 'high' INTO $upstream", 0, Duration.ofDays(1)));
    specs.add(
        new RouteSpec(
            "hot",
            "FROM /messages/* WHERE $body.telemetry.temperature >= 50 INTO BrokeredEndpoint(\"/modules/cooler/inputs/hot\")",
            1,
            Duration.ZERO));
    specs.add(RouteSpec.bare("ok", "FROM /messages/* WHERE $body.ok INTO BrokeredEndpoint(\"/modules/audit/inputs/ok\")"));
    specs.add(RouteSpec.bare("twin", "FROM /twinChangeNotifications INTO $upstream"));
    specs.add(
        RouteSpec.bare(
            "sensors", "FROM /messages/* WHERE starts_with($connectionDeviceId, 'sensor-') INTO $upstream"));
    return specs;
  }

  /** Target ≤ 50 ns. */
  @Benchmark
  public Truth notIsDefinedModuleId() {
    return notIsDefined.evaluate(device);
  }

  @Benchmark
  public Truth compoundPropertyCondition() {
    return compound.evaluate(device);
  }

  /** Target ≤ 500 ns: a fresh message each time, so the lazy 1 KB parse is included. */
  @Benchmark
  public Truth bodyQueryOn1KbJson() {
    return bodyQuery.evaluate(jsonMessage.build());
  }

  /** The same query once the message's body is already parsed (another route asked first). */
  @Benchmark
  public Truth bodyQueryOn1KbJsonAlreadyParsed() {
    return bodyQuery.evaluate(jsonParsed);
  }

  /** Twenty routes, one fresh JSON message (two of the routes query the body, parsed once). */
  @Benchmark
  public List<RoutedEndpoint> twentyRouteSet() {
    return twentyRoutes.endpointsFor(jsonMessage.build());
  }

  /** Twenty routes against a message whose body is already parsed: the routing cost alone. */
  @Benchmark
  public List<RoutedEndpoint> twentyRouteSetBodyAlreadyParsed() {
    return twentyRoutes.endpointsFor(jsonParsed);
  }
}
