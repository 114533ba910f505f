package dev.clearway.routes;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;

/** Reading single settings with one clear line naming the key when a value is wrong. */
final class Settings {
  private Settings() {}

  static int positiveInt(Config config, String path, int max) {
    int v = config.getInt(path);
    if (v < 1 || v > max) {
      throw bad(config.getValue(path), path, "must be 1.." + max + ", got " + v);
    }
    return v;
  }

  /** A HOCON duration with a unit; a bare number (which HOCON reads as milliseconds) is refused. */
  static Duration duration(Config config, String path) {
    ConfigValue v = config.getValue(path);
    if (v.valueType() == ConfigValueType.NUMBER) {
      throw bad(v, path, "give a unit, such as 3600s or 2h (a bare number would mean milliseconds)");
    }
    return config.getDuration(path);
  }

  static ConfigException bad(ConfigValue v, String path, String message) {
    return new ConfigException.BadValue(v.origin(), path, message);
  }
}
