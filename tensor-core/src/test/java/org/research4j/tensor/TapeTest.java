package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.tensor.Fixtures.CPU;
import static org.research4j.tensor.Fixtures.gaussian;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The tape's bookkeeping: recording modes, gradient accumulation, views and pooled memory. */
class TapeTest {

  @Test
  void noGradRecordsNothing() {
    try (Tape tape = new Tape(CPU);
        Parameter w = Parameter.of(CPU, "w", gaussian(new Random(51), 12, 1), 3, 4)) {
      Ops ops = tape.ops();
      Tensor y;
      try (Tape.NoGrad ignored = tape.noGrad()) {
        assertFalse(tape.recording());
        y = ops.sum(ops.linear(tape.zeros(2, 4), w, null));
      }
      assertTrue(tape.recording());
      assertEquals(0, tape.recordedOps());
      assertFalse(y.requiresGrad());
      assertThrows(IllegalArgumentException.class, () -> tape.backward(y));
      Tensor z = ops.sum(ops.linear(tape.zeros(2, 4), w, null));
      assertTrue(z.requiresGrad());
      assertEquals(2, tape.recordedOps());
    }
  }

  @Test
  void gradientsAccumulateAcrossUsesAndMicroBatches() {
    // y = sum(x * x) + sum(x): dy/dx = 2x + 1, and twice that after two backward passes.
    float[] xh = {0.5f, -1f, 2f};
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", xh, 3)) {
      for (int pass = 1; pass <= 2; pass++) {
        tape.reset();
        Ops ops = tape.ops();
        tape.backward(ops.add(ops.sum(ops.mul(x, x)), ops.sum(x)));
        float[] expected = new float[3];
        for (int i = 0; i < 3; i++) expected[i] = pass * (2 * xh[i] + 1);
        assertArrayEquals(expected, x.gradToFloatArray(), 1e-6f, "after pass " + pass);
      }
      x.zeroGrad();
      assertArrayEquals(new float[3], x.gradToFloatArray());
    }
  }

  @Test
  void detachCopiesValuesAndStopsGradient() {
    // y = sum(x * detach(x)): dy/dx = detach(x) = x, where sum(x * x) would give 2x.
    float[] xh = {0.5f, -1f, 2f};
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", xh, 3)) {
      Ops ops = tape.ops();
      Tensor d = ops.detach(x);
      assertFalse(d.requiresGrad());
      assertArrayEquals(xh, d.toFloatArray(), 0f);
      tape.backward(ops.sum(ops.mul(x, d)));
      assertArrayEquals(xh, x.gradToFloatArray(), 1e-6f);
    }
  }

  @Test
  void aViewSharesDataAndGradient() {
    try (Tape tape = new Tape(CPU);
        Parameter w = Parameter.of(CPU, "w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
      Ops ops = tape.ops();
      Tensor flat = w.view(-1);
      assertArrayEquals(new int[] {6}, flat.shape());
      assertTrue(flat.requiresGrad());
      tape.backward(ops.sum(ops.scale(flat, 2f)));
      assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, w.gradToFloatArray());
    }
  }

  @Test
  void backwardRunsOncePerStep() {
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", new float[] {1}, 1)) {
      Tensor loss = tape.ops().sum(x);
      tape.backward(loss);
      assertThrows(IllegalStateException.class, () -> tape.backward(loss));
      assertThrows(IllegalStateException.class, () -> tape.ops().sum(x));
      tape.reset();
      tape.backward(tape.ops().sum(x));
      assertArrayEquals(new float[] {2}, x.gradToFloatArray());
    }
  }

  @Test
  void resetReleasesActivationsAndTheLoopStopsAllocating() {
    Random rnd = new Random(52);
    try (Tape tape = new Tape(CPU);
        Parameter w = Parameter.of(CPU, "w", gaussian(rnd, 64 * 32, 0.1), 64, 32);
        Parameter norm = Parameter.of(CPU, "norm", gaussian(rnd, 64, 1), 64)) {
      long afterFirst = 0;
      Tensor kept = null;
      for (int step = 0; step < 4; step++) {
        tape.reset();
        Ops ops = tape.ops();
        Tensor x = tape.tensor(gaussian(rnd, 10 * 32, 1), 10, 32);
        Tensor h = ops.rmsnorm(ops.linear(x, w, null), norm, 1e-6f);
        tape.backward(ops.crossEntropyMean(h, tape.ints(new int[10], 10), Ops.IGNORE_INDEX));
        if (step == 0) {
          afterFirst = tape.deviceAllocations();
          kept = h;
        }
      }
      assertEquals(afterFirst, tape.deviceAllocations(), "steady state allocates nothing");
      Tensor stale = kept;
      assertTrue(stale.released());
      IllegalStateException e = assertThrows(IllegalStateException.class, stale::toFloatArray);
      assertTrue(e.getMessage().contains("released"), e.getMessage());
    }
  }

  @Test
  void closingAnActivationEarlyReturnsItUnlessBackwardNeedsIt() {
    try (Tape tape = new Tape(CPU);
        Parameter x = Parameter.of(CPU, "x", new float[4], 4)) {
      Tensor scratch;
      try (Tape.NoGrad ignored = tape.noGrad()) {
        scratch = tape.ops().scale(x, 2f);
      }
      long allocations = tape.deviceAllocations();
      scratch.close();
      assertTrue(scratch.released());
      tape.zeros(4).close();
      assertEquals(allocations, tape.deviceAllocations(), "the closed buffer was reused");
      Tensor needed = tape.ops().scale(x, 2f);
      tape.ops().sum(needed);
      assertThrows(IllegalStateException.class, needed::close);
    }
  }

  @Test
  void sizeClassesWasteAtMostAQuarter() {
    for (int n : new int[] {1, 64, 65, 100, 1000, 4097, 123_457, 1 << 20, (1 << 20) + 1}) {
      int c = BufferPool.sizeClass(n);
      assertTrue(c >= n && (n <= 64 || c <= n * 1.25 + 1), n + " -> " + c);
    }
  }
}
