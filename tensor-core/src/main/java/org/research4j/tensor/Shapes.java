package org.research4j.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by tensors and ops: element counts, rows, printing. */
final class Shapes {
  private Shapes() {}

  /** Element count of a shape; rejects negative dimensions and counts that overflow an int. */
  static int numel(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
      n *= d;
      if (n > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "shape " + str(shape) + " has more than 2^31-1 elements; buffers are int-indexed");
      }
    }
    return (int) n;
  }

  /** Elements per row when the last dimension is the row: the product of all leading dims. */
  static int rows(int[] shape) {
    int last = shape.length == 0 ? 1 : shape[shape.length - 1];
    return last == 0 ? 0 : numel(shape) / last;
  }

  /** {@code shape} with its last dimension replaced by {@code last}. */
  static int[] withLast(int[] shape, int last) {
    int[] s = shape.clone();
    s[s.length - 1] = last;
    return s;
  }

  /** {@code shape} with {@code extra} appended. */
  static int[] append(int[] shape, int extra) {
    int[] s = Arrays.copyOf(shape, shape.length + 1);
    s[shape.length] = extra;
    return s;
  }

  static String str(int[] shape) {
    return Arrays.toString(shape);
  }
}
