package dev.clearway.routes.internal;

import java.util.List;

/**
 * A parsed {@code $body} path: names, each with at most one index (-1 for none).
 *
 * @param text the query as written, e.g. {@code $body.a.b[2]}
 * @param braced written as {@code {$body…}}, which always means the query
 */
record BodyPath(String text, List<Segment> segments, boolean braced) {

  record Segment(String name, int index) {}
}
