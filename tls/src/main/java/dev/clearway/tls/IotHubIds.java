package dev.clearway.tls;

import java.util.regex.Pattern;

/** IoT Hub's rule for device and module ids: 1-128 of a fixed set of characters, never '/'. */
public final class IotHubIds {
  /** The rule in words, for error messages. */
  public static final String RULE = "use 1-128 letters, digits or - . % _ * ? ! ( ) , : = @ $ '";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.%_*?!(),:=@$']{1,128}");

  private IotHubIds() {}

  /** Whether {@code id} is a valid device or module id (and so also a safe file-name part). */
  public static boolean isValid(String id) {
    return id != null && ID.matcher(id).matches();
  }
}
