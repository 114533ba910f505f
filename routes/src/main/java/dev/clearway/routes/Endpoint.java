package dev.clearway.routes;

/** Where a route sends messages (ROUTES.md, "Sinks"). */
public sealed interface Endpoint {

  /** The sink as route text would write it, e.g. {@code $upstream}. */
  String sinkText();

  /** {@code $upstream}: the cloud hub, or the parent gateway when nested. */
  record Upstream() implements Endpoint {
    @Override
    public String sinkText() {
      return "$upstream";
    }
  }

  /**
   * {@code BrokeredEndpoint("/modules/{moduleId}/inputs/{input}")}: a module's input on this gateway.
   *
   * @param moduleId the module identity, as written (identities are case-sensitive)
   * @param input the input name
   */
  record ModuleInput(String moduleId, String input) implements Endpoint {
    @Override
    public String sinkText() {
      return "BrokeredEndpoint(\"/modules/" + moduleId + "/inputs/" + input + "\")";
    }
  }

  /** The one upstream endpoint. */
  Endpoint UPSTREAM = new Upstream();
}
