package dev.clearway.routes.internal;

import dev.clearway.routes.Condition;
import dev.clearway.routes.Message;
import dev.clearway.routes.Truth;
import java.util.concurrent.atomic.LongAdder;

/** A condition's closure tree behind the public {@link Condition} interface. */
final class CompiledCondition implements Condition {

  /** A route without WHERE always matches its source. */
  static final CompiledCondition ALWAYS = new CompiledCondition("", new Constant(Values.TRUE));

  /** Evaluations that failed inside; the fuzz tests hold this at zero. */
  static final LongAdder INTERNAL_FAILURES = new LongAdder();

  private final String text;
  private final Node node;

  CompiledCondition(String text, Node node) {
    this.text = text;
    this.node = node;
  }

  @Override
  public String text() {
    return text;
  }

  @Override
  public Truth evaluate(Message message) {
    try {
      return Values.truth(node.eval(message));
    } catch (RuntimeException e) {
      // Nodes are written not to throw; this is the last guard that keeps a router stream alive.
      INTERNAL_FAILURES.increment();
      return Truth.UNDEFINED;
    }
  }

  @Override
  public String toString() {
    return text.isEmpty() ? "(always)" : text;
  }
}
