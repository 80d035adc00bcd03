package org.research4j.transformer.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One {@code .safetensors} file, memory-mapped and read-only.
 *
 * <p>Layout: an 8-byte little-endian header length N, N bytes of JSON header {@code {name:
 * {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}, then the data; offsets
 * count from the first data byte. The whole header is validated on open (every offset inside the
 * file, every byte size equal to shape × dtype size), so a truncated or corrupt file fails here
 * with its path rather than later with garbage weights.
 *
 * <p>The file is mapped through {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)} as
 * one {@link MemorySegment}, which has no 2 GiB limit; {@link #close()} unmaps it.
 */
public final class SafetensorsFile implements TensorStore {

  /** A header larger than this is taken as a corrupt length, not a real header. */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private static final ValueLayout.OfFloat F32_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort I16_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A tensor's place in the file: offsets are absolute file positions. */
  private record Entry(DType dtype, int[] shape, long begin, long end) {}

  private final Path path;
  private final Arena arena;
  private final MemorySegment segment;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private SafetensorsFile(
      Path path,
      Arena arena,
      MemorySegment segment,
      Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.path = path;
    this.arena = arena;
    this.segment = segment;
    this.entries = entries;
    this.metadata = metadata;
  }

  /** Maps and validates a safetensors file. */
  public static SafetensorsFile open(Path path) throws IOException {
    Arena arena = Arena.ofShared();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new CheckpointException(
            path
                + ": truncated safetensors file ("
                + size
                + " bytes, less than the 8-byte header length)");
      }
      MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      long headerLen =
          seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
        throw new CheckpointException(
            path
                + ": bad safetensors header length "
                + headerLen
                + " (must be 1.."
                + MAX_HEADER_BYTES
                + "); the file is not safetensors or is corrupt");
      }
      if (8 + headerLen > size) {
        throw new CheckpointException(
            path
                + ": truncated safetensors file: header says "
                + headerLen
                + " header bytes but the file has only "
                + (size - 8)
                + " after the length");
      }
      byte[] header = seg.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
      long dataStart = 8 + headerLen;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, Entry> entries = parseHeader(path, header, dataStart, size, metadata);
      return new SafetensorsFile(path, arena, seg, entries, Collections.unmodifiableMap(metadata));
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static Map<String, Entry> parseHeader(
      Path path, byte[] header, long dataStart, long fileSize, Map<String, String> metadata) {
    JsonNode root;
    try {
      root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new CheckpointException(
          path + ": safetensors header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointException(path + ": safetensors header is not a JSON object");
    }
    long dataSize = fileSize - dataStart;
    Map<String, Entry> entries = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      JsonNode v = f.getValue();
      if (name.equals("__metadata__")) {
        v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      String where = path + ": tensor " + name;
      if (!v.isObject() || !v.has("dtype") || !v.has("shape") || !v.has("data_offsets")) {
        throw new CheckpointException(where + ": header entry needs dtype, shape and data_offsets");
      }
      DType dtype = DType.parse(v.get("dtype").asText(), where);
      JsonNode shapeNode = v.get("shape");
      int[] shape = new int[shapeNode.size()];
      for (int i = 0; i < shape.length; i++) {
        long d = shapeNode.get(i).asLong(-1);
        if (d < 0 || d > Integer.MAX_VALUE) {
          throw new CheckpointException(
              where + ": bad dimension " + shapeNode.get(i) + " in shape " + shapeNode);
        }
        shape[i] = (int) d;
      }
      JsonNode off = v.get("data_offsets");
      if (!off.isArray()
          || off.size() != 2
          || !off.get(0).canConvertToLong()
          || !off.get(1).canConvertToLong()) {
        throw new CheckpointException(where + ": data_offsets must be [begin, end], got " + off);
      }
      long begin = off.get(0).asLong();
      long end = off.get(1).asLong();
      if (begin < 0 || end < begin || end > dataSize) {
        throw new CheckpointException(
            where
                + ": data_offsets ["
                + begin
                + ", "
                + end
                + "] out of range: the data section has "
                + dataSize
                + " bytes (file truncated or header corrupt)");
      }
      long expected = NamedTensor.numel(shape) * dtype.bytes();
      if (end - begin != expected) {
        throw new CheckpointException(
            where
                + ": data_offsets ["
                + begin
                + ", "
                + end
                + "] span "
                + (end - begin)
                + " bytes but "
                + dtype
                + " shape "
                + shapeNode
                + " needs "
                + expected);
      }
      entries.put(name, new Entry(dtype, shape, dataStart + begin, dataStart + end));
    }
    return entries;
  }

  /** The file this reads. */
  public Path path() {
    return path;
  }

  /** The {@code __metadata__} map of the header (empty if none). */
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public List<String> names() {
    return List.copyOf(entries.keySet());
  }

  @Override
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  @Override
  public int[] shape(String name) {
    return entry(name).shape().clone();
  }

  @Override
  public DType dtype(String name) {
    return entry(name).dtype();
  }

  @Override
  public String source() {
    return "checkpoint " + path;
  }

  @Override
  public float[] readF32(String name) {
    Entry e = entry(name);
    long n = NamedTensor.numel(e.shape());
    if (n > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          "tensor "
              + name
              + " in "
              + path
              + " has "
              + n
              + " elements, more than one Java array holds");
    }
    float[] out = new float[(int) n];
    switch (e.dtype()) {
      case F32 -> MemorySegment.copy(segment, F32_LE, e.begin(), out, 0, out.length);
      case BF16 -> convertHalf(e.begin(), out, true);
      case F16 -> convertHalf(e.begin(), out, false);
      default ->
          throw new CheckpointException(
              "tensor "
                  + name
                  + " in "
                  + path
                  + " is "
                  + e.dtype()
                  + "; only F32, BF16 and F16 tensors can be read as float32");
    }
    return out;
  }

  /** A BF16 tensor's bits copied as stored (no float32 temporary); other dtypes rounded. */
  @Override
  public short[] readBf16(String name, int... expectedShape) {
    Entry e = entry(name);
    if (e.dtype() != DType.BF16) return TensorStore.super.readBf16(name, expectedShape);
    if (!java.util.Arrays.equals(e.shape(), expectedShape)) {
      readF32(name, expectedShape); // throws the shape mismatch
    }
    long n = NamedTensor.numel(e.shape());
    if (n > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          "tensor "
              + name
              + " in "
              + path
              + " has "
              + n
              + " elements, more than one Java array holds");
    }
    short[] out = new short[(int) n];
    MemorySegment.copy(segment, I16_LE, e.begin(), out, 0, out.length);
    return out;
  }

  /** Decodes 16-bit floats in chunks, so the temporary stays small for embedding-sized tensors. */
  private void convertHalf(long begin, float[] out, boolean bf16) {
    short[] chunk = new short[Math.min(out.length, 1 << 16)];
    for (int start = 0; start < out.length; start += chunk.length) {
      int len = Math.min(chunk.length, out.length - start);
      MemorySegment.copy(segment, I16_LE, begin + 2L * start, chunk, 0, len);
      if (bf16) {
        for (int i = 0; i < len; i++) {
          out[start + i] = HalfFloats.bf16ToFloat(chunk[i]);
        }
      } else {
        for (int i = 0; i < len; i++) {
          out[start + i] = HalfFloats.f16ToFloat(chunk[i]);
        }
      }
    }
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw missing(name);
    }
    return e;
  }

  @Override
  public void close() {
    arena.close();
  }
}
