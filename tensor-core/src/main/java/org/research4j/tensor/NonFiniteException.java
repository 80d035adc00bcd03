package org.research4j.tensor;

/**
 * Thrown by the NaN/Inf debug check ({@link Tape#setNanCheck}) at the first op whose output (or, in
 * backward, whose input gradient) holds a NaN or an infinity.
 */
public final class NonFiniteException extends IllegalStateException {
  private final String op;
  private final int opIndex;
  private final int count;

  NonFiniteException(String message, String op, int opIndex, int count) {
    super(message);
    this.op = op;
    this.opIndex = opIndex;
    this.count = count;
  }

  /** Name of the offending op, e.g. {@code "rmsnorm"}. */
  public String op() {
    return op;
  }

  /** 1-based position of the op on the tape since the last reset. */
  public int opIndex() {
    return opIndex;
  }

  /** Number of non-finite values found. */
  public int count() {
    return count;
  }
}
