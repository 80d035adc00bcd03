package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.research4j.kernels.Buf;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.kernels.opencl.Twin.Pair;

/**
 * Every OpenCL primitive against its CPU twin ({@link CpuKernels}) on random shapes, odd sizes and
 * sizes straddling the work-group sizes (1, 3, 255, 257, ...) included. Inputs are uniform random
 * from a fixed seed (printed on failure); outputs and gradients start random, so overwriting and
 * accumulating are both checked.
 *
 * <p>Tolerances are on {@code |opencl - cpu| / max(1, max |cpu|)} per buffer: 1e-6 for elementwise
 * kernels (fma contraction may differ), 1e-5 for kernels with reductions (summation order differs)
 * and for attention forward, 5e-5 for attention backward (sums over up to t*hq/hkv terms).
 * Attention uses head dimensions 5, 16, 33, 64 and 128 (128 is Qwen2's), each in both layouts of
 * attention.cl: rows split across work-items as on GPUs (33 unevenly) and whole rows as on CPUs.
 *
 * <p>These are kernel-level checks. The end-to-end check, a whole training step on OpenCL against
 * the same step on the CPU (loss and every gradient), needs tensor-core and the transformer and
 * belongs with them.
 */
class ClKernelsTest {
  private static final int[] SIZES = {1, 2, 3, 7, 31, 64, 255, 256, 257, 1000};
  private static ClKernels cl;
  private static CpuKernels cpu;

  @BeforeAll
  static void devices() {
    cl = ClTestDevice.kernels();
    cpu = new CpuKernels();
  }

  @AfterAll
  static void release() {
    cpu.close();
  }

  private static int size(Twin t) {
    return SIZES[t.rnd.nextInt(SIZES.length)];
  }

  // ---------------------------------------------------------------------------------------------
  // Memory.

