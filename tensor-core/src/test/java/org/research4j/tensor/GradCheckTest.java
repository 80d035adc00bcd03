package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.gaussian;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checker itself: it passes a right backward and catches wrong ones. */
class GradCheckTest {

  /** {@code y = 2x} as a custom op whose backward multiplies by {@code backwardFactor}. */
  private static Tensor doubled(Ops ops, Tensor x, float backwardFactor) {
    Tape tape = ops.tape();
    Tensor y = tape.allocate(x.shape());
    tape.kernels().copy(x.buf(), 0, y.buf(), 0, x.numel());
    tape.kernels().scale(y.buf(), 2f, x.numel());
    return tape.record(
        "doubled",
        y,
        new Tensor[] {x},
        () -> tape.kernels().axpy(backwardFactor, tape.grad(y), tape.grad(x), x.numel()));
  }

  private static GradCheck.Result checkDoubled(float backwardFactor, long seed) {
    float[] xh = gaussian(new Random(seed), 30, 1);
    try (Parameter x = Parameter.of(CPU, "x", xh, 30)) {
      GradCheck.Result r =
          GradCheck.check(
              CPU, List.of(x), ops -> doubled(ops, x, backwardFactor), GradCheck.Config.of(seed));
      assertArrayEquals(xh, x.toFloatArray(), 0f, "inputs restored after the check");
      return r;
    }
  }

  @Test
  void passesTheRightBackward() {
    GradCheck.Result r = checkDoubled(2f, 41);
    assertTrue(r.ok(), r.toString());
    assertEquals(30, r.checked());
  }

  @Test
  void catchesABackwardTwoPercentOff() {
    GradCheck.Result r = checkDoubled(2.04f, 42);
    assertFalse(r.ok(), "a 2% error must fail: " + r);
    assertTrue(r.toString().contains("'x'"), "names the input: " + r);
  }

  @Test
  void catchesAMissingBackward() {
    assertFalse(checkDoubled(0f, 43).ok());
  }

  @Test
  void samplesLargeInputs() {
    Random rnd = new Random(44);
    try (Parameter x = Parameter.of(CPU, "x", gaussian(rnd, 500, 1), 500)) {
      GradCheck.Config c = new GradCheck.Config(1e-2, 1e-2, 1e-5, 10, 44);
      GradCheck.Result r = GradCheck.check(CPU, List.of(x), ops -> ops.mul(x, x), c);
      assertTrue(r.ok(), r.toString());
      assertEquals(10, r.checked());
    }
  }
}
