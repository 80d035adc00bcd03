package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.AttentionTiles.BK;
import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Causal grouped-query attention on the CPU, flash style (Dao et al. 2022, with FlashAttention-2's
 * loop order): queries are processed in blocks against tiles of {@link AttentionTiles#BK} keys with
 * a running max and sum per query (online softmax), so no {@code T x T} score matrix exists and
 * scratch memory is {@code O(T d)}.
 *
 * <p>Scores are vectorised over the keys of a tile rather than over the head dimension: keys (and
 * values, for the backward) are transposed once per call to {@code [b, hkv, d, t]}, so a score tile
 * is a register-blocked product with no horizontal sum per dot product. Decoding, with a few query
 * rows per kv head, uses plain dot products instead (the transposition would cost more than it
 * saves). The {@code p·V} and gradient products are vectorised over the head dimension. One forward
 * task is one block of queries of every query head that shares a kv head. One backward task is one
 * kv head of one sequence with all of its query heads, so the kv head's {@code dk, dv} are summed
 * inside the task and no two tasks write the same gradient row; when that gives too few tasks for
 * the threads, the query heads are split into parts whose partial {@code dk, dv} are added up
 * afterwards.
 */
final class CpuAttention {
  private CpuAttention() {}

  /** Query rows (query positions times the query heads of a kv group) per forward task. */
  private static final int FORWARD_ROWS = 64;

  /** Below this many query rows per kv head, the forward computes scores without transposing. */
  private static final int DIRECT_ROWS = 16;

  /**
   * Below this many query-row x key x head-dimension multiply-adds (per product, an upper bound:
   * every query against all {@code tk} keys), the forward runs on the calling thread. A decode
   * step's attention (batch 1, a few hundred keys: some 30 µs of arithmetic) costs less than
   * handing it to the pool and back, which on a busy machine took several times as long.
   */
  static final long SERIAL_WORK = 1L << 20;

  /** Keys per block of the transposition. */
  private static final int TRANSPOSE_KEYS = 16;

  /** Query positions per block in the backward pass. */
  private static final int BACKWARD_QUERIES = 64;

  /**
   * Per calling thread, the transposed keys and values of the last call, kept because decoding
   * calls attention once per layer per token and would otherwise allocate a cache-sized array each
   * time.
   */
  private static final ThreadLocal<float[][]> TRANSPOSED =
      ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

  private static int padded(int t) {
    return (t + BK - 1) / BK * BK;
  }

  /**
   * {@code x: [b, t, hkv, d]} transposed to {@code [b, hkv, d, padded(t)]}, zero past {@code t}, in
   * the calling thread's scratch slot {@code slot}.
   */
  private static float[] transposed(float[] x, int slot, int b, int t, int hkv, int d) {
    int tp = padded(t);
    int need = b * hkv * d * tp;
    float[][] scratch = TRANSPOSED.get();
    if (scratch[slot].length < need) scratch[slot] = new float[need];
    float[] dst = scratch[slot];
    Parallel.forRange(
        b * hkv,
        Math.max(1, (1 << 15) / Math.max(1, t * d)),
        (from, to) -> {
          for (int sg = from; sg < to; sg++) {
            int s = sg / hkv;
            int g = sg % hkv;
            int base = sg * d * tp;
            // Blocks of keys so that each destination row is written in runs of TRANSPOSE_KEYS
            // floats rather than one float per cache line.
            int rowStride = hkv * d;
            for (int j0 = 0; j0 < t; j0 += TRANSPOSE_KEYS) {
              int j1 = Math.min(t, j0 + TRANSPOSE_KEYS);
              int src0 = (s * t * hkv + g) * d;
              for (int c = 0; c < d; c++) {
                int out = base + c * tp;
                for (int j = j0; j < j1; j++) dst[out + j] = x[src0 + j * rowStride + c];
              }
            }
            for (int c = 0; c < d; c++)
              Arrays.fill(dst, base + c * tp + t, base + (c + 1) * tp, 0f);
          }
        });
    return dst;
  }

  static void forward(
      float[] q,
      float[] k,
      float[] v,
      float[] out,
      float[] lse,
      int[] start,
      int b,
      int tq,
      int tk,
      int hq,
      int hkv,
      int d,
      float scale) {
    forward(q, k, v, null, 0, null, out, lse, start, b, tq, tk, hq, hkv, d, scale);
  }

  /**
   * {@link #forward} over keys and values in bfloat16 ({@code kh, vh}: a KV cache kept at half the
   * bytes): a tile of keys is widened to float32 as its scores are computed, a tile of values into
   * an L1 scratch before it is accumulated, so every product and sum is float32 as with float32
   * caches. Decoding reads the whole cache once per step and is bound by that read. {@code ldt >
   * 0}: the keys are stored transposed, {@code [b, hkv, d, ldt]} (a CPU key cache), and a tile of
   * scores is a product vectorised over positions with no horizontal sums; {@code ldt == 0}: the
   * keys are row-major {@code [b, tk, hkv, d]}.
   */
  static void forwardBf16(
      float[] q,
      short[] kh,
      int ldt,
      short[] vh,
      float[] out,
      float[] lse,
      int[] start,
      int b,
      int tq,
      int tk,
      int hq,
      int hkv,
      int d,
      float scale) {
    forward(q, null, null, kh, ldt, vh, out, lse, start, b, tq, tk, hq, hkv, d, scale);
  }

  /** One of {@code k, v} (float32) or {@code kh, vh} (bfloat16) is given. */
  private static void forward(
      float[] q,
      float[] k,
      float[] v,
      short[] kh,
      int ldt,
      short[] vh,
      float[] out,
      float[] lse,
      int[] start,
      int b,
      int tq,
      int tk,
      int hq,
      int hkv,
      int d,
      float scale) {
    int group = hq / hkv;
    // Decoding has a handful of query rows per kv head: transposing the whole cache for them
    // costs more than the horizontal sums of plain dot products.
    // bfloat16 keys are either stored transposed already (a CPU key cache, ldt > 0) or row-major,
    // which only a caller's own buffer is: its scores are plain dot products at any row count.
    float[] kT = tq * group < DIRECT_ROWS || kh != null ? null : transposed(k, 0, b, tk, hkv, d);
    int bq = Math.max(1, Math.min(tq, FORWARD_ROWS / group));
    int blocks = (tq + bq - 1) / bq;
    int tasks = b * hkv * blocks;
    // Causal blocks grow with their index; dealing tasks round-robin to the chunks gives every
    // chunk a similar mix of short and long ones.
    int chunks = Math.min(tasks, 4 * Parallel.threads());
    boolean serial = (long) b * hq * tq * tk * d < SERIAL_WORK;
    // With a sequence per chunk or more, whole sequences are dealt (all their kv heads and blocks):
    // the kv heads of a position share cache lines, which one thread then reads from memory once
    // instead of each thread reading all of them for its own head (decoding is bound by reading
    // the cache).
    int per = b >= chunks ? blocks * hkv : 1;
    int units = tasks / per;
    Parallel.forRange(
        chunks,
        serial ? chunks : 1,
        (from, to) -> {
          Forward f =
              new Forward(
                  q, k, kT, v, kh, ldt, vh, out, lse, tq, tk, hq, hkv, d, scale, group * bq);
          for (int chunk = from; chunk < to; chunk++) {
            for (int unit = chunk; unit < units; unit += chunks) {
              for (int task = unit * per; task < (unit + 1) * per; task++) {
                int block = task % blocks;
                int g = (task / blocks) % hkv;
                int s = task / (blocks * hkv);
                int i0 = block * bq;
                f.run(s, g, i0, Math.min(tq, i0 + bq), start == null ? 0 : start[s]);
              }
            }
          }
        });
  }

  /** The scratch of one forward task: the query rows' running max, sum and output. */
  private static final class Forward {
    final float[] q, k, kT, v, out, lse;
    final short[] kh, vh;
    final int tq, tk, tp, hq, hkv, d, group;

    /** Row length of transposed bf16 keys ({@code [b, hkv, d, ldt]}); 0 for row-major keys. */
    final int ldt;

    final float scale;
    final float[] qs, o, m, l, sc;

    /**
     * Whether p·V over bfloat16 values widens each value row in registers (at most two query rows
     * per task, d whole groups of four vectors) rather than through {@link #vTile}.
     */
    final boolean valuesInRegisters;

    /** A tile of values widened from bfloat16 ({@code [BK, d]}), when the cache is bfloat16. */
    final float[] vTile;

    /** A tile of transposed keys widened from bfloat16 ({@code [d, BK]}), for many rows. */
    final float[] kTile;

    Forward(
        float[] q,
        float[] k,
        float[] kT,
        float[] v,
        short[] kh,
        int ldt,
        short[] vh,
        float[] out,
        float[] lse,
        int tq,
        int tk,
        int hq,
        int hkv,
        int d,
        float scale,
        int rows) {
      this.q = q;
      this.k = k;
      this.kT = kT;
      this.v = v;
      this.kh = kh;
      this.ldt = ldt;
      this.vh = vh;
      this.out = out;
      this.lse = lse;
      this.tq = tq;
      this.tk = tk;
      this.tp = padded(tk);
      this.hq = hq;
      this.hkv = hkv;
      this.d = d;
      this.group = hq / hkv;
      this.scale = scale;
      qs = new float[rows * d];
      o = new float[rows * d];
      m = new float[rows];
      l = new float[rows];
      sc = new float[rows * BK];
      valuesInRegisters = vh != null && rows <= 2 && d % (4 * L) == 0;
      vTile = vh == null || valuesInRegisters ? null : new float[BK * d];
      kTile = ldt > 0 && rows > 2 ? new float[d * BK] : null;
    }

    /** Queries {@code [i0, i1)} of sequence {@code s} for every query head of kv head {@code g}. */
    void run(int s, int g, int i0, int i1, int st) {
      int ni = i1 - i0;
      int rows = ni * group;
      for (int r = 0; r < rows; r++) {
        int h = g * group + r / ni;
        int i = i0 + r % ni;
        System.arraycopy(q, ((s * tq + i) * hq + h) * d, qs, r * d, d);
      }
      Arrays.fill(o, 0, rows * d, 0f);
      Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
      Arrays.fill(l, 0, rows, 0f);
      int kBase = (s * hkv + g) * d * tp;
      int keyEnd = st + i1;
      for (int j0 = 0; j0 < keyEnd; j0 += BK) {
        int nk = Math.min(BK, keyEnd - j0);
        if (kT != null) {
          AttentionTiles.scores(qs, 0, d, rows, kT, kBase + j0, tp, d, sc, 0, BK, scale);
        } else if (ldt > 0) {
          int t0 = (s * hkv + g) * d * ldt + j0;
          if (rows <= 2) {
            // One pass over the tile: widen its keys in registers as they are used.
            AttentionTiles.scoresBf16(qs, 0, d, rows, kh, t0, ldt, d, sc, 0, BK, scale);
          } else {
            // More rows pass over the tile once per pair: widen it once, into L1.
            for (int c = 0; c < d; c++) CpuBf16.widenRow(kh, t0 + c * ldt, kTile, c * BK, BK);
            AttentionTiles.scores(qs, 0, d, rows, kTile, 0, BK, d, sc, 0, BK, scale);
          }
        } else if (kh != null) {
          for (int jj = 0; jj < nk; jj++) {
            int kRow = ((s * tk + j0 + jj) * hkv + g) * d;
            for (int r = 0; r < rows; r++)
              sc[r * BK + jj] = scale * dotBf16(qs, r * d, kh, kRow, d);
          }
        } else {
          for (int jj = 0; jj < nk; jj++) {
            int kRow = ((s * tk + j0 + jj) * hkv + g) * d;
            for (int r = 0; r < rows; r++) sc[r * BK + jj] = scale * Vec.dot(qs, r * d, k, kRow, d);
          }
        }
        int used = 0;
        for (int r = 0; r < rows; r++) {
          int valid = Math.min(nk, st + i0 + r % ni - j0 + 1);
          if (valid > 0) {
            softmaxStep(r, valid);
            used = Math.max(used, valid);
          } else {
            Arrays.fill(sc, r * BK, (r + 1) * BK, 0f);
          }
        }
        int vBase = (s * tk + j0) * hkv * d + g * d;
        if (valuesInRegisters) {
          // Decoding, two rows per kv head: widen each value row in registers, once for both.
          AttentionTiles.accumulateBf16(sc, rows, vh, vBase, hkv * d, o, d, used, d);
        } else if (vh != null) {
          for (int jj = 0; jj < used; jj++) {
            CpuBf16.widenRow(vh, vBase + jj * hkv * d, vTile, jj * d, d);
          }
          AttentionTiles.accumulate(sc, 0, BK, 1, vTile, 0, d, o, 0, d, rows, used, d, 1f);
        } else {
          AttentionTiles.accumulate(sc, 0, BK, 1, v, vBase, hkv * d, o, 0, d, rows, used, d, 1f);
        }
      }
      for (int r = 0; r < rows; r++) {
        int h = g * group + r / ni;
        int i = i0 + r % ni;
        float inv = 1f / l[r];
        int dst = ((s * tq + i) * hq + h) * d;
        for (int c = 0; c < d; c++) out[dst + c] = o[r * d + c] * inv;
        if (lse != null) lse[(s * hq + h) * tq + i] = m[r] + (float) Math.log(l[r]);
      }
    }

    /**
     * Online softmax for row {@code r} and the first {@code valid} keys of the tile: turns the
     * scores into {@code exp(s - m_new)} (zero past {@code valid}), and rescales the row's sum and
     * output by {@code exp(m_old - m_new)}.
     */
    private void softmaxStep(int r, int valid) {
      int so = r * BK;
      for (int jj = valid; jj < BK; jj++) sc[so + jj] = Float.NEGATIVE_INFINITY;
      float mOld = m[r];
      float mNew = Math.max(mOld, Vec.max(sc, so, BK));
      FloatVector sum = FloatVector.zero(S);
      for (int jj = 0; jj < BK; jj += L) {
        FloatVector p =
            FloatVector.fromArray(S, sc, so + jj).sub(mNew).lanewise(VectorOperators.EXP);
        p.intoArray(sc, so + jj);
        sum = sum.add(p);
      }
      float alpha = (float) Math.exp(mOld - mNew);
      l[r] = l[r] * alpha + sum.reduceLanes(VectorOperators.ADD);
      m[r] = mNew;
      if (alpha != 1f) Vec.scaleRow(o, r * d, d, alpha);
    }
  }

  /** {@code sum_c a[aOff + c] * float(b[bOff + c])} for {@code c < n}, b in bfloat16. */
  private static float dotBf16(float[] a, int aOff, short[] b, int bOff, int n) {
    int c = 0;
    float s = 0f;
    if (CpuBf16.VECTOR) {
      FloatVector acc = FloatVector.zero(S);
      for (int ub = S.loopBound(n); c < ub; c += L) {
        acc = FloatVector.fromArray(S, a, aOff + c).fma(CpuBf16.widen(b, bOff + c), acc);
      }
      s = acc.reduceLanes(VectorOperators.ADD);
    }
    for (; c < n; c++) s += a[aOff + c] * Float.intBitsToFloat((b[bOff + c] & 0xFFFF) << 16);
    return s;
  }

  static void backward(
      float[] q,
      float[] k,
      float[] v,
      float[] out,
      float[] lse,
      float[] dOut,
      float[] dq,
      float[] dk,
      float[] dv,
      int b,
      int t,
      int hq,
      int hkv,
      int d,
      float scale) {
    float[] kT = transposed(k, 0, b, t, hkv, d);
    float[] vT = transposed(v, 1, b, t, hkv, d);
    int group = hq / hkv;
    int parts = headParts(group, b * hkv);
    int heads = group / parts;
    int tasks = b * hkv * parts;
    float[][] dkParts = new float[parts == 1 ? 0 : tasks][];
    float[][] dvParts = new float[parts == 1 ? 0 : tasks][];
    Parallel.forRange(
        tasks,
        1,
        (from, to) -> {
          Backward bw = new Backward(q, k, kT, vT, out, lse, dOut, dq, t, hq, hkv, d, scale);
          for (int task = from; task < to; task++) {
            int sg = task / parts;
            int h0 = (sg % hkv) * group + (task % parts) * heads;
            bw.run(sg / hkv, sg % hkv, h0, h0 + heads);
            if (parts == 1) {
              addHeadRows(bw.dkAcc, dk, sg, t, hkv, d);
              addHeadRows(bw.dvAcc, dv, sg, t, hkv, d);
            } else {
              dkParts[task] = bw.dkAcc.clone();
              dvParts[task] = bw.dvAcc.clone();
            }
          }
        });
    if (parts == 1) return;
    Parallel.forRange(
        b * hkv,
        1,
        (from, to) -> {
          for (int sg = from; sg < to; sg++) {
            for (int part = 0; part < parts; part++) {
              addHeadRows(dkParts[sg * parts + part], dk, sg, t, hkv, d);
              addHeadRows(dvParts[sg * parts + part], dv, sg, t, hkv, d);
            }
          }
        });
  }

  /**
   * Into how many parts to split the query heads of each kv head: 1 (no partial gradients to add
   * up) when there are enough (sequence, kv head) tasks to keep every thread busy, else the
   * smallest divisor of the group size that makes about four tasks per thread.
   */
  private static int headParts(int group, int kvTasks) {
    int parts = 1;
    while (parts < group && kvTasks * parts < 4 * Parallel.threads()) {
      parts++;
      while (group % parts != 0) parts++;
    }
    return parts;
  }

  /**
   * {@code dst[s, j, g, :] += acc[j, :]} for every position {@code j}; {@code sg = s * hkv + g}.
   */
  private static void addHeadRows(float[] acc, float[] dst, int sg, int t, int hkv, int d) {
    int s = sg / hkv;
    int g = sg % hkv;
    for (int j = 0; j < t; j++) Vec.addInto(acc, j * d, dst, ((s * t + j) * hkv + g) * d, d);
  }

  /**
   * The scratch of one backward task: some query heads of one kv head of one sequence, their {@code
   * dq} written directly and their kv head's {@code dk, dv} summed in {@code dkAcc, dvAcc}.
   */
  private static final class Backward {
    final float[] q, k, kT, vT, out, lse, dOut, dq;
    final int t, tp, hq, hkv, d;
    final float scale;
    final float[] qb, dob, dqAcc, delta, lseB, p, dp, dkAcc, dvAcc;

    Backward(
        float[] q,
        float[] k,
        float[] kT,
        float[] vT,
        float[] out,
        float[] lse,
        float[] dOut,
        float[] dq,
        int t,
        int hq,
        int hkv,
        int d,
        float scale) {
      this.q = q;
      this.k = k;
      this.kT = kT;
      this.vT = vT;
      this.out = out;
      this.lse = lse;
      this.dOut = dOut;
      this.dq = dq;
      this.t = t;
      this.tp = padded(t);
      this.hq = hq;
      this.hkv = hkv;
      this.d = d;
      this.scale = scale;
      int bq = BACKWARD_QUERIES;
      qb = new float[bq * d];
      dob = new float[bq * d];
      dqAcc = new float[bq * d];
      delta = new float[bq];
      lseB = new float[bq];
      p = new float[bq * BK];
      dp = new float[bq * BK];
      dkAcc = new float[t * d];
      dvAcc = new float[t * d];
    }

    /** Query heads {@code [h0, h1)} of kv head {@code g} of sequence {@code s}. */
    void run(int s, int g, int h0, int h1) {
      Arrays.fill(dkAcc, 0f);
      Arrays.fill(dvAcc, 0f);
      for (int h = h0; h < h1; h++) {
        for (int i0 = 0; i0 < t; i0 += BACKWARD_QUERIES) {
          queryBlock(s, g, h, i0, Math.min(t, i0 + BACKWARD_QUERIES));
        }
      }
    }

    private void queryBlock(int s, int g, int h, int i0, int i1) {
      int ni = i1 - i0;
      for (int r = 0; r < ni; r++) {
        int src = ((s * t + i0 + r) * hq + h) * d;
        System.arraycopy(q, src, qb, r * d, d);
        System.arraycopy(dOut, src, dob, r * d, d);
        // D_i = dOut_i . out_i equals sum_j p_ij dp_ij, the softmax-backward row term.
        delta[r] = Vec.dot(dOut, src, out, src, d);
        lseB[r] = lse[(s * hq + h) * t + i0 + r];
      }
      Arrays.fill(dqAcc, 0, ni * d, 0f);
      int tBase = (s * hkv + g) * d * tp;
      int kStride = hkv * d;
      for (int j0 = 0; j0 < i1; j0 += BK) {
        int nk = Math.min(BK, i1 - j0);
        AttentionTiles.scores(qb, 0, d, ni, kT, tBase + j0, tp, d, p, 0, BK, scale);
        AttentionTiles.scores(dob, 0, d, ni, vT, tBase + j0, tp, d, dp, 0, BK, 1f);
        for (int r = 0; r < ni; r++) probabilities(r, Math.min(nk, i0 + r - j0 + 1));
        // dp now holds ds = p (dp - D).
        int kRow = (s * t + j0) * kStride + g * d;
        AttentionTiles.accumulate(dp, 0, BK, 1, k, kRow, kStride, dqAcc, 0, d, ni, nk, d, scale);
        AttentionTiles.accumulate(dp, 0, 1, BK, qb, 0, d, dkAcc, j0 * d, d, nk, ni, d, scale);
        AttentionTiles.accumulate(p, 0, 1, BK, dob, 0, d, dvAcc, j0 * d, d, nk, ni, d, 1f);
      }
      for (int r = 0; r < ni; r++) {
        Vec.addInto(dqAcc, r * d, dq, ((s * t + i0 + r) * hq + h) * d, d);
      }
    }

    /**
     * Row {@code r}: {@code p = exp(s - lse)} and, in place of {@code dp}, {@code ds = p (dp - D)};
     * both zero past the {@code valid} keys the row may attend.
     */
    private void probabilities(int r, int valid) {
      int po = r * BK;
      if (valid <= 0) {
        Arrays.fill(p, po, po + BK, 0f);
        Arrays.fill(dp, po, po + BK, 0f);
        return;
      }
      float shift = lseB[r];
      float dr = delta[r];
      for (int jj = 0; jj < BK; jj += L) {
        FloatVector pv =
            FloatVector.fromArray(S, p, po + jj).sub(shift).lanewise(VectorOperators.EXP);
        pv.intoArray(p, po + jj);
        pv.mul(FloatVector.fromArray(S, dp, po + jj).sub(dr)).intoArray(dp, po + jj);
      }
      Arrays.fill(p, po + valid, po + BK, 0f);
      Arrays.fill(dp, po + valid, po + BK, 0f);
    }
  }
}
