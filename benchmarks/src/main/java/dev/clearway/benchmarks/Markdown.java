package dev.clearway.benchmarks;

/** Text for the reports' Markdown tables. */
final class Markdown {
  private Markdown() {}

  /** A table cell's text: a pipe (a JMH regex, a shell command) would end the cell, so it is escaped. */
  static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
