package dev.clearway.actors.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format 0.0.4, written from the format's
 * specification: every line must be a {@code # HELP}, a {@code # TYPE}, another comment, empty, or
 * a sample {@code name{label="value",…} value [timestamp]}; every sample must belong to the metric
 * family the last {@code # TYPE} line announced (with the suffixes its type allows) and each
 * family is announced once, so its samples come together. Stricter than the format in one way: a
 * sample without a TYPE line (untyped) is refused, as Micrometer always writes one. Anything else
 * fails with the line named.
 */
public final class PrometheusText {
  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
  private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)\\})? (\\S+)( -?[0-9]+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
  private static final Pattern VALUE = Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf");

  /** One sample line: its metric name, labels (in order) and value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private PrometheusText() {}

  /** Reads a whole exposition; fails on the first line that is not 0.0.4. */
  public static List<Sample> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new AssertionError("the exposition does not end with a line feed");
    }
    List<Sample> samples = new ArrayList<>();
    Set<String> typed = new HashSet<>();
    String family = null;
    String type = null;
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      Matcher m;
      if ((m = TYPE.matcher(line)).matches()) {
        if (!typed.add(m.group(1))) {
          throw bad(n, line, "a second TYPE line for " + m.group(1));
        }
        family = m.group(1);
        type = m.group(2);
      } else if ((m = HELP.matcher(line)).matches()) {
        checkEscapes(n, line, m.group(2));
      } else if (line.startsWith("# TYPE ") || line.startsWith("# HELP ")) {
        throw bad(n, line, "a malformed " + line.substring(2, 6) + " line");
      } else if (line.startsWith("#")) {
        continue; // another comment
      } else if ((m = SAMPLE.matcher(line)).matches()) {
        String name = m.group(1);
        if (family == null || !belongs(name, family, type)) {
          throw bad(n, line, "a sample outside the family announced last (" + family + ", " + type + ")");
        }
        if (!VALUE.matcher(m.group(4)).matches()) {
          throw bad(n, line, "not a value: " + m.group(4));
        }
        samples.add(new Sample(name, labels(n, line, m.group(3)), parseValue(m.group(4))));
      } else {
        throw bad(n, line, "neither a comment nor a sample");
      }
    }
    return samples;
  }

  private static boolean belongs(String name, String family, String type) {
    if (name.equals(family)) {
      return true;
    }
    return switch (type) {
      case "summary" -> name.equals(family + "_sum") || name.equals(family + "_count");
      case "histogram" -> name.equals(family + "_sum") || name.equals(family + "_count") || name.equals(family + "_bucket");
      default -> false;
    };
  }

  private static Map<String, String> labels(int n, String line, String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text == null || text.isEmpty()) {
      return labels;
    }
    Matcher m = LABEL.matcher(text);
    int at = 0;
    while (at < text.length()) {
      if (!m.find(at) || m.start() != at) {
        throw bad(n, line, "a malformed label at " + text.substring(at));
      }
      if (labels.put(m.group(1), unescape(m.group(2))) != null) {
        throw bad(n, line, "label " + m.group(1) + " twice");
      }
      at = m.end();
      if (at < text.length()) {
        if (text.charAt(at) != ',') {
          throw bad(n, line, "labels not separated by a comma");
        }
        at++;
      }
    }
    return labels;
  }

  private static void checkEscapes(int n, String line, String help) {
    for (int i = 0; i < help.length(); i++) {
      if (help.charAt(i) == '\\') {
        if (i + 1 >= help.length() || (help.charAt(i + 1) != '\\' && help.charAt(i + 1) != 'n')) {
          throw bad(n, line, "a HELP text with a stray backslash");
        }
        i++;
      }
    }
  }

  private static String unescape(String v) {
    return v.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
  }

  private static double parseValue(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(v);
    };
  }

  private static AssertionError bad(int n, String line, String why) {
    return new AssertionError("line " + n + " is not Prometheus text 0.0.4 (" + why + "): " + line);
  }

  /** The sum of the samples named {@code name} whose labels include {@code labels}. */
  public static double sum(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value).sum();
  }

  /** The one sample named {@code name} whose labels include {@code labels}; fails if there is none or several. */
  public static Sample only(List<Sample> samples, String name, Map<String, String> labels) {
    List<Sample> found = samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet())).toList();
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " samples " + name + labels + " in the scrape: " + found);
    }
    return found.get(0);
  }

  /** The metric names in a scrape. */
  public static Set<String> names(List<Sample> samples) {
    Set<String> names = new HashSet<>();
    samples.forEach(s -> names.add(s.name()));
    return names;
  }
}
