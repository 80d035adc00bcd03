package org.research4j.transformer.checkpoint;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Named tensors read on request and converted to float32: one safetensors file ({@link
 * SafetensorsFile}) or a whole, possibly sharded, checkpoint ({@link Checkpoint}). Closing it
 * unmaps the files; arrays already returned stay valid.
 */
public interface TensorStore extends AutoCloseable {

  /** Tensor names, sorted. */
  List<String> names();

  /** Whether a tensor of that name exists. */
  boolean contains(String name);

  /** Shape of a tensor (a fresh copy). */
  int[] shape(String name);

  /** Element type the tensor is stored in. */
  DType dtype(String name);

  /** The tensor converted to float32, row-major. */
  float[] readF32(String name);

  /** Where the tensors come from, for messages ("checkpoint /models/qwen"). */
  String source();

  /**
   * The tensor converted to float32, after checking that its shape is {@code expectedShape}: the
   * model states what it expects and a mismatch is reported with both shapes.
   */
  default float[] readF32(String name, int... expectedShape) {
    int[] actual = shape(name);
    if (!Arrays.equals(actual, expectedShape)) {
      throw new CheckpointException(
          "tensor "
              + name
              + ": checkpoint has shape "
              + Arrays.toString(actual)
              + ", model expects "
              + Arrays.toString(expectedShape)
              + " (in "
              + source()
              + ")");
    }
    return readF32(name);
  }

  /**
   * The tensor as bfloat16 bit patterns, after the same shape check as {@link #readF32(String,
   * int...)}: a BF16 tensor's bits as stored, others rounded to the nearest bfloat16.
   */
  default short[] readBf16(String name, int... expectedShape) {
    return org.research4j.kernels.Bf16.round(readF32(name, expectedShape));
  }

  /** The message for a missing tensor: names a few that do exist to show the naming scheme. */
  default CheckpointException missing(String name) {
    List<String> all = names();
    String examples = all.stream().limit(5).collect(Collectors.joining(", "));
    return new CheckpointException(
        source()
            + " has no tensor "
            + name
            + " (it has "
            + all.size()
            + " tensors"
            + (all.isEmpty() ? "" : ", e.g. " + examples)
            + ")");
  }

  @Override
  void close();
}
