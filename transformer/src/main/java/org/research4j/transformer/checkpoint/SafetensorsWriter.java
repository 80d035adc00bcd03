package org.research4j.transformer.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes one {@code .safetensors} file from float32 tensors, stored as F32, BF16 or F16. Tensors
 * are laid out in the order of the given names; the header is padded with spaces to a multiple of 8
 * bytes (as the reference implementation does) so the data starts aligned. The file is fsynced
 * before this returns.
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK_BYTES = 1 << 20;

  private SafetensorsWriter() {}

  /**
   * Writes {@code names} (looked up through {@code tensors}) to {@code file} in {@code dtype}, with
   * {@code metadata} as the header's {@code __metadata__} (Hugging Face loaders want {@code
   * "format": "pt"}).
   */
  public static void write(
      Path file,
      List<String> names,
      Function<String, NamedTensor> tensors,
      DType dtype,
      Map<String, String> metadata)
      throws IOException {
    write(
        file, names, n -> tensors.apply(n).shape(), n -> tensors.apply(n).data(), dtype, metadata);
  }

  /**
   * Writes {@code names} with their shapes from {@code shapes} and their values from {@code data},
   * which is asked for one tensor at a time while it is written (the header needs only the shapes),
   * so that tensors copied from a device on demand are held in memory one at a time.
   */
  public static void write(
      Path file,
      List<String> names,
      Function<String, int[]> shapes,
      Function<String, float[]> data,
      DType dtype,
      Map<String, String> metadata)
      throws IOException {
    if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
      throw new IllegalArgumentException(
          "safetensors are written as F32, BF16 or F16, not " + dtype);
    }
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (String name : names) {
      int[] dims = shapes.apply(name);
      ObjectNode e = header.putObject(name);
      e.put("dtype", dtype.name());
      ArrayNode shape = e.putArray("shape");
      for (int d : dims) {
        shape.add(d);
      }
      long bytes = NamedTensor.numel(dims) * dtype.bytes();
      e.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) & ~7;

    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      buf.putLong(padded);
      flush(ch, buf);
      ByteBuffer head = ByteBuffer.allocate(padded);
      head.put(json);
      while (head.hasRemaining()) {
        head.put((byte) ' ');
      }
      head.flip();
      while (head.hasRemaining()) {
        ch.write(head);
      }
      for (String name : names) {
        float[] values = data.apply(name);
        long expected = NamedTensor.numel(shapes.apply(name));
        if (values.length != expected) {
          throw new IllegalArgumentException(
              name + ": shape holds " + expected + " values but the data has " + values.length);
        }
        for (int start = 0; start < values.length; ) {
          if (buf.remaining() < 4) {
            flush(ch, buf);
          }
          int len = Math.min(values.length - start, buf.remaining() / dtype.bytes());
          if (dtype == DType.F32) {
            buf.asFloatBuffer().put(values, start, len);
            buf.position(buf.position() + 4 * len);
          } else {
            for (int i = start; i < start + len; i++) {
              buf.putShort(
                  dtype == DType.BF16
                      ? HalfFloats.floatToBf16(values[i])
                      : HalfFloats.floatToF16(values[i]));
            }
          }
          start += len;
        }
      }
      flush(ch, buf);
      ch.force(true);
    }
  }

  private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
  }
}
