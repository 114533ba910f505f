package dev.clearway.actors.identity;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local registry of this gateway's children: device and module identities with their
 * credentials, in {@code <data-dir>/identities.json} (mode 0600: it holds keys).
 *
 * <p>The gateway reads the file at start and notices changes without a restart: lookups compare
 * the file's modification time at most once per {@code reloadCheckInterval}. A changed file that
 * cannot be read is logged and ignored, so a half-edited file never locks every device out.
 * Writers ({@code clearway devices …}) replace the file atomically under a lock file.
 */
public final class IdentityRegistry {
  private static final Logger log = LoggerFactory.getLogger(IdentityRegistry.class);
  /** The registry file's name under the data directory. */
  public static final String FILE_NAME = "identities.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path file;
  private final Duration reloadCheckInterval;
  private final Clock clock;
  private volatile Snapshot snapshot;
  private volatile Instant nextCheck;

  private record Snapshot(Map<String, Identity> byId, FileTime modified, long size) {}

  /** A registry file that cannot be used; the message names the file, the entry and the fault. */
  public static final class RegistryException extends Exception {
    private static final long serialVersionUID = 1L;

    RegistryException(String message) {
      super(message);
    }

    RegistryException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private IdentityRegistry(Path file, Duration reloadCheckInterval, Clock clock, Snapshot snapshot) {
    this.file = file;
    this.reloadCheckInterval = reloadCheckInterval;
    this.clock = clock;
    this.snapshot = snapshot;
    this.nextCheck = clock.instant().plus(reloadCheckInterval);
  }

  /** Opens the registry under {@code dataDir}; a missing file is an empty registry. */
  public static IdentityRegistry open(Path dataDir, Duration reloadCheckInterval, Clock clock) throws RegistryException {
    Path file = dataDir.resolve(FILE_NAME);
    return new IdentityRegistry(file, reloadCheckInterval, clock, read(file));
  }

  public Path file() {
    return file;
  }

  /** The identity with this id ({@code device} or {@code device/module}), ids compared exactly. */
  public Optional<Identity> find(String id) {
    refreshIfDue();
    return Optional.ofNullable(snapshot.byId().get(id));
  }

  /** Every identity, devices before their modules, sorted by id. */
  public List<Identity> list() {
    refreshIfDue();
    return snapshot.byId().values().stream().sorted(Comparator.comparing(Identity::id)).toList();
  }

  /** Adds an identity; a module's device must exist, and an id is never added twice. */
  public Identity add(Identity identity) throws RegistryException {
    update(current -> {
      if (current.containsKey(identity.id())) {
        throw new IllegalStateException((identity.isModule() ? "module '" : "device '") + identity.id() + "' already exists");
      }
      if (identity.isModule() && !current.containsKey(identity.deviceId())) {
        throw new IllegalStateException("device '" + identity.deviceId() + "' does not exist; add it before its modules");
      }
      Map<String, Identity> next = new LinkedHashMap<>(current);
      next.put(identity.id(), identity);
      return next;
    });
    return identity;
  }

  /** Removes an identity; removing a device removes its modules. Returns the ids removed. */
  public List<String> remove(String id) throws RegistryException {
    List<String> removed = new ArrayList<>();
    update(current -> {
      if (!current.containsKey(id)) {
        throw new IllegalStateException("no identity '" + id + "' in " + file);
      }
      Map<String, Identity> next = new LinkedHashMap<>();
      current.forEach((k, v) -> {
        boolean gone = k.equals(id) || (!id.contains("/") && v.isModule() && v.deviceId().equals(id));
        if (gone) {
          removed.add(k);
        } else {
          next.put(k, v);
        }
      });
      return next;
    });
    return removed;
  }

  private void refreshIfDue() {
    Instant now = clock.instant();
    if (now.isBefore(nextCheck)) {
      return;
    }
    nextCheck = now.plus(reloadCheckInterval);
    Snapshot old = snapshot;
    try {
      FileTime modified = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
      long size = modified == null ? -1 : Files.size(file);
      if (java.util.Objects.equals(modified, old.modified()) && size == old.size()) {
        return;
      }
      snapshot = read(file);
      log.info("Identity registry {} reloaded: {} identities", file, snapshot.byId().size());
    } catch (IOException | RegistryException e) {
      // Keep serving with what we had; a half-written or broken file must not lock devices out.
      // Remember the broken file's stamp so the error is logged once per change, not per lookup.
      snapshot = new Snapshot(old.byId(), stamp(), sizeOrMinus());
      log.error("Identity registry {} changed but cannot be used, keeping the previous {} identities: {}",
          file, old.byId().size(), e.getMessage());
    }
  }

