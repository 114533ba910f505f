package dev.clearway.routes.internal;

import dev.clearway.routes.Message;

/**
 * One compiled piece of a condition. The value is a {@code Boolean}, {@code Double}, {@code String} or
 * a {@link Special}; a node never throws and never returns NaN (NaN is undefined, ROUTES.md).
 */
@FunctionalInterface
interface Node {
  Object eval(Message m);
}
