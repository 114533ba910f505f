package dev.clearway.benchmarks;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The harnesses' command lines: {@code --name value} options and value-less {@code --flag}s, each
 * known by name; anything else is refused with a one-line message naming it. Numbers are checked
 * against their allowed range here, so a harness never starts with a setting it cannot honour.
 */
final class Args {
  private final Map<String, String> values = new LinkedHashMap<>();

  private Args() {}

  /**
   * @param options the names that take a value
   * @param flags the names that take none
   * @throws IllegalArgumentException for an unknown name, a missing value or a repeated option
   */
  static Args parse(String[] args, List<String> options, List<String> flags) {
    Args parsed = new Args();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      String value;
      if (flags.contains(name)) {
        value = "true";
      } else if (options.contains(name)) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(name + " needs a value");
        }
        value = args[++i];
      } else {
        throw new IllegalArgumentException("unknown option '" + name + "'; known: " + String.join(" ", options)
            + (flags.isEmpty() ? "" : " " + String.join(" ", flags)));
      }
      if (parsed.values.put(name, value) != null) {
        throw new IllegalArgumentException(name + " given twice");
      }
    }
    return parsed;
  }

  boolean flag(String name) {
    return values.containsKey(name);
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  Optional<String> optional(String name) {
    return Optional.ofNullable(values.get(name));
  }

  Path path(String name, String fallback) {
    return Path.of(string(name, fallback));
  }

  Optional<Path> optionalPath(String name) {
    return optional(name).map(Path::of);
  }

  /** An integer in {@code [min, max]}. */
  int integer(String name, int fallback, int min, int max) {
    String text = values.get(name);
    if (text == null) {
      return fallback;
    }
    int value;
    try {
      value = Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, was '" + text + "'");
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + value);
    }
    return value;
  }

  /** JVM flags separated by white space ({@code "-Da=1 -XX:+AlwaysPreTouch"}), none when not given. */
  List<String> jvmFlags(String name) {
    String text = values.getOrDefault(name, "");
    List<String> flags = text.isBlank() ? List.of() : List.of(text.strip().split("\\s+"));
    for (String flag : flags) {
      if (!flag.startsWith("-")) {
        throw new IllegalArgumentException(name + ": '" + flag + "' is not a JVM flag (they start with '-')");
      }
    }
    return flags;
  }

  /** An integer in {@code [min, max]}, or empty when not given. */
  Optional<Integer> optionalInteger(String name, int min, int max) {
    return values.containsKey(name) ? Optional.of(integer(name, 0, min, max)) : Optional.empty();
  }
}
