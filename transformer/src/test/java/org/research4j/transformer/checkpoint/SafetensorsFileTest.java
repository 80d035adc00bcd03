package org.research4j.transformer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir Path tmp;

  /** A safetensors file assembled byte by byte, independent of {@link SafetensorsWriter}. */
  static Path rawFile(Path file, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Files.write(file, b.array());
    return file;
  }

  static byte[] le16(int... values) {
    ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putShort((short) v);
    }
    return b.array();
  }

  @Test
  void f32RoundTripIsExact() throws IOException {
    long seed = 42;
    Random r = new Random(seed);
    float[] a = new float[3 * 5];
    float[] b = new float[7];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = Float.intBitsToFloat(r.nextInt()); // any bit pattern, NaNs and subnormals included
    }
    Map<String, NamedTensor> t =
        Map.of("a", new NamedTensor(a, new int[] {3, 5}), "b", new NamedTensor(b, new int[] {7}));
    Path f = tmp.resolve("x.safetensors");
    SafetensorsWriter.write(f, List.of("a", "b"), t::get, DType.F32, Map.of("format", "pt"));
    try (SafetensorsFile sf = SafetensorsFile.open(f)) {
      assertEquals(List.of("a", "b"), sf.names());
      assertArrayEquals(new int[] {3, 5}, sf.shape("a"));
      assertEquals(DType.F32, sf.dtype("b"));
      assertArrayEquals(a, sf.readF32("a", 3, 5), "seed " + seed);
      float[] back = sf.readF32("b");
      for (int i = 0; i < b.length; i++) {
        assertEquals(
            Float.floatToRawIntBits(b[i]),
            Float.floatToRawIntBits(back[i]),
            "seed " + seed + " index " + i);
      }
      assertEquals("pt", sf.metadata().get("format"));
    }
    // The data must start 8-byte aligned: header length padded.
    long headerLen =
        ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLen % 8);
  }

  @Test
  void bf16AndF16WrittenAreDecodedToTheRoundedValues() throws IOException {
    float[] v = {1.0f, -2.5f, 1.0f / 3.0f, 1e-6f, 65504f};
    Map<String, NamedTensor> t = Map.of("w", new NamedTensor(v, new int[] {5}));
    for (DType d : List.of(DType.BF16, DType.F16)) {
      Path f = tmp.resolve(d + ".safetensors");
      SafetensorsWriter.write(f, List.of("w"), t::get, d, Map.of());
      try (SafetensorsFile sf = SafetensorsFile.open(f)) {
        assertEquals(d, sf.dtype("w"));
        float[] back = sf.readF32("w");
        for (int i = 0; i < v.length; i++) {
          float expected =
              d == DType.BF16
                  ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i]))
                  : HalfFloats.f16ToFloat(HalfFloats.floatToF16(v[i]));
          assertEquals(expected, back[i], 0.0f, d + " element " + i);
        }
      }
    }
  }

  @Test
  void decodesHandWrittenBf16AndF16Bytes() throws IOException {
    String header =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[12,20]}}";
    byte[] data = new byte[20];
    System.arraycopy(le16(0x3C00, 0x0001, 0x7C00, 0xFC00, 0xC000, 0x7BFF), 0, data, 0, 12);
    System.arraycopy(le16(0x3F80, 0x0001, 0x7F80, 0xBF00), 0, data, 12, 8);
    try (SafetensorsFile sf =
        SafetensorsFile.open(rawFile(tmp.resolve("raw.safetensors"), header, data))) {
      assertArrayEquals(
          new float[] {1f, 0x1p-24f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -2f, 65504f},
          sf.readF32("h", 2, 3));
      assertArrayEquals(
          new float[] {1f, 0x1p-133f, Float.POSITIVE_INFINITY, -0.5f}, sf.readF32("b"));
    }
  }

  @Test
  void tensorsLargerThanTheWriteBufferAndConversionChunkRoundTrip() throws IOException {
    int n =
        (1 << 18)
            + 5; // over 1 MiB as F32 (the writer's buffer), several 64K-element conversion chunks
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (i % 512) - 256; // exactly representable in bf16 and f16
    }
    Map<String, NamedTensor> t = Map.of("big", new NamedTensor(v, new int[] {n}));
    for (DType d : List.of(DType.F32, DType.BF16, DType.F16)) {
      Path f = tmp.resolve("big-" + d + ".safetensors");
      SafetensorsWriter.write(f, List.of("big"), t::get, d, Map.of());
      try (SafetensorsFile sf = SafetensorsFile.open(f)) {
        assertArrayEquals(v, sf.readF32("big"), d.toString());
      }
    }
  }

  @Test
  void missingTensorAndShapeMismatchAreExplained() throws IOException {
    Map<String, NamedTensor> t =
        Map.of("model.norm.weight", new NamedTensor(new float[4], new int[] {4}));
    Path f = tmp.resolve("m.safetensors");
    SafetensorsWriter.write(f, List.of("model.norm.weight"), t::get, DType.F32, Map.of());
    try (SafetensorsFile sf = SafetensorsFile.open(f)) {
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> sf.readF32("lm_head.weight"));
      assertEquals(
          "checkpoint "
              + f
              + " has no tensor lm_head.weight (it has 1 tensors, e.g. model.norm.weight)",
          e.getMessage());
      e = assertThrows(CheckpointException.class, () -> sf.readF32("model.norm.weight", 8));
      assertTrue(
          e.getMessage()
              .startsWith("tensor model.norm.weight: checkpoint has shape [4], model expects [8]"),
          e.getMessage());
    }
  }

  @Test
  void truncatedFileIsRefusedNamingTheFile() throws IOException {
    Path tiny = tmp.resolve("tiny.safetensors");
    Files.write(tiny, new byte[] {1, 2, 3});
    CheckpointException e =
        assertThrows(CheckpointException.class, () -> SafetensorsFile.open(tiny));
    assertTrue(
        e.getMessage().contains(tiny.toString()) && e.getMessage().contains("truncated"),
        e.getMessage());

    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
    Path cut = rawFile(tmp.resolve("cut.safetensors"), header, new byte[10]);
    e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(cut));
    assertTrue(
        e.getMessage().contains(cut.toString()) && e.getMessage().contains("out of range"),
        e.getMessage());

    byte[] whole = Files.readAllBytes(rawFile(tmp.resolve("h.safetensors"), header, new byte[16]));
    Path headerCut = tmp.resolve("headercut.safetensors");
    Files.write(headerCut, java.util.Arrays.copyOf(whole, 20));
    e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(headerCut));
    assertTrue(
        e.getMessage().contains("truncated") && e.getMessage().contains(headerCut.toString()),
        e.getMessage());
  }

  @Test
  void badHeaderLengthIsRefused() throws IOException {
    Path f = tmp.resolve("bad.safetensors");
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(-5);
    Files.write(f, b.array());
    CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
    assertTrue(
        e.getMessage().contains("bad safetensors header length -5")
            && e.getMessage().contains(f.toString()),
        e.getMessage());
    b.clear();
    b.putLong(1L << 40);
    Files.write(f, b.array());
    e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
    assertTrue(e.getMessage().contains("bad safetensors header length"), e.getMessage());
  }

  @Test
  void inconsistentHeadersAreRefused() throws IOException {
    Map<String, String> cases =
        Map.of(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}",
                "span 16 bytes but F32 shape [3] needs 12",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,4]}}", "out of range",
            "{\"w\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                "unknown dtype \"Q4\"",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}",
                "bad dimension -4",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", "needs dtype, shape and data_offsets",
            "{\"w\": [1, 2", "not valid JSON",
            "[1,2,3]", "not a JSON object");
    int i = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path f = rawFile(tmp.resolve("c" + i++ + ".safetensors"), c.getKey(), new byte[16]);
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f), c.getKey());
      assertTrue(
          e.getMessage().contains(c.getValue()) && e.getMessage().startsWith(f.toString()),
          c.getKey() + " -> " + e.getMessage());
    }
  }

  @Test
  void unconvertibleDtypeIsListedButNotReadAsFloat() throws IOException {
    String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
    try (SafetensorsFile sf =
        SafetensorsFile.open(rawFile(tmp.resolve("i.safetensors"), header, new byte[16]))) {
      assertEquals(DType.I64, sf.dtype("ids"));
      CheckpointException e = assertThrows(CheckpointException.class, () -> sf.readF32("ids"));
      assertTrue(e.getMessage().contains("only F32, BF16 and F16"), e.getMessage());
    }
  }
}