  @Test
  void memoryRoundTripsCopiesAndFills() {
    {
      float[] host = new float[300];
      for (int i = 0; i < host.length; i++) host[i] = i * 0.5f - 7;
      try (ClBuf a = cl.allocF32(300);
          ClBuf b = cl.allocF32(300);
          ClBuf ints = cl.allocI32(10)) {
        float[] zeros = new float[300];
        float[] got = new float[300];
        cl.download(a, 0, got, 0, 300);
        assertArrayEquals(zeros, got, "a new buffer must be zero-filled");
        cl.upload(host, 5, a, 10, 200);
        cl.copy(a, 10, b, 0, 200);
        cl.download(b, 0, got, 0, 300);
        for (int i = 0; i < 200; i++) assertEquals(host[5 + i], got[i], "copy at " + i);
        assertEquals(0f, got[250]);
        // Overlapping copy within one buffer behaves like System.arraycopy.
        float[] want = got.clone();
        System.arraycopy(want, 0, want, 3, 150);
        cl.copy(b, 0, b, 3, 150);
        cl.download(b, 0, got, 0, 300);
        assertArrayEquals(want, got, "overlapping copy");
        cl.fill(b, 7, 11, -2.5f);
        cl.download(b, 0, got, 0, 300);
        for (int i = 0; i < 300; i++) {
          assertEquals(i >= 7 && i < 18 ? -2.5f : want[i], got[i], "fill at " + i);
        }
        int[] iv = {3, -1, 7, Integer.MAX_VALUE, 0, 0, 0, 0, 0, 9};
        int[] ig = new int[12];
        cl.upload(iv, 0, ints, 0, 10);
        cl.download(ints, 2, ig, 1, 8);
        for (int i = 0; i < 8; i++) assertEquals(iv[2 + i], ig[1 + i], "int round trip " + i);
      }
      // A pooled buffer comes back zeroed even after it was written.
      ClBuf dirty = cl.allocF32(1000);
      cl.fill(dirty, 0, 1000, 42f);
      dirty.close();
      try (ClBuf again = cl.allocF32(999)) {
        float[] got = new float[999];
        cl.download(again, 0, got, 0, 999);
        for (float v : got) assertEquals(0f, v, "reused pooled buffer not zeroed");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Matrix multiply (the full sweep against a double reference is ClSgemmTest).

  @Test
  void sgemmMatchesCpu() {
    for (int trial = 0; trial < 4; trial++) {
      try (Twin t = new Twin(cpu, cl, 100 + trial)) {
        int m = size(t), n = size(t), k = size(t);
        boolean ta = t.rnd.nextBoolean(), tb = t.rnd.nextBoolean();
        Pair a = t.floats("a", m * k, 1);
        Pair b = t.floats("b", k * n, 1);
        Pair c = t.floats("c", m * n, 1);
        t.both(
            x ->
                x.sgemm(
                    ta,
                    tb,
                    m,
                    n,
                    k,
                    0.7f,
                    a.of(x),
                    0,
                    ta ? m : k,
                    b.of(x),
                    0,
                    tb ? k : n,
                    0.5f,
                    c.of(x),
                    0,
                    n));
        t.assertClose(
            c,
            1e-5 * Math.max(1, Math.sqrt(k)),
            "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise and reductions.

  @Test
  void elementwiseMatchCpu() {
    for (int trial = 0; trial < 3; trial++) {
      try (Twin t = new Twin(cpu, cl, 200 + trial)) {
        int n = size(t) * size(t) + trial;
        String shape = "n=" + n;
        Pair a = t.floats("a", n, 2);
        Pair b = t.floats("b", n, 2);
        Pair out = t.floats("add", n, 1);
        t.both(k -> k.add(a.of(k), b.of(k), out.of(k), n));
        t.assertClose(out, 1e-6, shape);
        Pair prod = t.floats("mul", n, 1);
        t.both(k -> k.mul(a.of(k), b.of(k), prod.of(k), n));
        t.assertClose(prod, 1e-6, shape);
        Pair acc = t.floats("mulAcc", n, 1);
        t.both(k -> k.mulAcc(a.of(k), b.of(k), acc.of(k), n));
        t.assertClose(acc, 1e-6, shape);
        Pair y = t.floats("axpy", n, 1);
        t.both(k -> k.axpy(-1.5f, a.of(k), y.of(k), n));
        t.assertClose(y, 1e-6, shape);
        t.both(k -> k.scale(y.of(k), 0.3f, n));
        t.assertClose(y, 1e-6, shape + " scale");
        // out may alias an input.
        t.both(k -> k.add(a.of(k), b.of(k), a.of(k), n));
        t.assertClose(a, 1e-6, shape + " aliased add");
      }
    }
  }

  @Test
  void biasAndColumnSumsMatchCpu() {
    for (int trial = 0; trial < 3; trial++) {
      try (Twin t = new Twin(cpu, cl, 300 + trial)) {
        int rows = size(t), cols = size(t);
        String shape = "rows=" + rows + " cols=" + cols;
        Pair x = t.floats("addBias", rows * cols, 1);
        Pair bias = t.floats("bias", cols, 1);
        t.both(k -> k.addBias(x.of(k), bias.of(k), rows, cols));
        t.assertClose(x, 1e-6, shape);
        Pair sums = t.floats("sumRowsAcc", cols, 1);
        t.both(k -> k.sumRowsAcc(x.of(k), sums.of(k), rows, cols));
        t.assertClose(sums, 1e-5, shape);
      }
    }
  }

  @Test
  void scalarReductionsMatchCpu() {
    for (int trial = 0; trial < 4; trial++) {
      try (Twin t = new Twin(cpu, cl, 400 + trial)) {
        int n = trial == 3 ? 1_000_003 : size(t) * size(t);
        String shape = "n=" + n;
        Pair x = t.floats("x", n, 1);
        Pair sum = t.floats("reduceSum", 1, 1);
        t.both(k -> k.reduceSum(x.of(k), sum.of(k), n));
        t.assertClose(sum, 1e-5, shape);
        Pair dx = t.floats("reduceSumBackward", n, 1);
        t.both(k -> k.reduceSumBackward(sum.of(k), dx.of(k), n));
        t.assertClose(dx, 1e-6, shape);
        double want = cpu.sumSquares(x.cpuBuf(), n);
        double got = cl.sumSquares(x.clBuf(), n);
        assertEquals(want, got, 1e-6 * want, "sumSquares " + shape + " seed " + t.seed);
        assertEquals(0, cl.countNonFinite(x.clBuf(), n), "countNonFinite of finite data");
        float[] bad = t.clValues(x);
        int planted = 0;
        for (int i = 0; i < n; i += 1 + t.rnd.nextInt(97)) {
          bad[i] =
              switch (planted++ % 3) {
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                default -> Float.NEGATIVE_INFINITY;
              };
        }
        Pair y = t.floats("bad", bad);
        assertEquals(
            cpu.countNonFinite(y.cpuBuf(), n),
            cl.countNonFinite(y.clBuf(), n),
            "countNonFinite " + shape + " seed " + t.seed);
        assertEquals(planted, cl.countNonFinite(y.clBuf(), n), "planted non-finite values");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  @Test
  void rmsnormMatchesCpu() {
    for (int trial = 0; trial < 4; trial++) {
      try (Twin t = new Twin(cpu, cl, 500 + trial)) {
        int rows = size(t), dim = size(t);
        String shape = "rows=" + rows + " dim=" + dim;
        Pair x = t.floats("x", rows * dim, 3);
        Pair w = t.floats("w", dim, 1);
        Pair y = t.floats("y", rows * dim, 1);
        Pair rstd = t.floats("rstd", rows, 1);
        t.both(k -> k.rmsnormForward(x.of(k), w.of(k), y.of(k), rstd.of(k), rows, dim, 1e-6f));
        t.assertClose(y, 1e-5, shape);
        t.assertClose(rstd, 1e-5, shape);
        Pair dy = t.floats("dy", rows * dim, 1);
        Pair dx = t.floats("dx", rows * dim, 1);
        Pair dw = t.floats("dw", dim, 1);
        t.both(
            k ->
                k.rmsnormBackward(
                    x.of(k), w.of(k), rstd.of(k), dy.of(k), dx.of(k), dw.of(k), rows, dim));
        t.assertClose(dx, 1e-5, shape);
        t.assertClose(dw, 1e-5, shape);
      }
    }
  }

  @Test
  void ropeMatchesCpu() {
    for (int trial = 0; trial < 3; trial++) {
      try (Twin t = new Twin(cpu, cl, 600 + trial)) {
        int n = size(t), h = 1 + t.rnd.nextInt(4), d = 2 * (1 + t.rnd.nextInt(40));
        float theta = trial == 0 ? 10000f : 1_000_000f;
        String shape = "n=" + n + " h=" + h + " d=" + d + " theta=" + theta;
        Pair x = t.floats("x", n * h * d, 2);
        Pair pos = t.ints("pos", n, 5000);
        Pair y = t.floats("y", n * h * d, 1);
        t.both(k -> k.ropeForward(x.of(k), y.of(k), pos.of(k), n, h, d, theta));
        t.assertClose(y, 1e-6, shape);
        Pair dx = t.floats("dx", n * h * d, 1);
        t.both(k -> k.ropeBackward(y.of(k), dx.of(k), pos.of(k), n, h, d, theta));
        t.assertClose(dx, 1e-6, shape);
        t.both(k -> k.ropeForward(x.of(k), x.of(k), pos.of(k), n, h, d, theta));
        t.assertClose(x, 1e-6, shape + " in place");
      }
    }
  }

  @Test
  void swigluMatchesCpu() {
    for (int trial = 0; trial < 3; trial++) {
      try (Twin t = new Twin(cpu, cl, 700 + trial)) {
        int n = size(t) * size(t);
        String shape = "n=" + n;
        Pair gate = t.floats("gate", n, 8);
        Pair up = t.floats("up", n, 2);
        Pair y = t.floats("y", n, 1);
        t.both(k -> k.swigluForward(gate.of(k), up.of(k), y.of(k), n));
        t.assertClose(y, 1e-6, shape);
        Pair dy = t.floats("dy", n, 1);
        Pair dgate = t.floats("dgate", n, 1);
        Pair dup = t.floats("dup", n, 1);
        t.both(k -> k.swigluBackward(gate.of(k), up.of(k), dy.of(k), dgate.of(k), dup.of(k), n));
        t.assertClose(dgate, 1e-6, shape);
        t.assertClose(dup, 1e-6, shape);
      }
    }
  }

  @Test
  void embeddingMatchesCpu() {
    for (int trial = 0; trial < 3; trial++) {
      try (Twin t = new Twin(cpu, cl, 800 + trial)) {
        int vocab = 1 + t.rnd.nextInt(50), dim = size(t), n = size(t);
        String shape = "vocab=" + vocab + " dim=" + dim + " n=" + n;
        Pair table = t.floats("table", vocab * dim, 1);
        Pair ids = t.ints("ids", n, vocab);
        Pair out = t.floats("out", n * dim, 1);
        t.both(k -> k.embeddingForward(table.of(k), ids.of(k), out.of(k), n, dim));
        t.assertClose(out, 0, shape);
        Pair dout = t.floats("dout", n * dim, 1);
        Pair dtable = t.floats("dtable", vocab * dim, 1);
        t.both(k -> k.embeddingBackward(dout.of(k), ids.of(k), dtable.of(k), n, dim));
        t.assertClose(dtable, 1e-6, shape);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  @Test
  void softmaxFamilyMatchesCpu() {
    for (int trial = 0; trial < 4; trial++) {
      try (Twin t = new Twin(cpu, cl, 900 + trial)) {
        int rows = size(t), cols = trial == 3 ? 50_000 : size(t);
        String shape = "rows=" + rows + " cols=" + cols;
        Pair x = t.floats("x", rows * cols, 10);
        Pair y = t.floats("softmax", rows * cols, 1);
        t.both(k -> k.softmaxForward(x.of(k), y.of(k), rows, cols));
        t.assertClose(y, 1e-6, shape);
        Pair dy = t.floats("dy", rows * cols, 1);
        Pair dx = t.floats("softmax dx", rows * cols, 1);
        t.both(k -> k.softmaxBackward(y.of(k), dy.of(k), dx.of(k), rows, cols));
        t.assertClose(dx, 1e-5, shape);
        Pair ly = t.floats("logSoftmax", rows * cols, 1);
        t.both(k -> k.logSoftmaxForward(x.of(k), ly.of(k), rows, cols));
        t.assertClose(ly, 1e-6, shape);
        Pair ldx = t.floats("logSoftmax dx", rows * cols, 1);
        t.both(k -> k.logSoftmaxBackward(ly.of(k), dy.of(k), ldx.of(k), rows, cols));
        t.assertClose(ldx, 1e-5, shape);
        t.both(k -> k.softmaxForward(x.of(k), x.of(k), rows, cols));
        t.assertClose(x, 1e-6, shape + " in place");
      }
    }
  }

  @Test
  void crossEntropyMatchesCpu() {
    for (int trial = 0; trial < 4; trial++) {
      try (Twin t = new Twin(cpu, cl, 1000 + trial)) {
        int rows = size(t), v = trial == 3 ? 151_936 / 8 : size(t);
        int ignore = -100;
        String shape = "rows=" + rows + " v=" + v;
        Pair logits = t.floats("logits", rows * v, 8);
        int[] tg = new int[rows];
        for (int r = 0; r < rows; r++) tg[r] = t.rnd.nextInt(4) == 0 ? ignore : t.rnd.nextInt(v);
        Pair targets = t.ints("targets", tg);
        Pair loss = t.floats("loss", rows, 1);
        Pair lse = t.floats("lse", rows, 1);
        t.both(
            k ->
                k.crossEntropyForward(
                    logits.of(k), targets.of(k), loss.of(k), lse.of(k), rows, v, ignore));
        t.assertClose(loss, 1e-5, shape);
        t.assertClose(lse, 1e-5, shape);
        Pair dloss = t.floats("dloss", rows, 1);
        Pair dlogits = t.floats("dlogits", rows * v, 1);
        t.both(
            k ->
                k.crossEntropyBackward(
                    logits.of(k),
                    targets.of(k),
                    lse.of(k),
                    dloss.of(k),
                    dlogits.of(k),
                    rows,
                    v,
                    ignore));
        t.assertClose(dlogits, 1e-6, shape);
      }
    }
  }

  @Test
  void grpoLossMatchesCpu() {
    for (int trial = 0; trial < 3; trial++) {
      try (Twin t = new Twin(cpu, cl, 1100 + trial)) {
        int n = size(t) * 3 + trial;
        String shape = "n=" + n;
        // log-probs around -2 with old and reference policies a little apart, so ratios land on
        // both sides of the clip range and some KL values hit the clamp.
        float[] lp = new float[n], old = new float[n], ref = new float[n];
        for (int i = 0; i < n; i++) {
          lp[i] = (float) (-2 + t.rnd.nextDouble(-1, 1));
          old[i] = lp[i] + (float) t.rnd.nextDouble(-0.5, 0.5);
          ref[i] = lp[i] + (float) (t.rnd.nextInt(10) == 0 ? 3.5 : t.rnd.nextDouble(-1, 1));
        }
        Pair logp = t.floats("logp", lp);
        Pair oldLogp = t.floats("oldLogp", old);
        Pair refLogp = t.floats("refLogp", ref);
        Pair adv = t.floats("adv", n, 2);
        Pair weight = t.floats("weight", n, 1);
        Pair loss = t.floats("loss", n, 1);
        Pair kl = t.floats("kl", n, 1);
        t.both(
            k ->
                k.grpoLossForward(
                    logp.of(k),
                    oldLogp.of(k),
                    refLogp.of(k),
                    adv.of(k),
                    weight.of(k),
                    loss.of(k),
                    kl.of(k),
                    n,
                    0.2f,
                    0.28f,
                    0.04f));
        t.assertClose(loss, 1e-5, shape);
        t.assertClose(kl, 1e-5, shape);
        Pair dloss = t.floats("dloss", n, 1);
        Pair dlogp = t.floats("dlogp", n, 1);
        t.both(
            k ->
                k.grpoLossBackward(
                    logp.of(k),
                    oldLogp.of(k),
                    refLogp.of(k),
                    adv.of(k),
                    weight.of(k),
                    dloss.of(k),
                    dlogp.of(k),
                    n,
                    0.2f,
                    0.28f,
                    0.04f));
        t.assertClose(dlogp, 1e-5, shape);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Optimiser.

  @Test
  void adamwMatchesCpuOverSteps() {
    try (Twin t = new Twin(cpu, cl, 1200)) {
      int n = 4099;
      Pair p = t.floats("p", n, 1);
      Pair m = t.floats("m", n, 0);
      Pair v = t.floats("v", n, 0);
      for (int step = 1; step <= 4; step++) {
        Pair g = t.floats("g", n, 0.1);
        int s = step;
        t.both(
            k ->
                k.adamw(
                    p.of(k), g.of(k), m.of(k), v.of(k), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.7f,
                    s));
      }
      t.assertClose(p, 1e-6, "n=" + n + " after 4 steps");
      t.assertClose(m, 1e-6, "n=" + n);
      t.assertClose(v, 1e-6, "n=" + n);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Attention.

  /**
   * Both layouts of attention.cl on this device: rows split across lanes of at most 32 floats (the
   * GPU layout) and whole rows per work-item (the CPU layout).
   */
  @ParameterizedTest(name = "lane columns {0}")
  @ValueSource(ints = {ClKernels.ATTENTION_GPU_LANE_COLS, Integer.MAX_VALUE})
  void attentionTrainingForwardAndBackwardMatchCpu(int laneCols) {
    int saved = cl.attentionLaneColumns();
    cl.useAttentionLaneColumns(laneCols);
    try {
      attentionTraining(laneCols);
    } finally {
      cl.useAttentionLaneColumns(saved);
    }
  }

  private void attentionTraining(int laneCols) {
    int[][] shapes = { // b, t, hq, hkv, d
      {2, 13, 4, 2, 16}, {1, 70, 2, 2, 16}, {3, 33, 6, 2, 5}, {1, 1, 3, 1, 16},
      // Head dimensions split across several work-items (d > 32), an uneven split (33), GQA, and
      // odd lengths that end inside a key tile; 128 is Qwen2's real head dimension.
      {1, 37, 4, 2, 64}, {2, 37, 6, 2, 128}, {1, 45, 3, 3, 33}, {1, 70, 2, 1, 128}
    };
    for (int i = 0; i < shapes.length; i++) {
      int b = shapes[i][0], tt = shapes[i][1], hq = shapes[i][2], hkv = shapes[i][3];
      int d = shapes[i][4];
      try (Twin t = new Twin(cpu, cl, 1300 + i)) {
        String shape =
            "b="
                + b
                + " t="
                + tt
                + " hq="
                + hq
                + " hkv="
                + hkv
                + " d="
                + d
                + " lane columns "
                + laneCols;
        float scale = (float) (1 / Math.sqrt(d));
        Pair q = t.floats("q", b * tt * hq * d, 2);
        Pair k = t.floats("k", b * tt * hkv * d, 2);
        Pair v = t.floats("v", b * tt * hkv * d, 1);
        Pair out = t.floats("out", b * tt * hq * d, 1);
        Pair lse = t.floats("lse", b * hq * tt, 1);
        t.both(
            x ->
                x.attentionForward(
                    q.of(x), k.of(x), v.of(x), out.of(x), lse.of(x), null, b, tt, tt, hq, hkv, d,
                    scale));
        t.assertClose(out, 1e-5, shape);
        t.assertClose(lse, 1e-5, shape);
        Pair dOut = t.floats("dOut", b * tt * hq * d, 1);
        Pair dq = t.floats("dq", b * tt * hq * d, 1);
        Pair dk = t.floats("dk", b * tt * hkv * d, 1);
        Pair dv = t.floats("dv", b * tt * hkv * d, 1);
        t.both(
            x ->
                x.attentionBackward(
                    q.of(x),
                    k.of(x),
                    v.of(x),
                    out.of(x),
                    lse.of(x),
                    dOut.of(x),
                    dq.of(x),
                    dk.of(x),
                    dv.of(x),
                    b,
                    tt,
                    hq,
                    hkv,
                    d,
                    scale));
        t.assertClose(dq, 5e-5, shape);
        t.assertClose(dk, 5e-5, shape);
        t.assertClose(dv, 5e-5, shape);
      }
    }
  }

  @ParameterizedTest(name = "lane columns {0}")
  @ValueSource(ints = {ClKernels.ATTENTION_GPU_LANE_COLS, Integer.MAX_VALUE})
  void attentionDecodeWithStartOffsetsMatchesCpu(int laneCols) {
    int saved = cl.attentionLaneColumns();
    cl.useAttentionLaneColumns(laneCols);
    try {
      attentionDecode(laneCols);
    } finally {
      cl.useAttentionLaneColumns(saved);
    }
  }

  private void attentionDecode(int laneCols) {
    int[][] cases = {{1, 16}, {3, 16}, {40, 16}, {1, 128}, {37, 64}}; // tq, d
    for (int i = 0; i < cases.length; i++) {
      try (Twin t = new Twin(cpu, cl, 1400 + i)) {
        int b = 3, tq = cases[i][0], tk = 90, hq = 4, hkv = 1, d = cases[i][1];
        int[] st = new int[b];
        for (int s = 0; s < b; s++) st[s] = t.rnd.nextInt(tk - tq + 1);
        String shape =
            "b="
                + b
                + " tq="
                + tq
                + " tk="
                + tk
                + " d="
                + d
                + " lane columns "
                + laneCols
                + " starts "
                + st[0]
                + ","
                + st[1]
                + ","
                + st[2];
        Pair q = t.floats("q", b * tq * hq * d, 2);
        Pair k = t.floats("k", b * tk * hkv * d, 2);
        Pair v = t.floats("v", b * tk * hkv * d, 1);
        Pair start = t.ints("start", st);
        Pair out = t.floats("out", b * tq * hq * d, 1);
        Pair lse = t.floats("lse", b * hq * tq, 1);
        t.both(
            x ->
                x.attentionForward(
                    q.of(x),
                    k.of(x),
                    v.of(x),
                    out.of(x),
                    lse.of(x),
                    start.of(x),
                    b,
                    tq,
                    tk,
                    hq,
                    hkv,
                    d,
                    0.25f));
        t.assertClose(out, 1e-5, shape);
        t.assertClose(lse, 1e-5, shape);
        Pair out2 = t.floats("out without lse", b * tq * hq * d, 1);
        t.both(
            x ->
                x.attentionForward(
                    q.of(x),
                    k.of(x),
                    v.of(x),
                    out2.of(x),
                    null,
                    start.of(x),
                    b,
                    tq,
                    tk,
                    hq,
                    hkv,
                    d,
                    0.25f));
        t.assertClose(out2, 1e-5, shape);
      }
    }
  }

  @Test
  void writeCacheMatchesCpu() {
    try (Twin t = new Twin(cpu, cl, 1500)) {
      int b = 3, tn = 5, tmax = 17, row = 37;
      Pair src = t.floats("src", b * tn * row, 1);
      Pair cache = t.floats("cache", b * tmax * row, 1);
      Pair start = t.ints("start", new int[] {0, 12, 7});
      t.both(k -> k.writeCache(src.of(k), cache.of(k), start.of(k), b, tn, tmax, row));
      t.assertClose(cache, 0, "b=3 tn=5 tmax=17 row=37");
    }
  }

  @Test
  void argumentsAreCheckedLikeCpu() {
    try (ClBuf small = cl.allocF32(10);
        ClBuf big = cl.allocF32(100);
        ClBuf ints = cl.allocI32(10)) {
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> cl.rmsnormForward(small, big, big, big, 4, 4, 1e-6f));
      assertTrue(
          e.getMessage().contains("rmsnormForward")
              && e.getMessage().contains("x")
              && e.getMessage().contains("16"),
          e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> cl.sgemm(false, false, 4, 4, 4, 1, big, 0, 3, big, 0, 4, 0, big, 0, 4));
      assertTrue(e.getMessage().contains("leading dimension of a"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> cl.add(ints, big, big, 5));
      assertTrue(e.getMessage().contains("must be F32"), e.getMessage());
      Buf cpuBuf = cpu.allocF32(10);
      e = assertThrows(IllegalArgumentException.class, () -> cl.add(cpuBuf, big, big, 5));
      assertTrue(e.getMessage().contains("not a buffer of opencl"), e.getMessage());
      ClBuf closed = cl.allocF32(10);
      closed.close();
      closed.close();
      e = assertThrows(IllegalArgumentException.class, () -> cl.scale(closed, 2, 5));
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
  }
}
