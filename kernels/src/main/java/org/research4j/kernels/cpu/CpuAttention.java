package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Causal grouped-query attention on the CPU, flash style (Dao et al. 2022, FlashAttention-2
 * ordering): queries are processed in blocks against tiles of {@link #BK} keys with a running max
 * and sum per query (online softmax), so no {@code T x T} score matrix exists and memory is
 * {@code O(T d)} per task.
 *
 * <p>Scores are vectorised over the keys of a tile rather than over the head dimension: the key
 * tile is transposed once to {@code [d, BK]} and each query row computes {@code BK} scores with
 * four vector accumulators (one broadcast of {@code q[c]} per {@code c}), which avoids a horizontal
 * reduction per dot product. The {@code p·V} and gradient accumulations are vectorised over the
 * head dimension. All query heads of one kv head are handled by one task, so a transposed key tile
 * is reused {@code hq / hkv} times, and in the backward pass the kv head's {@code dk, dv} are summed
 * over its query heads inside the task: no two tasks write the same gradient row.
 */
final class CpuAttention {
  private CpuAttention() {}

  /** Keys per tile: four vectors, the number of accumulators the score loop keeps in registers. */
  static final int BK = 4 * L;

  /** Query rows (query positions times the query heads of a kv group) per forward task. */
  private static final int FORWARD_ROWS = 64;

  /** Query positions per block in the backward pass. */
  private static final int BACKWARD_QUERIES = 64;

  static void forward(
      float[] q, float[] k, float[] v, float[] out, float[] lse, int[] start, int b, int tq,
      int tk, int hq, int hkv, int d, float scale) {
    int group = hq / hkv;
    int bq = Math.max(1, Math.min(tq, FORWARD_ROWS / group));
    int blocks = (tq + bq - 1) / bq;
    Parallel.forRange(b * hkv * blocks, 1, (from, to) -> {
      Forward f = new Forward(q, k, v, out, lse, tq, tk, hq, hkv, d, scale, group * bq);
      for (int task = from; task < to; task++) {
        int block = task % blocks;
        int g = (task / blocks) % hkv;
        int s = task / (blocks * hkv);
        int i0 = block * bq;
        f.run(s, g, i0, Math.min(tq, i0 + bq), start == null ? 0 : start[s]);
      }
    });
  }

  /** The scratch of one forward task: the query rows' running max, sum and output. */
  private static final class Forward {
    final float[] q, k, v, out, lse;
    final int tq, tk, hq, hkv, d, group;
    final float scale;
    final float[] qs, o, m, l, kT, sc;

    Forward(float[] q, float[] k, float[] v, float[] out, float[] lse, int tq, int tk, int hq,
        int hkv, int d, float scale, int rows) {
      this.q = q;
      this.k = k;
      this.v = v;
      this.out = out;
      this.lse = lse;
      this.tq = tq;
      this.tk = tk;
      this.hq = hq;
      this.hkv = hkv;
      this.d = d;
      this.group = hq / hkv;
      this.scale = scale;
      qs = new float[rows * d];
      o = new float[rows * d];
      m = new float[rows];
      l = new float[rows];
      kT = new float[d * BK];
      sc = new float[BK];
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
      int keyEnd = st + i1;
      for (int j0 = 0; j0 < keyEnd; j0 += BK) {
        int nk = Math.min(BK, keyEnd - j0);
        transposeTile(k, kT, s, g, j0, nk, tk, hkv, d);
        for (int r = 0; r < rows; r++) {
          int valid = Math.min(nk, st + i0 + r % ni - j0 + 1);
          if (valid > 0) update(r, s, g, j0, valid);
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

    /** Online-softmax update of row {@code r} with the first {@code valid} keys of the tile. */
    private void update(int r, int s, int g, int j0, int valid) {
      scores(qs, r * d, kT, d, sc, 0, scale);
      for (int jj = valid; jj < BK; jj++) sc[jj] = Float.NEGATIVE_INFINITY;
      float mOld = m[r];
      float mNew = Math.max(mOld, Vec.max(sc, 0, BK));
      float alpha = (float) Math.exp(mOld - mNew);
      FloatVector sum = FloatVector.zero(S);
      for (int jj = 0; jj < BK; jj += L) {
        FloatVector p = FloatVector.fromArray(S, sc, jj).sub(mNew).lanewise(VectorOperators.EXP);
        p.intoArray(sc, jj);
        sum = sum.add(p);
      }
      l[r] = l[r] * alpha + sum.reduceLanes(VectorOperators.ADD);
      m[r] = mNew;
      int vBase = (s * tk + j0) * hkv * d + g * d;
      int vStride = hkv * d;
      int ob = r * d;
      int c = 0;
      for (int ub = S.loopBound(d); c < ub; c += L) {
        FloatVector acc = FloatVector.fromArray(S, o, ob + c).mul(alpha);
        for (int jj = 0; jj < valid; jj++) {
          FloatVector vj = FloatVector.fromArray(S, v, vBase + jj * vStride + c);
          acc = vj.fma(FloatVector.broadcast(S, sc[jj]), acc);
        }
        acc.intoArray(o, ob + c);
      }
      for (; c < d; c++) {
        float acc = o[ob + c] * alpha;
        for (int jj = 0; jj < valid; jj++) acc += sc[jj] * v[vBase + jj * vStride + c];
        o[ob + c] = acc;
      }
    }
  }

  /**
   * Copies keys {@code [j0, j0 + nk)} of kv head {@code g} of sequence {@code s} into {@code
   * dst[c * BK + jj]}, zero-padding the tile past {@code nk}.
   */
  private static void transposeTile(
      float[] src, float[] dst, int s, int g, int j0, int nk, int t, int hkv, int d) {
    for (int jj = 0; jj < nk; jj++) {
      int base = ((s * t + j0 + jj) * hkv + g) * d;
      for (int c = 0; c < d; c++) dst[c * BK + jj] = src[base + c];
    }
    if (nk < BK) {
      for (int c = 0; c < d; c++) Arrays.fill(dst, c * BK + nk, c * BK + BK, 0f);
    }
  }

  /**
   * {@code dst[dstOff + jj] = scale * sum_c row[rowOff + c] * tile[c * BK + jj]} for the {@code BK}
   * keys of a tile.
   */
  private static void scores(
      float[] row, int rowOff, float[] tile, int d, float[] dst, int dstOff, float scale) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    for (int c = 0; c < d; c++) {
      FloatVector x = FloatVector.broadcast(S, row[rowOff + c]);
      int t = c * BK;
      a0 = FloatVector.fromArray(S, tile, t).fma(x, a0);
      a1 = FloatVector.fromArray(S, tile, t + L).fma(x, a1);
      a2 = FloatVector.fromArray(S, tile, t + 2 * L).fma(x, a2);
      a3 = FloatVector.fromArray(S, tile, t + 3 * L).fma(x, a3);
    }
    a0.mul(scale).intoArray(dst, dstOff);
    a1.mul(scale).intoArray(dst, dstOff + L);
    a2.mul(scale).intoArray(dst, dstOff + 2 * L);
    a3.mul(scale).intoArray(dst, dstOff + 3 * L);
  }

  static void backward(
      float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut, float[] dq,
      float[] dk, float[] dv, int b, int t, int hq, int hkv, int d, float scale) {
    Parallel.forRange(b * hkv, 1, (from, to) -> {
      Backward bw = new Backward(q, k, v, out, lse, dOut, dq, dk, dv, t, hq, hkv, d, scale);
      for (int task = from; task < to; task++) bw.run(task / hkv, task % hkv);
    });
  }

  /** The scratch of one backward task: one kv head of one sequence, all its query heads. */
  private static final class Backward {
    final float[] q, k, v, out, lse, dOut, dq, dk, dv;
    final int t, hq, hkv, d, group;
    final float scale;
    final float[] qb, dob, dqAcc, delta, lseB, kT, vT, p, ds, dp, dkAcc, dvAcc;

    Backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut, float[] dq,
        float[] dk, float[] dv, int t, int hq, int hkv, int d, float scale) {
      this.q = q;
      this.k = k;
      this.v = v;
      this.out = out;
      this.lse = lse;
      this.dOut = dOut;
      this.dq = dq;
      this.dk = dk;
      this.dv = dv;
      this.t = t;
      this.hq = hq;
      this.hkv = hkv;
      this.d = d;
      this.group = hq / hkv;
      this.scale = scale;
      int bq = BACKWARD_QUERIES;
      qb = new float[bq * d];
      dob = new float[bq * d];
      dqAcc = new float[bq * d];
      delta = new float[bq];
      lseB = new float[bq];
      kT = new float[d * BK];
      vT = new float[d * BK];
      p = new float[bq * BK];
      ds = new float[bq * BK];
      dp = new float[BK];
      dkAcc = new float[t * d];
      dvAcc = new float[t * d];
    }

    void run(int s, int g) {
      Arrays.fill(dkAcc, 0f);
      Arrays.fill(dvAcc, 0f);
      for (int h = g * group; h < (g + 1) * group; h++) {
        for (int i0 = 0; i0 < t; i0 += BACKWARD_QUERIES) {
          queryBlock(s, g, h, i0, Math.min(t, i0 + BACKWARD_QUERIES));
        }
      }
      for (int j = 0; j < t; j++) {
        int dst = ((s * t + j) * hkv + g) * d;
        addInto(dkAcc, j * d, dk, dst, d);
        addInto(dvAcc, j * d, dv, dst, d);
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
      for (int j0 = 0; j0 < i1; j0 += BK) {
        int nk = Math.min(BK, i1 - j0);
        transposeTile(k, kT, s, g, j0, nk, t, hkv, d);
        transposeTile(v, vT, s, g, j0, nk, t, hkv, d);
        for (int r = 0; r < ni; r++) {
          int valid = Math.min(nk, i0 + r - j0 + 1);
          if (valid > 0) rowGradients(r, s, g, j0, valid);
        }
        for (int jj = 0; jj < nk; jj++) keyGradients(j0 + jj, jj, Math.max(0, j0 + jj - i0), ni);
      }
      for (int r = 0; r < ni; r++) addInto(dqAcc, r * d, dq, ((s * t + i0 + r) * hq + h) * d, d);
    }

    /**
     * Row {@code r}'s probabilities {@code p = exp(s - lse)}, score gradients {@code ds = p (dp -
     * D)} with {@code dp = dOut . v}, and {@code dq_r += scale * sum_j ds_j k_j}.
     */
    private void rowGradients(int r, int s, int g, int j0, int valid) {
      int po = r * BK;
      scores(qb, r * d, kT, d, p, po, scale);
      scores(dob, r * d, vT, d, dp, 0, 1f);
      float shift = lseB[r];
      float dr = delta[r];
      for (int jj = 0; jj < BK; jj += L) {
        FloatVector pv = FloatVector.fromArray(S, p, po + jj).sub(shift).lanewise(VectorOperators.EXP);
        pv.intoArray(p, po + jj);
        pv.mul(FloatVector.fromArray(S, dp, jj).sub(dr)).intoArray(ds, po + jj);
      }
      for (int jj = valid; jj < BK; jj++) {
        p[po + jj] = 0f;
        ds[po + jj] = 0f;
      }
      int kBase = (s * t + j0) * hkv * d + g * d;
      int kStride = hkv * d;
      int qo = r * d;
      int c = 0;
      for (int ub = S.loopBound(d); c < ub; c += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int jj = 0; jj < valid; jj++) {
          acc = FloatVector.fromArray(S, k, kBase + jj * kStride + c).fma(FloatVector.broadcast(S, ds[po + jj]), acc);
        }
        FloatVector.fromArray(S, dqAcc, qo + c).add(acc.mul(scale)).intoArray(dqAcc, qo + c);
      }
      for (; c < d; c++) {
        float acc = 0f;
        for (int jj = 0; jj < valid; jj++) acc += ds[po + jj] * k[kBase + jj * kStride + c];
        dqAcc[qo + c] += acc * scale;
      }
    }

    /** {@code dk_j += scale * sum_r ds_rj q_r} and {@code dv_j += sum_r p_rj dOut_r} over rows {@code [r0, ni)}. */
    private void keyGradients(int j, int jj, int r0, int ni) {
      int ko = j * d;
      int c = 0;
      for (int ub = S.loopBound(d); c < ub; c += L) {
        FloatVector gk = FloatVector.zero(S);
        FloatVector gv = FloatVector.zero(S);
        for (int r = r0; r < ni; r++) {
          gk = FloatVector.fromArray(S, qb, r * d + c).fma(FloatVector.broadcast(S, ds[r * BK + jj]), gk);
          gv = FloatVector.fromArray(S, dob, r * d + c).fma(FloatVector.broadcast(S, p[r * BK + jj]), gv);
        }
        FloatVector.fromArray(S, dkAcc, ko + c).add(gk.mul(scale)).intoArray(dkAcc, ko + c);
        FloatVector.fromArray(S, dvAcc, ko + c).add(gv).intoArray(dvAcc, ko + c);
      }
      for (; c < d; c++) {
        float gk = 0f;
        float gv = 0f;
        for (int r = r0; r < ni; r++) {
          gk += ds[r * BK + jj] * qb[r * d + c];
          gv += p[r * BK + jj] * dob[r * d + c];
        }
        dkAcc[ko + c] += gk * scale;
        dvAcc[ko + c] += gv;
      }
    }
  }

  private static void addInto(float[] src, int srcOff, float[] dst, int dstOff, int n) {
    int c = 0;
    for (int ub = S.loopBound(n); c < ub; c += L) {
      FloatVector.fromArray(S, dst, dstOff + c)
          .add(FloatVector.fromArray(S, src, srcOff + c))
          .intoArray(dst, dstOff + c);
    }
    for (; c < n; c++) dst[dstOff + c] += src[srcOff + c];
  }
}
