package org.research4j.kernels;

/**
 * A flat buffer of float32 or int32 elements living on one device. Created by {@link
 * Kernels#allocF32}/{@link Kernels#allocI32} and only usable with the {@link Kernels} that made it.
 */
public interface Buf extends AutoCloseable {

  /** Element type of a buffer. */
  enum Type {
    F32,
    I32
  }

  Type type();

  /** Number of elements. */
  int length();

  /** Releases the device memory (returns it to the device's pool). Idempotent. */
  @Override
  void close();
}
