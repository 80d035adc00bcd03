package org.research4j.transformer.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible map from bytes to printable characters, which lets a BPE over "characters"
 * work on raw UTF-8 bytes: the 188 printable Latin-1 bytes ({@code !..~}, {@code ¡..¬}, {@code
 * ®..ÿ}) map to themselves, the other 68 (controls, space, soft hyphen, ...) to U+0100.. in byte
 * order, so a space is {@code Ġ} (U+0120) and a newline {@code Ċ} (U+010A).
 */
public final class ByteLevel {
  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[0x200];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char c = printable ? (char) b : (char) (0x100 + next++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteLevel() {}

  /** The character standing for byte {@code b} (0..255). */
  public static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xFF];
  }

  /** The byte a character stands for, or -1 if it is not one of the 256 byte characters. */
  public static int byteOf(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** The UTF-8 bytes of {@code text}, one byte character each. */
  public static String encode(String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    char[] out = new char[utf8.length];
    for (int i = 0; i < utf8.length; i++) {
      out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
    }
    return new String(out);
  }

  /**
   * Appends the bytes a token stands for. A character outside the byte alphabet (possible only in
   * hand-made vocabularies) contributes its own UTF-8 bytes, as Hugging Face's decoder does.
   */
  public static void appendBytes(String token, ByteArrayOutputStream out) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      int b = byteOf(c);
      if (b >= 0) {
        out.write(b);
      } else {
        int cp = token.codePointAt(i);
        byte[] raw = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(raw, 0, raw.length);
        i += Character.charCount(cp) - 1;
      }
    }
  }

  /** All 256 byte characters in byte order: the initial alphabet of a byte-level BPE. */
  public static String alphabet() {
    return new String(BYTE_TO_CHAR);
  }
}
