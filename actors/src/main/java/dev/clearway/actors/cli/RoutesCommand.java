package dev.clearway.actors.cli;

import com.typesafe.config.ConfigException;
import dev.clearway.actors.config.GatewayConfig;
import dev.clearway.routes.Condition;
import dev.clearway.routes.ManifestImport;
import dev.clearway.routes.Message;
import dev.clearway.routes.RouteCompileException;
import dev.clearway.routes.RouteError;
import dev.clearway.routes.RouteLanguageSettings;
import dev.clearway.routes.RouteSet;
import dev.clearway.routes.RouteSettings;
import dev.clearway.routes.RouteSpec;
import dev.clearway.routes.RoutingRule;
import dev.clearway.routes.Truth;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code clearway routes}: check the configured routes, evaluate a condition or a route against a
 * message, import the routes of an IoT Edge deployment manifest. Output goes to the command line's
 * writers, so tests can run these in-process.
 */
@Command(
    name = "routes",
    mixinStandardHelpOptions = true,
    description = "Check, evaluate and import message routes (FROM … WHERE … INTO …).",
    subcommands = {
      RoutesCommand.Check.class,
      RoutesCommand.Eval.class,
      RoutesCommand.ImportManifest.class
    },
    footerHeading = "%nExit codes:%n",
    footer = {"  0  success", "  2  the command line could not be used"})
public final class RoutesCommand implements Runnable {

  /** Exit code for input that could not be used: a route error, a bad file (see ClearwayCommand). */
  static final int UNUSABLE = 2;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Prints each error with its caret display, then a summary. */
  static void printErrors(PrintWriter err, RouteCompileException e) {
    for (RouteError error : e.errors()) {
      err.println("error: " + error.render());
    }
    err.println(e.errors().size() + (e.errors().size() == 1 ? " error" : " errors") + "; the route set is rejected");
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Compiles the routes of the configuration and prints them as a table (name, source,",
        "condition, sink, priority, TTL), then any warnings.",
        "Without --config: conf/application.conf when it exists, else the embedded defaults."
      },
      footerHeading = "%nExit codes:%n",
      footer = {
        "  0  every route is valid (warnings may have been printed)",
        "  2  a route or a setting is invalid, or the file cannot be read (errors on stderr)"
      })
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "HOCON file over the embedded defaults")
    Path config;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      RouteSet set;
      try {
        RouteSettings settings = RouteSettings.fromConfig(GatewayConfig.load(Optional.ofNullable(config)));
        set = RouteSet.compile(settings);
      } catch (ConfigException e) {
        err.println("error: " + e.getMessage());
        return UNUSABLE;
      } catch (RouteCompileException e) {
        printErrors(err, e);
        return UNUSABLE;
      }
      printTable(out, set);
      set.warnings().forEach(w -> out.println("warning: " + w));
      out.flush();
      return 0;
    }

    private static void printTable(PrintWriter out, RouteSet set) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NAME", "SOURCE", "CONDITION", "SINK", "PRIORITY", "TTL"});
      for (RoutingRule r : set.rules()) {
        rows.add(
            new String[] {
              r.name(),
              r.source(),
              r.conditionText().map(c -> c.replaceAll("\\s+", " ")).orElse("-"),
              r.sink().sinkText(),
              r.priority() == RouteSpec.BARE_PRIORITY ? "lowest" : String.valueOf(r.priority()),
              ttl(r.timeToLive(), set.globalTimeToLive())
            });
      }
      int[] width = new int[6];
      for (String[] row : rows) {
        for (int i = 0; i < row.length; i++) {
          width[i] = Math.max(width[i], row[i].length());
        }
      }
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
          line.append(i == row.length - 1 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
        }
        out.println(line.toString().stripTrailing());
      }
      if (set.rules().isEmpty()) {
        out.println("(no routes configured: clearway.routes is empty, so no message goes anywhere)");
      }
    }

    private static String ttl(Duration route, Duration global) {
      if (route.isZero()) {
        return "global (" + (global.isNegative() ? "forever" : global.getSeconds() + "s") + ")";
      }
      return route.isNegative() ? "forever" : route.getSeconds() + "s";
    }
  }

  @Command(
      name = "eval",
      mixinStandardHelpOptions = true,
      description = {
        "Evaluates a condition or a route against one message.",
        "--condition prints one word: true, false, null or undefined.",
        "--route prints the condition's value, then 'routed to <sink>' or 'not routed'",
        "(warnings, such as a source that matches nothing, go to stderr).",
        "M.json: {\"source\": \"/messages\", \"properties\": {\"k\": \"v\"},",
        "  \"systemProperties\": {\"contentType\": \"application/json\", \"contentEncoding\": \"utf-8\"},",
        "  \"body\": <JSON> | \"bodyText\": \"…\" | \"bodyBase64\": \"…\"}; every field optional."
      },
      footerHeading = "%nExit codes:%n",
      footer = {
        "  0  evaluated (whatever the value)",
        "  2  the condition or route does not compile, or the message file cannot be used"
      })
  static final class Eval implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    static final class What {
      @Option(names = "--condition", paramLabel = "EXPR", required = true, description = "a condition")
      String condition;

      @Option(names = "--route", paramLabel = "ROUTE", required = true, description = "a whole route")
      String route;
    }

    @Option(names = "--message", paramLabel = "M.json", description = "the message; default: empty device telemetry")
    Path message;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Message m;
      try {
        m = message == null ? Message.builder().build() : MessageFile.read(message);
      } catch (MessageFile.BadMessageFile e) {
        err.println("error: " + e.getMessage());
        return UNUSABLE;
      }
      try {
        if (what.condition != null) {
          out.println(Condition.compile(what.condition).evaluate(m).word());
        } else {
          RouteSet set =
              RouteSet.compile(
                  List.of(RouteSpec.bare("route", what.route)), Duration.ofSeconds(7200), RouteLanguageSettings.DEFAULTS);
          set.warnings().forEach(w -> err.println("warning: " + w));
          RoutingRule rule = set.rules().get(0);
          Truth value = rule.condition().evaluate(m);
          out.println(value.word());
          out.println(rule.fires(m) ? "routed to " + rule.sink().sinkText() : "not routed");
        }
      } catch (RouteCompileException e) {
        printErrors(err, e);
        return UNUSABLE;
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "import-manifest",
      mixinStandardHelpOptions = true,
      description = {
        "Reads an IoT Edge deployment manifest ($edgeHub desired properties, schemaVersion 1.0-1.3)",
        "and prints the equivalent HOCON for conf/application.conf, or what is wrong with it."
      },
      footerHeading = "%nExit codes:%n",
      footer = {
        "  0  the HOCON was printed",
        "  2  the manifest cannot be read or has errors (on stderr)"
      })
  static final class ImportManifest implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE.json", description = "the deployment manifest")
    Path file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println("error: cannot read manifest " + file + " (" + e.getClass().getSimpleName() + ")");
        return UNUSABLE;
      }
      ManifestImport.Result r = ManifestImport.convert(text, RouteLanguageSettings.DEFAULTS);
      if (!r.ok()) {
        r.errors().forEach(e -> err.println("error: " + file + ": " + e));
        return UNUSABLE;
      }
      out.print(r.hocon());
      out.flush();
      return 0;
    }
  }
}
