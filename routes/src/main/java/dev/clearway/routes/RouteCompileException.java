package dev.clearway.routes;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A route, a condition or a route set did not compile. Carries every error found; the message is
 * their rendering, one after the other. This is the only exception compiling ever throws.
 */
public final class RouteCompileException extends RuntimeException {

  private final transient List<RouteError> errors;

  public RouteCompileException(List<RouteError> errors) {
    super(errors.stream().map(RouteError::render).collect(Collectors.joining(System.lineSeparator())));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a compile exception needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every error, in route order. */
  public List<RouteError> errors() {
    return errors;
  }
}
