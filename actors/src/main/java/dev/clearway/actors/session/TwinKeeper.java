package dev.clearway.actors.session;

import java.util.Optional;

/**
 * Where a device session keeps its twin across restarts (the node's message store): what the hub
 * last sent and what the device reported while the hub was out of reach.
 */
public interface TwinKeeper {

  /** The document last saved for {@code identity}. */
  Optional<byte[]> load(String identity);

  /** Saves {@code document} as the latest for {@code identity}. */
  void save(String identity, byte[] document);

  /** Keeps nothing (tests of the session alone). */
  TwinKeeper NONE = new TwinKeeper() {
    @Override
    public Optional<byte[]> load(String identity) {
      return Optional.empty();
    }

    @Override
    public void save(String identity, byte[] document) {}
  };
}
