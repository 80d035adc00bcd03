package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.kernels.cpu.Fixtures.assertClose;
import static org.research4j.kernels.cpu.Fixtures.plus;
import static org.research4j.kernels.cpu.Fixtures.toDouble;
import static org.research4j.kernels.cpu.Fixtures.uniform;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.research4j.kernels.Buf;

/**
 * Every non-attention primitive of {@link CpuKernels} against {@link ReferenceKernels} (double
 * precision) on random inputs with fixed seeds. Unless a test says otherwise the tolerance is
 * {@value #TOL} times the largest reference magnitude; backward kernels start from random gradient
 * buffers (they must accumulate), and each reference backward is checked against central finite
 * differences of its reference forward.
 */
class CpuKernelsTest {
  private static final double TOL = 1e-5;

  /** Finite differences in double: step and tolerance (relative to the gradient's magnitude). */
  private static final double FD_H = 1e-6;

  private static final double FD_TOL = 1e-7;

  private final CpuKernels kernels = new CpuKernels();

  private static Buf w(float[] x) {
    return CpuBuf.wrap(x);
  }

  private static Buf w(int[] x) {
    return CpuBuf.wrap(x);
  }

  // ---------------------------------------------------------------------------------------------
  // Memory.

  @Test
  void memoryOpsMoveExactlyTheRequestedRange() {
    assertTrue(kernels.description().startsWith("cpu: Java Vector API ("), kernels.description());
    Buf f = kernels.allocF32(10);
    float[] back = new float[10];
    kernels.download(f, 0, back, 0, 10);
    assertArrayEquals(new float[10], back, "allocF32 is zero-filled");
    kernels.upload(new float[] {1, 2, 3, 4}, 1, f, 5, 3);
    kernels.fill(f, 0, 2, 7f);
    Buf g = kernels.allocF32(10);
    kernels.copy(f, 4, g, 0, 4);
    kernels.sync();
    kernels.download(f, 0, back, 0, 10);
    assertArrayEquals(new float[] {7, 7, 0, 0, 0, 2, 3, 4, 0, 0}, back);
    kernels.download(g, 0, back, 2, 4);
    assertArrayEquals(new float[] {7, 7, 0, 2, 3, 4, 3, 4, 0, 0}, back);

    Buf ints = kernels.allocI32(4);
    int[] ib = new int[4];
    kernels.upload(new int[] {9, 8, 7}, 0, ints, 1, 3);
    Buf ints2 = kernels.allocI32(4);
    kernels.copy(ints, 1, ints2, 0, 3);
    kernels.download(ints2, 0, ib, 0, 4);
    assertArrayEquals(new int[] {9, 8, 7, 0}, ib);
    assertThrows(IllegalArgumentException.class, () -> kernels.copy(f, 0, ints, 0, 1));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> kernels.upload(new float[4], 0, f, 8, 4));
    assertTrue(e.getMessage().startsWith("upload: dst has 10 elements"), e.getMessage());
  }

  @Test
  void sgemmDelegatesAndChecksShapes() {
    long seed = 3;
    SplittableRandom r = new SplittableRandom(seed);
    int m = 5, n = 7, k = 9;
    float[] a = uniform(r, k * m, 1); // stored [k, m]: transA
    float[] b = uniform(r, k * n, 1);
    float[] c = uniform(r, m * n, 1);
    double[] want = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int p = 0; p < k; p++) acc += (double) a[p * m + i] * b[p * n + j];
        want[i * n + j] = 2 * acc + 0.5 * c[i * n + j];
      }
    }
    kernels.sgemm(true, false, m, n, k, 2f, w(a), 0, m, w(b), 0, n, 0.5f, w(c), 0, n);
    assertClose("sgemm", seed, want, c, TOL);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> kernels.sgemm(false, false, m, n, k, 1f, w(a), 1, k, w(b), 0, n, 0f, w(c), 0, n));
    assertTrue(e.getMessage().startsWith("sgemm: a has 45 elements"), e.getMessage());
  }

  @Test
  void writeCachePlacesRowsAtEachSequencesStart() {
    int b = 2, tn = 3, tmax = 6, row = 5;
    float[] src = uniform(new SplittableRandom(1), b * tn * row, 1);
    float[] cache = new float[b * tmax * row];
    kernels.writeCache(w(src), w(cache), w(new int[] {0, 3}), b, tn, tmax, row);
    float[] want = new float[cache.length];
    System.arraycopy(src, 0, want, 0, tn * row);
    System.arraycopy(src, tn * row, want, (tmax + 3) * row, tn * row);
    assertArrayEquals(want, cache);
    assertThrows(
        IllegalArgumentException.class,
        () -> kernels.writeCache(w(src), w(cache), w(new int[] {0, 4}), b, tn, tmax, row));
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise and reductions.

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 17, 1000, 100_003})
  void elementwiseMatchReference(int n) {
    long seed = n;
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = uniform(r, n, 2);
    float[] b = uniform(r, n, 2);
    float[] acc = uniform(r, n, 2);
    double[] wantAdd = new double[n],
        wantMul = new double[n],
        wantMulAcc = new double[n],
        wantAxpy = new double[n],
        wantScale = new double[n];
    for (int i = 0; i < n; i++) {
      wantAdd[i] = (double) a[i] + b[i];
      wantMul[i] = (double) a[i] * b[i];
      wantMulAcc[i] = acc[i] + (double) a[i] * b[i];
      wantAxpy[i] = b[i] + 0.3 * a[i];
      wantScale[i] = -1.5 * a[i];
    }
    float[] out = new float[n];
    kernels.add(w(a), w(b), w(out), n);
    assertClose("add", seed, wantAdd, out, TOL);
    kernels.mul(w(a), w(b), w(out), n);
    assertClose("mul", seed, wantMul, out, TOL);
    kernels.mulAcc(w(a), w(b), w(acc), n);
    assertClose("mulAcc", seed, wantMulAcc, acc, TOL);
    float[] y = b.clone();
    kernels.axpy(0.3f, w(a), w(y), n);
    assertClose("axpy", seed, wantAxpy, y, TOL);
    float[] x = a.clone();
    kernels.scale(w(x), -1.5f, n);
    assertClose("scale", seed, wantScale, x, TOL);
    float[] alias = a.clone();
    kernels.add(w(alias), w(alias), w(alias), n);
    assertClose("add aliased", seed, toDoubleTimes(a, 2), alias, TOL);
  }

  private static double[] toDoubleTimes(float[] a, double f) {
    double[] y = toDouble(a);
    for (int i = 0; i < y.length; i++) y[i] *= f;
    return y;
  }

  @ParameterizedTest(name = "rows={0} cols={1}")
  @CsvSource({"1, 1", "3, 17", "200, 300", "4000, 24"})
  void biasAndRowSumsMatchReference(int rows, int cols) {
    long seed = rows * 31L + cols;
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = uniform(r, rows * cols, 1);
    float[] bias = uniform(r, cols, 1);
    float[] out = uniform(r, cols, 1);
    double[] wantBias = new double[rows * cols];
    double[] wantSum = toDouble(out);
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < cols; c++) {
        wantBias[i * cols + c] = (double) x[i * cols + c] + bias[c];
        wantSum[c] += x[i * cols + c];
      }
    }
    kernels.sumRowsAcc(w(x), w(out), rows, cols);
    assertClose("sumRowsAcc", seed, wantSum, out, TOL);
    kernels.addBias(w(x), w(bias), rows, cols);
    assertClose("addBias", seed, wantBias, x, TOL);
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 33, 300_007})
  void reductionsMatchReference(int n) {
    long seed = n + 7;
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = uniform(r, n, 3);
    double sum = 0, sq = 0;
    for (float v : x) {
      sum += v;
      sq += (double) v * v;
    }
    float[] out = new float[1];
    kernels.reduceSum(w(x), w(out), n);
    assertEquals(sum, out[0], 1e-6 * Math.max(1, Math.sqrt(sq)), "reduceSum, seed " + seed);
    assertEquals(sq, kernels.sumSquares(w(x), n), 1e-12 * sq, "sumSquares in double, seed " + seed);

    float[] dx = uniform(r, n, 1);
    double[] want = toDouble(dx);
    for (int i = 0; i < n; i++) want[i] += 0.25;
    kernels.reduceSumBackward(w(new float[] {0.25f}), w(dx), n);
    assertClose("reduceSumBackward", seed, want, dx, TOL);

    assertEquals(0, kernels.countNonFinite(w(x), n));
    int bad = 0;
    for (int i = 0; i < n; i += 3) {
      x[i] =
          i % 2 == 0 ? Float.NaN : (i % 5 == 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
      bad++;
    }
    assertEquals(bad, kernels.countNonFinite(w(x), n), "countNonFinite, seed " + seed);
  }

  // ---------------------------------------------------------------------------------------------
  // RMSNorm, RoPE, SwiGLU, embedding.

  @ParameterizedTest(name = "rows={0} dim={1}")
  @CsvSource({"1, 7", "5, 64", "37, 24", "300, 896"})
  void rmsnormMatchesReferenceAndFiniteDifferences(int rows, int dim) {
    long seed = rows * 1000L + dim;
    SplittableRandom r = new SplittableRandom(seed);
    float eps = 1e-6f;
    float[] x = uniform(r, rows * dim, 2);
    float[] wt = uniform(r, dim, 1.5);
    float[] dy = uniform(r, rows * dim, 1);
    float[] y = new float[x.length];
    float[] rstd = new float[rows];
    kernels.rmsnormForward(w(x), w(wt), w(y), w(rstd), rows, dim, eps);
    assertClose(
        "rmsnorm y",
        seed,
        ReferenceKernels.rmsnorm(toDouble(x), toDouble(wt), rows, dim, eps),
        y,
        TOL);

    double[][] g =
        ReferenceKernels.rmsnormBackward(toDouble(x), toDouble(wt), toDouble(dy), rows, dim, eps);
    if (rows * dim <= 400) {
      double[] xd = toDouble(x);
      double[] wd = toDouble(wt);
      assertClose(
          "fd rmsnorm dx",
          seed,
          Fixtures.numericGrad(
              v -> ReferenceKernels.rmsnorm(v, wd, rows, dim, eps), xd, toDouble(dy), FD_H),
          g[0],
          FD_TOL * 10);
      assertClose(
          "fd rmsnorm dw",
          seed,
          Fixtures.numericGrad(
              v -> ReferenceKernels.rmsnorm(xd, v, rows, dim, eps), wd, toDouble(dy), FD_H),
          g[1],
          FD_TOL * 10);
    }
    float[] dx = uniform(r, x.length, 1);
    float[] dw = uniform(r, dim, 1);
    double[] wantDx = plus(dx, g[0]);
    double[] wantDw = plus(dw, g[1]);
    kernels.rmsnormBackward(w(x), w(wt), w(rstd), w(dy), w(dx), w(dw), rows, dim);
    assertClose("rmsnorm dx", seed, wantDx, dx, TOL);
    assertClose("rmsnorm dw", seed, wantDw, dw, TOL);
  }

  @Test
  void rmsnormNamesTheShortArgument() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                kernels.rmsnormForward(
                    w(new float[100]),
                    w(new float[64]),
                    w(new float[128]),
                    w(new float[2]),
                    2,
                    64,
                    1e-6f));
    assertEquals("rmsnormForward: x has 100 elements, rows*dim = 128", e.getMessage());
  }

  @ParameterizedTest(name = "n={0} h={1} d={2}")
  @CsvSource({"1, 1, 2", "3, 2, 24", "7, 3, 24", "33, 4, 64", "5, 2, 128"})
  void ropeMatchesReferenceAndBackwardIsTheTranspose(int n, int h, int d) {
    long seed = n * 100L + h * 10L + d;
    SplittableRandom r = new SplittableRandom(seed);
    float theta = 1_000_000f;
    float[] x = uniform(r, n * h * d, 2);
    int[] pos = new int[n];
    for (int i = 0; i < n; i++) pos[i] = r.nextInt(5000);
    float[] y = new float[x.length];
    kernels.ropeForward(w(x), w(y), w(pos), n, h, d, theta);
    assertClose(
        "rope y", seed, ReferenceKernels.rope(toDouble(x), pos, n, h, d, theta, false), y, TOL);
    float[] inPlace = x.clone();
    kernels.ropeForward(w(inPlace), w(inPlace), w(pos), n, h, d, theta);
    assertArrayEquals(y, inPlace, "rope in place equals out of place");

    // The rotation is orthogonal, so the gradient of sum(dy * R x) is R^T dy = R(-angle) dy.
    float[] dy = uniform(r, x.length, 1);
    double[] g = ReferenceKernels.rope(toDouble(dy), pos, n, h, d, theta, true);
    if (x.length <= 200) {
      double[] fd =
          Fixtures.numericGrad(
              v -> ReferenceKernels.rope(v, pos, n, h, d, theta, false),
              toDouble(x),
              toDouble(dy),
              FD_H);
      assertClose("fd rope dx", seed, fd, g, FD_TOL * 10);
    }
    float[] dx = uniform(r, x.length, 1);
    double[] want = plus(dx, g);
    kernels.ropeBackward(w(dy), w(dx), w(pos), n, h, d, theta);
    assertClose("rope dx", seed, want, dx, TOL);
  }

  /** The float32 angle of Hugging Face differs from the exact one; check the known small case. */
  @Test
  void ropeAtPositionOneRotatesByInverseFrequency() {
    int d = 8;
    float[] x = new float[d];
    x[1] = 1f; // pair (1, 5): rotated by angle theta^(-2/8)
    float[] y = new float[d];
    kernels.ropeForward(w(x), w(y), w(new int[] {1}), 1, 1, d, 10000f);
    double angle = Math.pow(10000, -2.0 / 8);
    assertEquals(Math.cos(angle), y[1], 1e-6);
    assertEquals(Math.sin(angle), y[5], 1e-6);
    assertEquals(0f, y[0]);
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 31, 100_001})
  void swigluMatchesReferenceAndFiniteDifferences(int n) {
    long seed = n + 99;
    SplittableRandom r = new SplittableRandom(seed);
    float[] gate = uniform(r, n, 6);
    float[] up = uniform(r, n, 2);
    float[] dy = uniform(r, n, 1);
    float[] y = new float[n];
    kernels.swigluForward(w(gate), w(up), w(y), n);
    assertClose("swiglu y", seed, ReferenceKernels.swiglu(toDouble(gate), toDouble(up)), y, TOL);
    double[][] g = ReferenceKernels.swigluBackward(toDouble(gate), toDouble(up), toDouble(dy));
    if (n < 100) {
      double[] gd = toDouble(gate);
      double[] ud = toDouble(up);
      assertClose(
          "fd swiglu dgate",
          seed,
          Fixtures.numericGrad(v -> ReferenceKernels.swiglu(v, ud), gd, toDouble(dy), FD_H),
          g[0],
          FD_TOL * 10);
      assertClose(
          "fd swiglu dup",
          seed,
          Fixtures.numericGrad(v -> ReferenceKernels.swiglu(gd, v), ud, toDouble(dy), FD_H),
          g[1],
          FD_TOL * 10);
    }
    float[] dg = uniform(r, n, 1);
    float[] du = uniform(r, n, 1);
    double[] wantDg = plus(dg, g[0]);
    double[] wantDu = plus(du, g[1]);
    kernels.swigluBackward(w(gate), w(up), w(dy), w(dg), w(du), n);
    assertClose("swiglu dgate", seed, wantDg, dg, TOL);
    assertClose("swiglu dup", seed, wantDu, du, TOL);
  }

  @ParameterizedTest(name = "n={0} dim={1} vocab={2}")
  @CsvSource({"1, 1, 1", "9, 24, 5", "300, 1100, 7", "64, 896, 1000"})
  void embeddingGatherAndScatterAddWithRepeatedIds(int n, int dim, int vocab) {
    long seed = n * 7L + dim + vocab;
    SplittableRandom r = new SplittableRandom(seed);
    float[] table = uniform(r, vocab * dim, 1);
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
    float[] out = new float[n * dim];
    kernels.embeddingForward(w(table), w(ids), w(out), n, dim);
    double[] want = new double[n * dim];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < dim; c++) want[i * dim + c] = table[ids[i] * dim + c];
    }
    assertClose("embedding gather", seed, want, out, 0);

    float[] dout = uniform(r, n * dim, 1);
    float[] dtable = uniform(r, vocab * dim, 1);
    double[] wantDt = toDouble(dtable);
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < dim; c++) wantDt[ids[i] * dim + c] += dout[i * dim + c];
    }
    kernels.embeddingBackward(w(dout), w(ids), w(dtable), n, dim);
    assertClose("embedding scatter-add", seed, wantDt, dtable, TOL);
    ids[n - 1] = vocab;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> kernels.embeddingForward(w(table), w(ids), w(out), n, dim));
    assertTrue(e.getMessage().contains("ids[" + (n - 1) + "] = " + vocab), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  @ParameterizedTest(name = "rows={0} cols={1}")
  @CsvSource({"1, 1", "3, 7", "50, 1000", "2, 33"})
  void softmaxAndLogSoftmaxMatchReferenceAndFiniteDifferences(int rows, int cols) {
    long seed = rows * 13L + cols;
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = uniform(r, rows * cols, 8);
    float[] dy = uniform(r, rows * cols, 1);
    double[] xd = toDouble(x);

    float[] y = new float[x.length];
    kernels.softmaxForward(w(x), w(y), rows, cols);
    double[] ySm = ReferenceKernels.softmax(xd, rows, cols);
    assertClose("softmax", seed, ySm, y, TOL);
    float[] inPlace = x.clone();
    kernels.softmaxForward(w(inPlace), w(inPlace), rows, cols);
    assertArrayEquals(y, inPlace, "softmax in place");
    double[] gSm = ReferenceKernels.softmaxBackward(ySm, toDouble(dy), rows, cols);
    float[] dx = uniform(r, x.length, 1);
    double[] want = plus(dx, gSm);
    kernels.softmaxBackward(w(y), w(dy), w(dx), rows, cols);
    assertClose("softmax dx", seed, want, dx, TOL);

    float[] ly = new float[x.length];
    kernels.logSoftmaxForward(w(x), w(ly), rows, cols);
    double[] yLs = ReferenceKernels.logSoftmax(xd, rows, cols);
    assertClose("logSoftmax", seed, yLs, ly, TOL);
    double[] gLs = ReferenceKernels.logSoftmaxBackward(yLs, toDouble(dy), rows, cols);
    float[] ldx = uniform(r, x.length, 1);
    double[] wantL = plus(ldx, gLs);
    kernels.logSoftmaxBackward(w(ly), w(dy), w(ldx), rows, cols);
    assertClose("logSoftmax dx", seed, wantL, ldx, TOL);

    if (rows * cols <= 100) {
      assertClose(
          "fd softmax",
          seed,
          Fixtures.numericGrad(
              v -> ReferenceKernels.softmax(v, rows, cols), xd, toDouble(dy), FD_H),
          gSm,
          FD_TOL * 10);
      assertClose(
          "fd logSoftmax",
          seed,
          Fixtures.numericGrad(
              v -> ReferenceKernels.logSoftmax(v, rows, cols), xd, toDouble(dy), FD_H),
          gLs,
          FD_TOL * 10);
    }
  }

  @ParameterizedTest(name = "rows={0} v={1}")
  @CsvSource({"1, 1", "6, 13", "40, 1000", "3, 151936"})
  void crossEntropyMatchesReferenceWithIgnoredRows(int rows, int v) {
    long seed = rows * 17L + v;
    SplittableRandom r = new SplittableRandom(seed);
    int ignore = -100;
    float[] logits = uniform(r, rows * v, 10);
    int[] targets = new int[rows];
    for (int i = 0; i < rows; i++) targets[i] = i % 3 == 1 ? ignore : r.nextInt(v);
    float[] dloss = uniform(r, rows, 1);
    double[] ld = toDouble(logits);

    float[] loss = new float[rows];
    float[] lse = new float[rows];
    kernels.crossEntropyForward(w(logits), w(targets), w(loss), w(lse), rows, v, ignore);
    assertClose(
        "cross-entropy loss",
        seed,
        ReferenceKernels.crossEntropy(ld, targets, rows, v, ignore),
        loss,
        TOL);
    double[] wantLse = new double[rows];
    for (int i = 0; i < rows; i++) wantLse[i] = ReferenceKernels.logSumExp(ld, i * v, v);
    assertClose("cross-entropy lse", seed, wantLse, lse, TOL);

    double[] g =
        ReferenceKernels.crossEntropyBackward(ld, targets, toDouble(dloss), rows, v, ignore);
    if (rows * v <= 100) {
      double[] fd =
          Fixtures.numericGrad(
              x -> ReferenceKernels.crossEntropy(x, targets, rows, v, ignore),
              ld,
              toDouble(dloss),
              FD_H);
      assertClose("fd cross-entropy", seed, fd, g, FD_TOL * 10);
    }
    float[] dl = uniform(r, logits.length, 1);
    double[] want = plus(dl, g);
    kernels.crossEntropyBackward(w(logits), w(targets), w(lse), w(dloss), w(dl), rows, v, ignore);
    assertClose("cross-entropy dlogits", seed, want, dl, TOL);
  }

  @Test
  void grpoLossMatchesReferenceOnRandomTokens() {
    long seed = 21;
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1000;
    float[] lp = uniform(r, n, 1);
    float[] old = new float[n];
    float[] ref = new float[n];
    for (int i = 0; i < n; i++) {
      old[i] = lp[i] + (float) ((r.nextDouble() - 0.5) * 0.8);
      ref[i] = lp[i] + (float) ((r.nextDouble() - 0.5) * 7);
    }
    float[] adv = uniform(r, n, 2);
    float[] wt = uniform(r, n, 1);
    float[] dloss = uniform(r, n, 1);
    checkGrpo(seed, lp, old, ref, adv, wt, dloss, 0.2f, 0.28f, 0.04f);
  }

  /**
   * The clip boundaries of PPO's min: with A > 0 the ratio is capped at 1 + eps_high (no gradient
   * above), with A < 0 floored at 1 - eps_low (no gradient below), and the unclipped side keeps d
   * pg / d logp = -A rho. The KL is clamped at 10 with zero gradient there.
   */
  @Test
  void grpoLossClipBoundariesAndKlClamp() {
    double epsLow = 0.2, epsHigh = 0.28;
    // token:          A>0 rho>1+eh   A>0 rho<1-el   A<0 rho<1-el   A<0 rho>1+eh   A>0 in range
    float[] lp = {0.5f, -0.5f, -0.5f, 0.5f, 0.1f};
    float[] old = {0f, 0f, 0f, 0f, 0f};
    float[] adv = {1.5f, 1.5f, -2f, -2f, 1f};
    float[] ref = lp.clone();
    float[] wt = {1f, 1f, 1f, 1f, 1f};
    float[] dloss = {1f, 1f, 1f, 1f, 1f};
    float[] dlogp = new float[5];
    float[] loss = new float[5];
    float[] kl = new float[5];
    kernels.grpoLossForward(
        w(lp),
        w(old),
        w(ref),
        w(adv),
        w(wt),
        w(loss),
        w(kl),
        5,
        (float) epsLow,
        (float) epsHigh,
        0f);
    kernels.grpoLossBackward(
        w(lp),
        w(old),
        w(ref),
        w(adv),
        w(wt),
        w(dloss),
        w(dlogp),
        5,
        (float) epsLow,
        (float) epsHigh,
        0f);
    double rho = Math.exp(0.5f);
    double rhoLow = Math.exp(-0.5f);
    assertEquals(-1.5 * (1 + epsHigh), loss[0], 1e-6, "A>0 above the clip: loss uses 1+eps_high");
    assertEquals(0f, dlogp[0], "A>0 above the clip: no gradient");
    assertEquals(-1.5 * rhoLow, dlogp[1], 1e-6, "A>0 below 1-eps_low: unclipped gradient");
    assertEquals(-2 * (1 - epsLow) * -1, loss[2], 1e-6, "A<0 below the clip: loss uses 1-eps_low");
    assertEquals(0f, dlogp[2], "A<0 below the clip: no gradient");
    assertEquals(2 * rho, dlogp[3], 1e-5, "A<0 above 1+eps_high: unclipped gradient");
    assertEquals(-Math.exp(0.1f), dlogp[4], 1e-6, "in range: gradient -A rho");

    // KL: ref - logp = 3 gives exp(3) - 4 = 16.1 > 10, clamped with zero gradient; -0.5 is not.
    float[] lp2 = {0f, 0f};
    float[] ref2 = {3f, -0.5f};
    float[] zero = {0f, 0f};
    float[] one = {1f, 1f};
    float[] loss2 = new float[2];
    float[] kl2 = new float[2];
    float[] d2 = new float[2];
    kernels.grpoLossForward(
        w(lp2), w(lp2), w(ref2), w(zero), w(one), w(loss2), w(kl2), 2, 0.2f, 0.2f, 0.5f);
    kernels.grpoLossBackward(
        w(lp2), w(lp2), w(ref2), w(zero), w(one), w(one), w(d2), 2, 0.2f, 0.2f, 0.5f);
    assertEquals(10f, kl2[0], "KL clamped at 10");
    assertEquals(5f, loss2[0], 1e-6, "loss = beta * clamped KL");
    assertEquals(0f, d2[0], "no KL gradient where the clamp is active");
    double k = Math.exp(-0.5) + 0.5 - 1;
    assertEquals(k, kl2[1], 1e-6, "k3 estimator");
    assertEquals(0.5 * (1 - Math.exp(-0.5)), d2[1], 1e-6, "d kl / d logp = 1 - exp(ref - logp)");
  }

  private void checkGrpo(
      long seed,
      float[] lp,
      float[] old,
      float[] ref,
      float[] adv,
      float[] wt,
      float[] dloss,
      float epsLow,
      float epsHigh,
      float beta) {
    int n = lp.length;
    double[][] want =
        ReferenceKernels.grpo(
            toDouble(lp),
            toDouble(old),
            toDouble(ref),
            toDouble(adv),
            toDouble(wt),
            epsLow,
            epsHigh,
            beta);
    float[] loss = new float[n];
    float[] kl = new float[n];
    kernels.grpoLossForward(
        w(lp), w(old), w(ref), w(adv), w(wt), w(loss), w(kl), n, epsLow, epsHigh, beta);
    assertClose("grpo loss", seed, want[0], loss, TOL);
    assertClose("grpo kl", seed, want[1], kl, TOL);

    double[] g =
        ReferenceKernels.grpoBackward(
            toDouble(lp),
            toDouble(old),
            toDouble(ref),
            toDouble(adv),
            toDouble(wt),
            toDouble(dloss),
            epsLow,
            epsHigh,
            beta);
    // Finite differences per token (the loss of token t depends only on logp[t]), away from kinks.
    double[] lpd = toDouble(lp);
    for (int t = 0; t < n; t++) {
      double h = 1e-7;
      double[] up = lpd.clone();
      up[t] += h;
      double[] down = lpd.clone();
      down[t] -= h;
      double[] lu =
          ReferenceKernels.grpo(
              up, toDouble(old), toDouble(ref), toDouble(adv), toDouble(wt), epsLow, epsHigh, beta)[
              0];
      double[] ld =
          ReferenceKernels.grpo(
              down,
              toDouble(old),
              toDouble(ref),
              toDouble(adv),
              toDouble(wt),
              epsLow,
              epsHigh,
              beta)[0];
      double fd = dloss[t] * (lu[t] - ld[t]) / (2 * h);
      double rho = Math.exp(lpd[t] - old[t]);
      double k = Math.exp(ref[t] - lpd[t]) - (ref[t] - lpd[t]) - 1;
      boolean nearKink =
          Math.abs(rho - (1 - epsLow)) < 1e-5
              || Math.abs(rho - (1 + epsHigh)) < 1e-5
              || Math.abs(k - 10) < 1e-4;
      if (!nearKink)
        assertEquals(fd, g[t], 1e-5 * (1 + Math.abs(fd)), "fd grpo token " + t + ", seed " + seed);
    }
    float[] dlogp = uniform(new SplittableRandom(seed + 1), n, 1);
    double[] wantD = plus(dlogp, g);
    kernels.grpoLossBackward(
        w(lp), w(old), w(ref), w(adv), w(wt), w(dloss), w(dlogp), n, epsLow, epsHigh, beta);
    assertClose("grpo dlogp", seed, wantD, dlogp, TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // Optimiser.

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 37, 100_003})
  void adamwFollowsTorchOverSeveralSteps(int n) {
    long seed = n + 5;
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = uniform(r, n, 1);
    float[] m = new float[n];
    float[] v = new float[n];
    double[] pd = toDouble(p);
    double[] md = new double[n];
    double[] vd = new double[n];
    float lr = 1e-2f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, wd = 0.1f, gradScale = 0.7f;
    for (int step = 1; step <= 5; step++) {
      float[] g = uniform(r, n, step == 3 ? 1e-3 : 1);
      ReferenceKernels.adamw(pd, toDouble(g), md, vd, lr, beta1, beta2, eps, wd, gradScale, step);
      kernels.adamw(w(p), w(g), w(m), w(v), n, lr, beta1, beta2, eps, wd, gradScale, step);
    }
    assertClose("adamw p", seed, pd, p, TOL);
    assertClose("adamw m", seed, md, m, TOL);
    assertClose("adamw v", seed, vd, v, TOL);
  }
}
