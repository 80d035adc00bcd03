package org.research4j.kernels;

/**
 * A flat buffer of float32, int32, bfloat16 or int8 elements living on one device. Created by
 * {@link Kernels#allocF32}/{@link Kernels#allocI32}/{@link Kernels#allocBf16} and only usable with
 * the {@link Kernels} that made it. bfloat16 buffers hold frozen weights only: the kernels that
 * read them are {@link Kernels#sgemmBf16} and {@link Kernels#embeddingForwardBf16}. A bfloat16
 * matrix from {@link Kernels#allocBf16Matrix} may be stored in a device layout of its own; its
 * {@link #length()} and every upload and download still address it as row-major {@code [rows,
 * cols]}. An int8 buffer is always a weight matrix ({@link Kernels#allocInt8Matrix}): its {@code
 * rows * cols} int8 values (its {@link #length()}) and one float32 scale per row, read by {@link
 * Kernels#sgemmInt8} and {@link Kernels#embeddingForwardInt8} only.
 */
public interface Buf extends AutoCloseable {

  /** Element type of a buffer. */
  enum Type {
    F32,
    I32,
    /** bfloat16: the top 16 bits of a float32, read widened to float32 by the kernels. */
    BF16,
    /**
     * int8 weights with one float32 scale per row: element {@code (r, c)} stands for {@code q[r, c]
     * * scale[r]} (see {@link Int8}).
     */
    I8
  }

  Type type();

  /** Number of elements. */
  int length();

  /** Releases the device memory (returns it to the device's pool). Idempotent. */
  @Override
  void close();
}
