package dev.clearway.actors.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * What {@code /health/ready} checks: named conditions that must all hold for the gateway to take
 * devices (its listeners bound, its store open). Read on every probe, from any thread.
 */
public final class Readiness {
  private record Condition(String unmet, BooleanSupplier holds) {}

  private final List<Condition> conditions = new CopyOnWriteArrayList<>();

  /**
   * Adds a condition.
   *
   * @param unmet what the probe says while it does not hold, e.g. "the MQTT listener is not bound"
   */
  public Readiness require(String unmet, BooleanSupplier holds) {
    conditions.add(new Condition(unmet, holds));
    return this;
  }

  /** What does not hold now, in the order the conditions were added; empty when ready. */
  public List<String> unmet() {
    return conditions.stream().filter(c -> !c.holds().getAsBoolean()).map(Condition::unmet).toList();
  }
}