  private FileTime stamp() {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return null;
    }
  }

  private long sizeOrMinus() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Read-modify-write under a lock file, replacing the registry file atomically. */
  private void update(UnaryOperator<Map<String, Identity>> change) throws RegistryException {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      try (FileChannel lockChannel = FileChannel.open(dir.resolve(FILE_NAME + ".lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
           FileLock ignored = lockChannel.lock()) {
        Map<String, Identity> next;
        try {
          next = change.apply(read(file).byId());
        } catch (IllegalStateException e) {
          throw new RegistryException(e.getMessage());
        }
        Path tmp = posix()
            ? Files.createTempFile(dir, ".identities-", ".json", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
            : Files.createTempFile(dir, ".identities-", ".json");
        try {
          Files.write(tmp, JSON.writeValueAsBytes(toJson(next.values())));
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(tmp);
        }
        snapshot = read(file);
      }
    } catch (IOException e) {
      throw new RegistryException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  static Snapshot read(Path file) throws RegistryException {
    FileTime modified;
    long size;
    JsonNode root;
    try {
      modified = Files.getLastModifiedTime(file);
      size = Files.size(file);
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return new Snapshot(Map.of(), null, -1);
    } catch (JsonProcessingException e) {
      throw new RegistryException(file + ": not valid JSON (line " + e.getLocation().getLineNr() + "): " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new RegistryException("cannot read " + file + ": " + e.getMessage(), e);
    }
    JsonNode list = root == null ? null : root.get("identities");
    if (list == null || !list.isArray()) {
      throw new RegistryException(file + ": expected {\"identities\": [ … ]}");
    }
    Map<String, Identity> byId = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Identity identity;
      try {
        identity = fromJson(list.get(i));
      } catch (IllegalArgumentException e) {
        throw new RegistryException(file + ": identity #" + (i + 1) + ": " + e.getMessage(), e);
      }
      if (byId.put(identity.id(), identity) != null) {
        throw new RegistryException(file + ": identity #" + (i + 1) + ": '" + identity.id() + "' appears twice");
      }
    }
    return new Snapshot(Map.copyOf(byId), modified, size);
  }

  private static Identity fromJson(JsonNode n) {
    String deviceId = text(n, "deviceId").orElseThrow(() -> new IllegalArgumentException("missing deviceId"));
    Optional<String> moduleId = text(n, "moduleId");
    String auth = text(n, "auth").orElseThrow(() -> new IllegalArgumentException("missing auth (sas, x509-thumbprint or x509-ca)"));
    Credentials credentials = switch (auth) {
      case "sas" -> new Credentials.SymmetricKey(
          text(n, "primaryKey").orElseThrow(() -> new IllegalArgumentException("missing primaryKey")),
          text(n, "secondaryKey").orElseThrow(() -> new IllegalArgumentException("missing secondaryKey")));
      case "x509-thumbprint" -> new Credentials.X509Thumbprint(
          text(n, "primaryThumbprint").orElseThrow(() -> new IllegalArgumentException("missing primaryThumbprint")),
          text(n, "secondaryThumbprint"));
      case "x509-ca" -> new Credentials.X509Ca();
      default -> throw new IllegalArgumentException("unknown auth '" + auth + "' (expected sas, x509-thumbprint or x509-ca)");
    };
    return new Identity(deviceId, moduleId, credentials);
  }

  private static Optional<String> text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }

  private static ObjectNode toJson(java.util.Collection<Identity> identities) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode list = root.putArray("identities");
    identities.stream().sorted(Comparator.comparing(Identity::id)).forEach(id -> {
      ObjectNode n = list.addObject();
      n.put("deviceId", id.deviceId());
      id.moduleId().ifPresent(m -> n.put("moduleId", m));
      n.put("auth", id.credentials().type());
      // (Java 17 has no pattern switch over sealed types; X509Ca carries nothing to write.)
      if (id.credentials() instanceof Credentials.SymmetricKey k) {
        n.put("primaryKey", k.primaryKey());
        n.put("secondaryKey", k.secondaryKey());
      } else if (id.credentials() instanceof Credentials.X509Thumbprint t) {
        n.put("primaryThumbprint", t.primary());
        t.secondary().ifPresent(s -> n.put("secondaryThumbprint", s));
      }
    });
    return root;
  }
}
