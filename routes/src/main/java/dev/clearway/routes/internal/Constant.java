package dev.clearway.routes.internal;

import dev.clearway.routes.Message;

/** A literal. */
record Constant(Object value) implements Node {
  @Override
  public Object eval(Message m) {
    return value;
  }
}
