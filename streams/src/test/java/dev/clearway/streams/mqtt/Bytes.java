package dev.clearway.streams.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/** Hand-made packet bytes for tests: hex strings and fields assembled under a fixed header. */
final class Bytes {

  private Bytes() {}

  /** Bytes from hex pairs, spaces ignored: {@code hex("c0 00")}. */
  static ByteString hex(String hex) {
    String digits = hex.replace(" ", "");
    byte[] out = new byte[digits.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
    }
    return ByteString.fromArray(out);
  }

  /** A packet: the first byte, a minimal remaining length, then the parts concatenated. */
  static ByteString packet(int firstByte, ByteString... parts) {
    ByteString body = ByteString.emptyByteString();
    for (ByteString part : parts) {
      body = body.concat(part);
    }
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.write(firstByte);
    int value = body.length();
    do {
      int digit = value & 0x7F;
      value >>>= 7;
      header.write(value > 0 ? digit | 0x80 : digit);
    } while (value > 0);
    return ByteString.fromArray(header.toByteArray()).concat(body);
  }

  /** A length-prefixed UTF-8 string field (1.5.3). */
  static ByteString str(String s) {
    return raw(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A length-prefixed field holding exactly these bytes (possibly ill-formed UTF-8). */
  static ByteString raw(byte[] bytes) {
    return u16(bytes.length).concat(ByteString.fromArray(bytes));
  }

  static ByteString u8(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return ByteString.fromArray(out);
  }

  static ByteString u16(int value) {
    return u8(value >>> 8, value);
  }
}
