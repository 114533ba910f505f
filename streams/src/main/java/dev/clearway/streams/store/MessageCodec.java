package dev.clearway.streams.store;

import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The stored form of a {@link Message}: a compact, versioned binary record.
 *
 * <pre>
 * record   = version:u8 (1) source:str
 *            systemCount:varint (name:str value:str)*      -- system properties by their route name
 *            propertyCount:varint (name:str flag:u8 [value:str])*   -- flag 0 = null value, 1 = value
 *            bodyLength:varint body:bytes
 *            crc32c:u32 (big-endian, over everything before it)
 * str      = length:varint utf8-bytes
 * varint   = unsigned LEB128, at most 5 bytes
 * </pre>
 *
 * <p>System properties are written by name ({@link SystemProperty#propertyName()}), not ordinal, so
 * reordering the enum never changes what a stored record means. The checksum catches a record that
 * was damaged but still parses; RocksDB's block checksums cover the files, this covers the bytes we
 * hand it.
 */
final class MessageCodec {
  static final int VERSION = 1;

  private MessageCodec() {}

  /** A stored record that cannot be decoded; the reader skips it and counts it. */
  static final class CorruptRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    CorruptRecordException(String why) {
      super(why);
    }
  }

  static byte[] encode(Message m) {
    // Sized for the body plus a little; grows for long property bags.
    Out out = new Out(m.bodyLength() + 256);
    out.write(VERSION);
    out.string(m.source());
    Map<SystemProperty, String> system = m.systemProperties();
    out.varint(system.size());
    system.forEach((p, v) -> {
      out.string(p.propertyName());
      out.string(v);
    });
    Map<String, String> props = m.properties();
    out.varint(props.size());
    props.forEach((name, value) -> {
      out.string(name);
      out.write(value == null ? 0 : 1);
      if (value != null) {
        out.string(value);
      }
    });
    out.varint(m.bodyLength());
    out.write(m.bodyBuffer());
    CRC32C crc = new CRC32C();
    crc.update(out.buf(), 0, out.size());
    int sum = (int) crc.getValue();
    out.write(sum >>> 24);
    out.write(sum >>> 16);
    out.write(sum >>> 8);
    out.write(sum);
    return out.toByteArray();
  }

  static Message decode(byte[] record) throws CorruptRecordException {
    if (record.length < 5) {
      throw new CorruptRecordException("record of " + record.length + " bytes is shorter than its checksum");
    }
    CRC32C crc = new CRC32C();
    crc.update(record, 0, record.length - 4);
    ByteBuffer in = ByteBuffer.wrap(record, 0, record.length - 4);
    int stored = ByteBuffer.wrap(record, record.length - 4, 4).getInt();
    if ((int) crc.getValue() != stored) {
      throw new CorruptRecordException("checksum mismatch");
    }
    try {
      int version = in.get() & 0xff;
      if (version != VERSION) {
        throw new CorruptRecordException("unknown record version " + version);
      }
      Message.Builder b = Message.builder().source(string(in));
      int systemCount = varint(in);
      for (int i = 0; i < systemCount; i++) {
        String name = string(in);
        SystemProperty p = SystemProperty.byName(name)
            .orElseThrow(() -> new CorruptRecordException("unknown system property " + name));
        b.systemProperty(p, string(in));
      }
      int propertyCount = varint(in);
      for (int i = 0; i < propertyCount; i++) {
        String name = string(in);
        int flag = in.get();
        if (flag != 0 && flag != 1) {
          throw new CorruptRecordException("bad value flag " + flag);
        }
        b.property(name, flag == 0 ? null : string(in));
      }
      byte[] body = bytes(in, varint(in));
      if (in.hasRemaining()) {
        throw new CorruptRecordException(in.remaining() + " bytes after the body");
      }
      return b.wrapBody(body).build();
    } catch (RuntimeException e) {
      // BufferUnderflow and friends: a truncated or mangled record, never a reason to stop reading.
      throw new CorruptRecordException("undecodable record: " + e);
    }
  }

  private static String string(ByteBuffer in) throws CorruptRecordException {
    return new String(bytes(in, varint(in)), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer in, int length) throws CorruptRecordException {
    if (length > in.remaining()) {
      throw new CorruptRecordException("length " + length + " exceeds the " + in.remaining() + " bytes left");
    }
    byte[] b = new byte[length];
    in.get(b);
    return b;
  }

  private static int varint(ByteBuffer in) throws CorruptRecordException {
    int value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = in.get() & 0xff;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (value < 0) {
          throw new CorruptRecordException("negative length");
        }
        return value;
      }
    }
    throw new CorruptRecordException("varint longer than 5 bytes");
  }

  /** A growable buffer that exposes its array, so the checksum needs no copy. */
  private static final class Out extends ByteArrayOutputStream {
    Out(int size) {
      super(size);
    }

    byte[] buf() {
      return buf;
    }

    void varint(int v) {
      while ((v & ~0x7f) != 0) {
        write((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      write(v);
    }

    /** Appends what {@code b} has left (a read-only buffer has no array to copy from). */
    void write(ByteBuffer b) {
      int n = b.remaining();
      if (buf.length - count < n) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + n));
      }
      b.get(buf, count, n);
      count += n;
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      varint(b.length);
      write(b, 0, b.length);
    }
  }
}
