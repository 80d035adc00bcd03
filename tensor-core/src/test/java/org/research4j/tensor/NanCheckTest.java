package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.tensor.Fixtures.CPU;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/** The NaN/Inf debug switch names the first op that produced a non-finite value. */
@ResourceLock("nan-check")
class NanCheckTest {
  private boolean before;

  @BeforeEach
  void remember() {
    before = Tape.nanCheck();
  }

  @AfterEach
  void restore() {
    Tape.setNanCheck(before);
  }

  /** linear (#1), mul by zero (#2), rmsnorm with eps 0 on zero rows: 0 * inf = NaN (#3), linear. */
  private static Tensor chain(Tape tape, Parameter w, Parameter g) {
    Ops ops = tape.ops();
    Tensor h = ops.linear(tape.tensor(new float[] {1, 2, 3, 4, 5, 6}, 3, 2), w, null);
    Tensor zeroed = ops.mul(h, tape.zeros(3, 4));
    return ops.linear(ops.rmsnorm(zeroed, g, 0f), w.view(2, 4), null);
  }

  @Test
  void forwardNamesTheFirstOffendingOp() {
    Tape.setNanCheck(true);
    try (Tape tape = new Tape(CPU);
        Parameter w = Parameter.of(CPU, "w", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
        Parameter g = Parameter.of(CPU, "g", new float[] {1, 1, 1, 1}, 4)) {
      NonFiniteException e = assertThrows(NonFiniteException.class, () -> chain(tape, w, g));
      assertEquals(
          "op rmsnorm (#3 on the tape) produced 12 non-finite values in its output [3, 4]",
          e.getMessage());
      assertEquals("rmsnorm", e.op());
      assertEquals(3, e.opIndex());
      assertEquals(12, e.count());
    }
  }

  @Test
  void offByDefaultTheNaNsPropagate() {
    Tape.setNanCheck(false);
    try (Tape tape = new Tape(CPU);
        Parameter w = Parameter.of(CPU, "w", new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
        Parameter g = Parameter.of(CPU, "g", new float[] {1, 1, 1, 1}, 4)) {
      for (float v : chain(tape, w, g).toFloatArray()) assertTrue(Float.isNaN(v));
    }
  }

  @Test
  void backwardNamesTheOpWhoseGradientWentBad() {
    Tape.setNanCheck(true);
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", new float[] {1, 2, 3, 4}, 4)) {
      Ops ops = tape.ops();
      Tensor y = tape.allocate(4);
      tape.kernels().copy(x.buf(), 0, y.buf(), 0, 4);
      tape.record(
          "poison", y, new Tensor[] {x}, () -> tape.kernels().fill(tape.grad(x), 0, 4, Float.NaN));
      Tensor loss = ops.sum(ops.scale(y, 3f));
      NonFiniteException e = assertThrows(NonFiniteException.class, () -> tape.backward(loss));
      assertEquals(
          "backward of op poison (#1 on the tape) produced 4 non-finite values in the gradient of"
              + " input 0 'x' F32[4]",
          e.getMessage());
    }
  }
}
