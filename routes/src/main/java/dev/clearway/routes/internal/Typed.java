package dev.clearway.routes.internal;

/**
 * A compiled sub-expression with its static type, where it starts in the text and how deep its
 * tree is (for the nesting bound).
 */
record Typed(Node node, Type type, int start, int height) {}
