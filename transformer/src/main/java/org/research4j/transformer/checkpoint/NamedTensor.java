package org.research4j.transformer.checkpoint;

import java.util.Arrays;

/**
 * A float32 tensor on the heap, row-major, as it is written to or read from a checkpoint. The
 * arrays are not copied: the caller must not change them while a writer uses them.
 */
public record NamedTensor(float[] data, int[] shape) {
  public NamedTensor {
    long n = numel(shape);
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " holds "
              + n
              + " elements but the data has "
              + data.length);
    }
  }

  /** Number of elements of a shape; every dimension must be non-negative. */
  public static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NamedTensor t
        && Arrays.equals(data, t.data)
        && Arrays.equals(shape, t.shape);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(data) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return "NamedTensor" + Arrays.toString(shape);
  }
}
