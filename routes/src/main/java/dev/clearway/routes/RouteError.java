package dev.clearway.routes;

/**
 * One compile error of a route: where it is and what was expected (ROUTES.md, "Errors").
 *
 * @param routeName the route's name
 * @param line 1-based line in the route text; 0 when the error is not at a place in the text
 * @param column 1-based column in that line; 0 likewise
 * @param lineText the line of route text that holds the fault
 * @param message what is wrong and what was expected
 */
public record RouteError(String routeName, int line, int column, String lineText, String message) {

  /** An error about a route (or the set) as a whole, not a place in its text. */
  public static RouteError general(String routeName, String message) {
    return new RouteError(routeName, 0, 0, "", message);
  }

  /** The first line alone: {@code route 'r', line 1, column 5: expected …}. */
  public String headline() {
    return line == 0
        ? "route '" + routeName + "': " + message
        : "route '" + routeName + "', line " + line + ", column " + column + ": " + message;
  }

  /** The headline, then the route line with a caret under the fault. */
  public String render() {
    if (line == 0) {
      return headline();
    }
    StringBuilder caret = new StringBuilder("  ");
    // Keep tabs as tabs so the caret lines up however the terminal expands them.
    for (int i = 0; i < column - 1 && i < lineText.length(); i++) {
      caret.append(lineText.charAt(i) == '\t' ? '\t' : ' ');
    }
    caret.append('^');
    return headline() + System.lineSeparator() + "  " + lineText + System.lineSeparator() + caret;
  }
}
