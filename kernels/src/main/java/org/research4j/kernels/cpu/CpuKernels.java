package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.research4j.kernels.Bf16;
import org.research4j.kernels.Buf;
import org.research4j.kernels.KernelContract;
import org.research4j.kernels.Kernels;

/**
 * The kernel set on the CPU: Java Vector API ({@link FloatVector#SPECIES_PREFERRED}, whatever width
 * the machine has) and the {@link Parallel} pool. Every call finishes before it returns, so {@link
 * #sync} has nothing to wait for.
 *
 * <p>Each primitive first checks its arguments with the {@link KernelContract} every kernel set
 * shares (and, since the CPU can read them for free, the values inside its index buffers), then
 * runs on the backing arrays. The larger kernels live in their own classes: {@link CpuAttention},
 * {@link CpuSoftmax} (softmax family and cross-entropy), {@link CpuRope} and {@code CpuSgemm}.
 */
public final class CpuKernels implements Kernels {

  /**
   * Elements per parallel task for streaming kernels: below this a task costs more than it saves.
   */
  private static final int GRAIN = 1 << 15;

  @Override
  public String description() {
    return "cpu: Java Vector API ("
        + S.vectorBitSize()
        + "-bit FloatVector), "
        + Parallel.threads()
        + " threads";
  }

  // ---------------------------------------------------------------------------------------------
  // Memory.

  @Override
  public Buf allocF32(int n) {
    CONTRACT.alloc("allocF32", n);
    return CpuBuf.f32(n);
  }

  @Override
  public Buf allocI32(int n) {
    CONTRACT.alloc("allocI32", n);
    return CpuBuf.i32(n);
  }

  @Override
  public void upload(float[] src, int srcOff, Buf dst, int dstOff, int n) {
    CONTRACT.upload(src.length, srcOff, dst, Buf.Type.F32, dstOff, n);
    float[] d = f(dst);
    System.arraycopy(src, srcOff, d, dstOff, n);
  }

  @Override
  public void upload(int[] src, int srcOff, Buf dst, int dstOff, int n) {
    CONTRACT.upload(src.length, srcOff, dst, Buf.Type.I32, dstOff, n);
    int[] d = ints(dst);
    System.arraycopy(src, srcOff, d, dstOff, n);
  }

  @Override
  public void download(Buf src, int srcOff, float[] dst, int dstOff, int n) {
    CONTRACT.download(src, Buf.Type.F32, srcOff, dst.length, dstOff, n);
    float[] s = CpuBuf.read(src);
    System.arraycopy(s, srcOff, dst, dstOff, n);
  }

  @Override
  public void download(Buf src, int srcOff, int[] dst, int dstOff, int n) {
    CONTRACT.download(src, Buf.Type.I32, srcOff, dst.length, dstOff, n);
    int[] s = ints(src);
    System.arraycopy(s, srcOff, dst, dstOff, n);
  }

  @Override
  public void copy(Buf src, int srcOff, Buf dst, int dstOff, int n) {
    CONTRACT.copy(src, srcOff, dst, dstOff, n);
    CpuBuf s = (CpuBuf) src;
    CpuBuf d = (CpuBuf) dst;
    if (s.type() == Buf.Type.F32) {
      System.arraycopy(s.floatsForReading(), srcOff, d.floats(), dstOff, n);
    } else if (s.type() == Buf.Type.BF16) {
      if (s.keyLayout() != null || d.keyLayout() != null) copyKeys(s, srcOff, d, dstOff, n);
      else System.arraycopy(s.shorts(), srcOff, d.shorts(), dstOff, n);
    } else System.arraycopy(s.ints(), srcOff, d.ints(), dstOff, n);
  }

  /**
   * {@link #copy} where a BF16 buffer holds the keys of a KV cache ({@link CpuBuf#bf16Keys}): whole
   * positions of one sequence between two key buffers of one geometry (what {@code KvCache.swap}
   * moves) go as one run per kv head and channel; anything else element by element.
   */
  private static void copyKeys(CpuBuf s, int srcOff, CpuBuf d, int dstOff, int n) {
    CpuBuf.KeyLayout ls = s.keyLayout();
    CpuBuf.KeyLayout ld = d.keyLayout();
    if (ls != null && ls.equals(ld)) {
      int per = ls.hkv() * ls.d();
      int seq = ls.tmax() * per;
      boolean whole =
          srcOff % per == 0
              && dstOff % per == 0
              && n % per == 0
              && srcOff % seq + n <= seq
              && dstOff % seq + n <= seq;
      if (whole) {
        short[] from = s.keyStorage();
        short[] to = d.keyStorage();
        int positions = n / per;
        int sa = srcOff / seq, pa = srcOff % seq / per;
        int sb = dstOff / seq, pb = dstOff % seq / per;
        for (int r = 0; r < per && positions > 0; r++) {
          System.arraycopy(
              from,
              (sa * per + r) * ls.tpad() + pa,
              to,
              (sb * per + r) * ls.tpad() + pb,
              positions);
        }
        return;
      }
    }
    short[] tmp = new short[n];
    if (ls != null) s.keyCopy(true, tmp, 0, srcOff, n);
    else System.arraycopy(s.shorts(), srcOff, tmp, 0, n);
    if (ld != null) d.keyCopy(false, tmp, 0, dstOff, n);
    else System.arraycopy(tmp, 0, d.shorts(), dstOff, n);
  }

  @Override
  public void fill(Buf x, int off, int n, float value) {
    CONTRACT.fill(x, off, n);
    float[] a = f(x);
    Arrays.fill(a, off, off + n, value);
  }

  @Override
  public void sync() {}

  @Override
  public void close() {}

  // ---------------------------------------------------------------------------------------------
  // Matrix multiply.

  @Override
  public void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf b,
      int bOff,
      int ldb,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    CONTRACT.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    float[] aa = CpuBuf.read(a);
    float[] ba = CpuBuf.read(b);
    // B's kept pack is looked up before C's array is handed out (which bumps C's version).
    SgemmBSlice[] kept = CpuSgemm.keptPack(CpuBuf.cast(b), transB, m, n, k, bOff, ldb);
    CpuSgemm.sgemm(
        transA, transB, m, n, k, alpha, aa, aOff, lda, ba, bOff, ldb, beta, f(c), cOff, ldc, kept);
  }

  // ---------------------------------------------------------------------------------------------
  // Attention.

  @Override
  public void attentionForward(
      Buf q,
      Buf k,
      Buf v,
      Buf out,
      Buf lse,
      Buf start,
      int b,
      int tq,
      int tk,
      int hq,
      int hkv,
      int d,
      float scale) {
    CONTRACT.attentionForward(q, k, v, out, lse, start, b, tq, tk, hq, hkv, d, bf16Caches());
    float[] qa = f(q);
    float[] oa = f(out);
    float[] la = lse == null ? null : f(lse);
    int[] st = start == null ? null : ints(start);
    if (st != null) KernelContract.attentionStarts(st, b, tq, tk);
    if (tq == 0) return;
    if (k.type() == Buf.Type.BF16) {
      CpuBuf kb = (CpuBuf) k;
      CpuBuf.KeyLayout keys = kb.keyLayout();
      if (keys != null && (keys.tmax() != tk || keys.hkv() != hkv || keys.d() != d)) {
        throw new IllegalArgumentException(
            "attentionForward: the key cache holds [b, "
                + keys.tmax()
                + ", "
                + keys.hkv()
                + ", "
                + keys.d()
                + "], called with tk = "
                + tk
                + ", hkv = "
                + hkv
                + ", d = "
                + d);
      }
      short[] kh = keys != null ? kb.keyStorage() : kb.shorts();
      short[] vh = ((CpuBuf) v).shorts();
      int ldt = keys != null ? keys.tpad() : 0;
      CpuAttention.forwardBf16(qa, kh, ldt, vh, oa, la, st, b, tq, tk, hq, hkv, d, scale);
    } else {
      CpuAttention.forward(qa, f(k), f(v), oa, la, st, b, tq, tk, hq, hkv, d, scale);
    }
  }

  @Override
  public void attentionBackward(
      Buf q,
      Buf k,
      Buf v,
      Buf out,
      Buf lse,
      Buf dOut,
      Buf dq,
      Buf dk,
      Buf dv,
      int b,
      int t,
      int hq,
      int hkv,
      int d,
      float scale) {
    CONTRACT.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, b, t, hq, hkv, d);
    float[] qa = f(q);
    float[] ka = f(k);
    float[] va = f(v);
    float[] oa = f(out);
    float[] la = f(lse);
    float[] doa = f(dOut);
    float[] dqa = f(dq);
    float[] dka = f(dk);
    float[] dva = f(dv);
    if (t == 0) return;
    CpuAttention.backward(qa, ka, va, oa, la, doa, dqa, dka, dva, b, t, hq, hkv, d, scale);
  }

  @Override
  public void forgetDerived(Buf b) {
    if (b instanceof CpuBuf c) c.forgetDerived();
  }

  /**
   * The CPU kernels keep KV caches in bfloat16 on request (see {@link Kernels#bf16Caches}), where
   * the vector shapes allow widening a vector of bfloat16 in one step (every AVX2 and AVX-512
   * machine).
   */
  @Override
  public boolean bf16Caches() {
    return CpuBf16.VECTOR;
  }

  @Override
  public void writeCache(Buf src, Buf cache, Buf start, int b, int tn, int tmax, int rowSize) {
    CONTRACT.writeCache(src, cache, start, b, tn, tmax, rowSize, bf16Caches());
    float[] sa = f(src);
    int[] st = ints(start);
    KernelContract.cacheStarts(st, b, tn, tmax);
    if (cache.type() == Buf.Type.BF16) {
      CpuBuf cb = (CpuBuf) cache;
      CpuBuf.KeyLayout keys = cb.keyLayout();
      if (keys == null) {
        short[] ch = cb.shorts();
        for (int s = 0; s < b; s++) {
          Bf16.round(sa, s * tn * rowSize, ch, (s * tmax + st[s]) * rowSize, tn * rowSize);
        }
        return;
      }
      if (keys.tmax() != tmax || keys.hkv() * keys.d() != rowSize) {
        throw new IllegalArgumentException(
            "writeCache: the key cache holds [b, "
                + keys.tmax()
                + ", "
                + keys.hkv()
                + ", "
                + keys.d()
                + "], got tmax = "
                + tmax
                + ", rowSize = "
                + rowSize);
      }
      // Keys stored transposed: each new position lands in every channel's row.
      short[] ch = cb.keyStorage();
      int tpad = keys.tpad();
      for (int s = 0; s < b; s++) {
        for (int i = 0; i < tn; i++) {
          int src0 = (s * tn + i) * rowSize;
          int pos = st[s] + i;
          for (int r = 0; r < rowSize; r++) {
            ch[(s * rowSize + r) * tpad + pos] = Bf16.round(sa[src0 + r]);
          }
        }
      }
      return;
    }
    float[] ca = f(cache);
    for (int s = 0; s < b; s++) {
      System.arraycopy(sa, s * tn * rowSize, ca, (s * tmax + st[s]) * rowSize, tn * rowSize);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  @Override
  public void rmsnormForward(Buf x, Buf w, Buf y, Buf rstd, int rows, int dim, float eps) {
    CONTRACT.rmsnormForward(x, w, y, rstd, rows, dim);
    float[] xa = f(x);
    float[] wa = f(w);
    float[] ya = f(y);
    float[] ra = f(rstd);
    Parallel.forRange(
        rows,
        CpuSoftmax.rowGrain(dim),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * dim;
            float rs = (float) (1.0 / Math.sqrt(Vec.dot(xa, off, xa, off, dim) / dim + eps));
            ra[r] = rs;
            int c = 0;
            // (x * rstd) * w: Hugging Face's order of the two multiplies, so results match in
            // float.
            for (int ub = S.loopBound(dim); c < ub; c += L) {
              FloatVector.fromArray(S, xa, off + c)
                  .mul(rs)
                  .mul(FloatVector.fromArray(S, wa, c))
                  .intoArray(ya, off + c);
            }
            for (; c < dim; c++) ya[off + c] = xa[off + c] * rs * wa[c];
          }
        });
  }

  @Override
  public void rmsnormBackward(Buf x, Buf w, Buf rstd, Buf dy, Buf dx, Buf dw, int rows, int dim) {
    CONTRACT.rmsnormBackward(x, w, rstd, dy, dx, dw, rows, dim);
    float[] xa = f(x);
    float[] wa = f(w);
    float[] ra = f(rstd);
    float[] dya = f(dy);
    float[] dxa = f(dx);
    float[] dwa = f(dw);
    // y = x r w with r = (mean(x^2) + eps)^(-1/2), so dr/dx_j = -r^3 x_j / dim and
    // dx_j = r w_j dy_j - x_j r^3 (sum_i dy_i w_i x_i) / dim.
    rowsWithPartials(
        rows,
        dim,
        dwa,
        (from, to, dwPart) -> {
          for (int r = from; r < to; r++) {
            int off = r * dim;
            float rs = ra[r];
            FloatVector dotAcc = FloatVector.zero(S);
            int c = 0;
            int ub = S.loopBound(dim);
            for (; c < ub; c += L) {
              FloatVector g = FloatVector.fromArray(S, dya, off + c);
              FloatVector xv = FloatVector.fromArray(S, xa, off + c);
              dotAcc = g.mul(FloatVector.fromArray(S, wa, c)).fma(xv, dotAcc);
              g.mul(xv)
                  .fma(FloatVector.broadcast(S, rs), FloatVector.fromArray(S, dwPart, c))
                  .intoArray(dwPart, c);
            }
            float dot = dotAcc.reduceLanes(VectorOperators.ADD);
            for (; c < dim; c++) {
              dot += dya[off + c] * wa[c] * xa[off + c];
              dwPart[c] += dya[off + c] * xa[off + c] * rs;
            }
            float k = -rs * rs * rs * dot / dim;
            for (c = 0; c < ub; c += L) {
              FloatVector gw =
                  FloatVector.fromArray(S, dya, off + c).mul(FloatVector.fromArray(S, wa, c));
              FloatVector d = FloatVector.fromArray(S, dxa, off + c).add(gw.mul(rs));
              FloatVector.fromArray(S, xa, off + c)
                  .fma(FloatVector.broadcast(S, k), d)
                  .intoArray(dxa, off + c);
            }
            for (; c < dim; c++) dxa[off + c] += dya[off + c] * wa[c] * rs + xa[off + c] * k;
          }
        });
  }

  @Override
  public void ropeForward(Buf x, Buf y, Buf pos, int n, int h, int d, float theta) {
    CONTRACT.ropeForward(x, y, pos, n, h, d);
    float[] xa = f(x);
    float[] ya = f(y);
    int[] pa = ints(pos);
    KernelContract.positions("ropeForward", pa, n);
    CpuRope.forward(xa, ya, pa, n, h, d, theta);
  }

  @Override
  public void ropeBackward(Buf dy, Buf dx, Buf pos, int n, int h, int d, float theta) {
    CONTRACT.ropeBackward(dy, dx, pos, n, h, d);
    float[] dya = f(dy);
    float[] dxa = f(dx);
    int[] pa = ints(pos);
    KernelContract.positions("ropeBackward", pa, n);
    CpuRope.backward(dya, dxa, pa, n, h, d, theta);
  }

  @Override
  public void swigluForward(Buf gate, Buf up, Buf y, int n) {
    CONTRACT.swigluForward(gate, up, y, n);
    float[] ga = f(gate);
    float[] ua = f(up);
    float[] ya = f(y);
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector g = FloatVector.fromArray(S, ga, i);
            g.mul(sigmoid(g)).mul(FloatVector.fromArray(S, ua, i)).intoArray(ya, i);
          }
          for (; i < to; i++) ya[i] = ga[i] * sigmoid(ga[i]) * ua[i];
        });
  }

  @Override
  public void swigluBackward(Buf gate, Buf up, Buf dy, Buf dgate, Buf dup, int n) {
    CONTRACT.swigluBackward(gate, up, dy, dgate, dup, n);
    float[] ga = f(gate);
    float[] ua = f(up);
    float[] dya = f(dy);
    float[] dga = f(dgate);
    float[] dua = f(dup);
    // silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g).
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector g = FloatVector.fromArray(S, ga, i);
            FloatVector s = sigmoid(g);
            FloatVector gy = FloatVector.fromArray(S, dya, i);
            FloatVector dsilu = s.mul(g.mul(s.neg().add(1f)).add(1f));
            gy.mul(FloatVector.fromArray(S, ua, i))
                .fma(dsilu, FloatVector.fromArray(S, dga, i))
                .intoArray(dga, i);
            gy.fma(g.mul(s), FloatVector.fromArray(S, dua, i)).intoArray(dua, i);
          }
          for (; i < to; i++) {
            float g = ga[i];
            float s = sigmoid(g);
            dga[i] += dya[i] * ua[i] * s * (1f + g * (1f - s));
            dua[i] += dya[i] * g * s;
          }
        });
  }

  private static FloatVector sigmoid(FloatVector g) {
    return FloatVector.broadcast(S, 1f).div(g.neg().lanewise(VectorOperators.EXP).add(1f));
  }

  private static float sigmoid(float g) {
    return (float) (1.0 / (1.0 + Math.exp(-g)));
  }

  @Override
  public void embeddingForward(Buf table, Buf ids, Buf out, int n, int dim) {
    CONTRACT.embeddingForward(table, ids, out, n, dim);
    float[] ta = CpuBuf.read(table);
    int[] ia = ints(ids);
    KernelContract.ids("embeddingForward", ia, n, dim == 0 ? 0 : ta.length / dim);
    float[] oa = f(out);
    Parallel.forRange(
        n,
        CpuSoftmax.rowGrain(dim),
        (from, to) -> {
          for (int i = from; i < to; i++) System.arraycopy(ta, ia[i] * dim, oa, i * dim, dim);
        });
  }

  @Override
  public void embeddingBackward(Buf dout, Buf ids, Buf dtable, int n, int dim) {
    CONTRACT.embeddingBackward(dout, ids, dtable, n, dim);
    float[] da = f(dout);
    float[] ta = f(dtable);
    int[] ia = ints(ids);
    KernelContract.ids("embeddingBackward", ia, n, dim == 0 ? 0 : ta.length / dim);
    // Tasks own column ranges, so repeated ids never race: each task walks all ids in order.
    Parallel.forRange(
        dim,
        Math.max(L, GRAIN / Math.max(1, n)),
        (c0, c1) -> {
          for (int i = 0; i < n; i++) Vec.addInto(da, i * dim + c0, ta, ia[i] * dim + c0, c1 - c0);
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  @Override
  public void softmaxForward(Buf x, Buf y, int rows, int cols) {
    CONTRACT.rowsForward("softmaxForward", x, y, rows, cols);
    CpuSoftmax.softmaxForward(f(x), f(y), rows, cols);
  }

  @Override
  public void softmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    CONTRACT.rowsBackward("softmaxBackward", y, dy, dx, rows, cols);
    CpuSoftmax.softmaxBackward(f(y), f(dy), f(dx), rows, cols);
  }

  @Override
  public void logSoftmaxForward(Buf x, Buf y, int rows, int cols) {
    CONTRACT.rowsForward("logSoftmaxForward", x, y, rows, cols);
    CpuSoftmax.logSoftmaxForward(f(x), f(y), rows, cols);
  }

  @Override
  public void logSoftmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    CONTRACT.rowsBackward("logSoftmaxBackward", y, dy, dx, rows, cols);
    CpuSoftmax.logSoftmaxBackward(f(y), f(dy), f(dx), rows, cols);
  }

  @Override
  public void crossEntropyForward(
      Buf logits, Buf targets, Buf loss, Buf lse, int rows, int v, int ignoreIndex) {
    CONTRACT.crossEntropyForward(logits, targets, loss, lse, rows, v);
    float[] la = f(logits);
    int[] ta = ints(targets);
    KernelContract.targets("crossEntropyForward", ta, rows, v, ignoreIndex);
    float[] lossA = f(loss);
    float[] lseA = f(lse);
    CpuSoftmax.crossEntropyForward(la, ta, lossA, lseA, rows, v, ignoreIndex);
  }

  @Override
  public void crossEntropyBackward(
      Buf logits, Buf targets, Buf lse, Buf dloss, Buf dlogits, int rows, int v, int ignoreIndex) {
    CONTRACT.crossEntropyBackward(logits, targets, lse, dloss, dlogits, rows, v);
    float[] la = f(logits);
    int[] ta = ints(targets);
    KernelContract.targets("crossEntropyBackward", ta, rows, v, ignoreIndex);
    float[] lseA = f(lse);
    float[] dl = f(dloss);
    float[] dla = f(dlogits);
    CpuSoftmax.crossEntropyBackward(la, ta, lseA, dl, dla, rows, v, ignoreIndex);
  }

  @Override
  public void grpoLossForward(
      Buf logp,
      Buf oldLogp,
      Buf refLogp,
      Buf adv,
      Buf weight,
      Buf loss,
      Buf kl,
      int n,
      float epsLow,
      float epsHigh,
      float beta) {
    CONTRACT.grpoLoss(
        "grpoLossForward", logp, oldLogp, refLogp, adv, weight, "loss", loss, "kl", kl, n);
    float[] lp = f(logp);
    float[] old = f(oldLogp);
    float[] ref = f(refLogp);
    float[] a = f(adv);
    float[] w = f(weight);
    float[] la = f(loss);
    float[] ka = f(kl);
    for (int t = 0; t < n; t++) {
      double rho = Math.exp((double) lp[t] - old[t]);
      double clipped = Math.min(Math.max(rho, 1.0 - epsLow), 1.0 + epsHigh);
      double pg = Math.max(-a[t] * rho, -a[t] * clipped);
      double k = clampKl(k3((double) ref[t] - lp[t]));
      ka[t] = (float) k;
      la[t] = (float) (w[t] * (pg + beta * k));
    }
  }

  @Override
  public void grpoLossBackward(
      Buf logp,
      Buf oldLogp,
      Buf refLogp,
      Buf adv,
      Buf weight,
      Buf dloss,
      Buf dlogp,
      int n,
      float epsLow,
      float epsHigh,
      float beta) {
    CONTRACT.grpoLoss(
        "grpoLossBackward", logp, oldLogp, refLogp, adv, weight, "dloss", dloss, "dlogp", dlogp, n);
    float[] lp = f(logp);
    float[] old = f(oldLogp);
    float[] ref = f(refLogp);
    float[] a = f(adv);
    float[] w = f(weight);
    float[] dl = f(dloss);
    float[] dlp = f(dlogp);
    for (int t = 0; t < n; t++) {
      double rho = Math.exp((double) lp[t] - old[t]);
      double clipped = Math.min(Math.max(rho, 1.0 - epsLow), 1.0 + epsHigh);
      // PPO's pessimistic bound: the gradient flows only where the unclipped term is the max.
      double dpg = -a[t] * rho >= -a[t] * clipped ? -a[t] * rho : 0.0;
      double x = (double) ref[t] - lp[t];
      double k = k3(x);
      double dkl = k == clampKl(k) ? 1.0 - Math.exp(x) : 0.0;
      dlp[t] += (float) (dl[t] * w[t] * (dpg + beta * dkl));
    }
  }

  /** Schulman's k3 estimator of KL(policy || reference) with {@code x = refLogp - logp}. */
  private static double k3(double x) {
    return Math.exp(x) - x - 1.0;
  }

  private static double clampKl(double k) {
    return Math.min(Math.max(k, -10.0), 10.0);
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise and reductions.

  @Override
  public void add(Buf a, Buf b, Buf out, int n) {
    float[][] x = three("add", a, b, out, n);
    float[] aa = x[0], ba = x[1], oa = x[2];
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector.fromArray(S, aa, i).add(FloatVector.fromArray(S, ba, i)).intoArray(oa, i);
          }
          for (; i < to; i++) oa[i] = aa[i] + ba[i];
        });
  }

  @Override
  public void mul(Buf a, Buf b, Buf out, int n) {
    float[][] x = three("mul", a, b, out, n);
    float[] aa = x[0], ba = x[1], oa = x[2];
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector.fromArray(S, aa, i).mul(FloatVector.fromArray(S, ba, i)).intoArray(oa, i);
          }
          for (; i < to; i++) oa[i] = aa[i] * ba[i];
        });
  }

  @Override
  public void mulAcc(Buf a, Buf b, Buf out, int n) {
    float[][] x = three("mulAcc", a, b, out, n);
    float[] aa = x[0], ba = x[1], oa = x[2];
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector.fromArray(S, aa, i)
                .fma(FloatVector.fromArray(S, ba, i), FloatVector.fromArray(S, oa, i))
                .intoArray(oa, i);
          }
          for (; i < to; i++) oa[i] += aa[i] * ba[i];
        });
  }

  private static float[][] three(String kn, Buf a, Buf b, Buf out, int n) {
    CONTRACT.binary(kn, a, b, out, n);
    return new float[][] {f(a), f(b), f(out)};
  }

  @Override
  public void axpy(float alpha, Buf x, Buf y, int n) {
    CONTRACT.axpy(x, y, n);
    float[] xa = f(x);
    float[] ya = f(y);
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector.fromArray(S, xa, i)
                .fma(FloatVector.broadcast(S, alpha), FloatVector.fromArray(S, ya, i))
                .intoArray(ya, i);
          }
          for (; i < to; i++) ya[i] += alpha * xa[i];
        });
  }

  @Override
  public void scale(Buf x, float alpha, int n) {
    CONTRACT.vector("scale", x, n);
    float[] xa = f(x);
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector.fromArray(S, xa, i).mul(alpha).intoArray(xa, i);
          }
          for (; i < to; i++) xa[i] *= alpha;
        });
  }

  @Override
  public void addBias(Buf x, Buf bias, int rows, int cols) {
    CONTRACT.columns("addBias", x, "bias", bias, rows, cols);
    float[] xa = f(x);
    float[] ba = f(bias);
    Parallel.forRange(
        rows,
        CpuSoftmax.rowGrain(cols),
        (from, to) -> {
          for (int r = from; r < to; r++) Vec.addInto(ba, 0, xa, r * cols, cols);
        });
  }

  @Override
  public void sumRowsAcc(Buf x, Buf out, int rows, int cols) {
    CONTRACT.columns("sumRowsAcc", x, "out", out, rows, cols);
    float[] xa = f(x);
    float[] oa = f(out);
    rowsWithPartials(
        rows,
        cols,
        oa,
        (from, to, part) -> {
          for (int r = from; r < to; r++) Vec.addInto(xa, r * cols, part, 0, cols);
        });
  }

  @Override
  public void reduceSum(Buf x, Buf out, int n) {
    CONTRACT.reduceSum(x, out, n);
    float[] xa = f(x);
    float[] oa = f(out);
    oa[0] = (float) parallelSum(xa, n, false);
  }

  @Override
  public void reduceSumBackward(Buf dout, Buf dx, int n) {
    CONTRACT.reduceSumBackward(dout, dx, n);
    float g = f(dout)[0];
    float[] dxa = f(dx);
    Parallel.forRange(
        n,
        GRAIN,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector.fromArray(S, dxa, i).add(g).intoArray(dxa, i);
          }
          for (; i < to; i++) dxa[i] += g;
        });
  }

  @Override
  public double sumSquares(Buf x, int n) {
    CONTRACT.vector("sumSquares", x, n);
    return parallelSum(f(x), n, true);
  }

  @Override
  public int countNonFinite(Buf x, int n) {
    CONTRACT.vector("countNonFinite", x, n);
    float[] xa = f(x);
    int tasks = tasks(n);
    int[] counts = new int[tasks];
    Parallel.forRange(
        tasks,
        1,
        (t0, t1) -> {
          for (int t = t0; t < t1; t++) {
            int from = split(n, tasks, t);
            int to = split(n, tasks, t + 1);
            int count = 0;
            int i = from;
            for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
              count +=
                  FloatVector.fromArray(S, xa, i).test(VectorOperators.IS_FINITE).not().trueCount();
            }
            for (; i < to; i++) if (!Float.isFinite(xa[i])) count++;
            counts[t] = count;
          }
        });
    int total = 0;
    for (int c : counts) total += c;
    return total;
  }

  // ---------------------------------------------------------------------------------------------
  // Optimiser.

  @Override
  public void adamw(
      Buf p,
      Buf g,
      Buf m,
      Buf v,
      int n,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    CONTRACT.adamw(p, g, m, v, n, step);
    float[] pa = f(p);
    float[] ga = f(g);
    float[] ma = f(m);
    float[] va = f(v);
    // The order of torch.optim.AdamW (single-tensor path): decay p, update the moments, then
    // p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps), the bias corrections in double.
    float decay = (float) (1.0 - (double) lr * weightDecay);
    float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
    float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
    float oneMinusB1 = (float) (1.0 - beta1);
    float oneMinusB2 = (float) (1.0 - beta2);
    Parallel.forRange(
        n,
        GRAIN / 4,
        (from, to) -> {
          int i = from;
          for (int ub = from + S.loopBound(to - from); i < ub; i += L) {
            FloatVector gv = FloatVector.fromArray(S, ga, i).mul(gradScale);
            FloatVector mv = FloatVector.fromArray(S, ma, i).mul(beta1).add(gv.mul(oneMinusB1));
            FloatVector vv =
                FloatVector.fromArray(S, va, i).mul(beta2).add(gv.mul(gv).mul(oneMinusB2));
            FloatVector denom = vv.sqrt().div(bc2Sqrt).add(eps);
            FloatVector pv = FloatVector.fromArray(S, pa, i).mul(decay);
            pv.sub(mv.div(denom).mul(stepSize)).intoArray(pa, i);
            mv.intoArray(ma, i);
            vv.intoArray(va, i);
          }
          for (; i < to; i++) {
            float gi = ga[i] * gradScale;
            float mi = ma[i] * beta1 + gi * oneMinusB1;
            float vi = va[i] * beta2 + gi * gi * oneMinusB2;
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            pa[i] = pa[i] * decay - mi / denom * stepSize;
            ma[i] = mi;
            va[i] = vi;
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Shared helpers.

  /** A body over rows {@code [from, to)} that accumulates a per-column result into {@code part}. */
  @FunctionalInterface
  private interface RowsBody {
    void run(int from, int to, float[] part);
  }

  /**
   * Runs {@code body} over row ranges in parallel, each task with its own zeroed {@code [cols]}
   * partial, then adds the partials into {@code out}: a column sum over rows without two threads
   * ever writing one element.
   */
  private static void rowsWithPartials(int rows, int cols, float[] out, RowsBody body) {
    int tasks = Math.min(rows, tasks((long) rows * cols));
    if (tasks <= 1) {
      float[] part = new float[cols];
      body.run(0, rows, part);
      Vec.addInto(part, 0, out, 0, cols);
      return;
    }
    float[][] parts = new float[tasks][];
    Parallel.forRange(
        tasks,
        1,
        (t0, t1) -> {
          for (int t = t0; t < t1; t++) {
            parts[t] = new float[cols];
            body.run(split(rows, tasks, t), split(rows, tasks, t + 1), parts[t]);
          }
        });
    for (float[] part : parts) Vec.addInto(part, 0, out, 0, cols);
  }

  private static double parallelSum(float[] x, int n, boolean squares) {
    int tasks = tasks(n);
    double[] parts = new double[tasks];
    Parallel.forRange(
        tasks,
        1,
        (t0, t1) -> {
          for (int t = t0; t < t1; t++) {
            parts[t] = Vec.sumDouble(x, split(n, tasks, t), split(n, tasks, t + 1), squares);
          }
        });
    double s = 0;
    for (double p : parts) s += p;
    return s;
  }

  /** Number of tasks worth splitting {@code work} elements into: at most one per thread. */
  private static int tasks(long work) {
    return (int) Math.max(1, Math.min(Parallel.threads(), work / GRAIN));
  }

  /** Start of part {@code t} of {@code n} items split into {@code parts} near-equal parts. */
  private static int split(int n, int parts, int t) {
    return (int) ((long) n * t / parts);
  }

  // ---------------------------------------------------------------------------------------------
  // Arguments: checked by the contract every kernel set shares, then read as arrays.

  /** The checks of every primitive; CPU buffers are never closed. */
  private static final KernelContract CONTRACT =
      new KernelContract("the CPU kernels", b -> b instanceof CpuBuf, b -> false);

  /** The array of a buffer the contract accepted as F32. */
  private static float[] f(Buf b) {
    return ((CpuBuf) b).floats();
  }

  /** The array of a buffer the contract accepted as I32. */
  private static int[] ints(Buf b) {
    return ((CpuBuf) b).ints();
  }

  // ---------------------------------------------------------------------------------------------
  // Frozen bfloat16 weights: arguments are checked and the work done in CpuBf16.

  @Override
  public Buf allocBf16(int n) {
    CpuBf16.nonNegative("allocBf16", "n", n);
    return CpuBuf.bf16(n);
  }

  /** Keys stored transposed, {@code [b, hkv, d, t]} (see {@link CpuBuf#bf16Keys}). */
  @Override
  public Buf allocBf16Keys(int b, int tmax, int hkv, int d) {
    if (b == 0 || tmax == 0 || hkv == 0 || d == 0) return CpuBuf.bf16(0);
    return CpuBuf.bf16Keys(b, tmax, hkv, d);
  }

  /** A grouped matrix (see {@link CpuBuf}), or a plain buffer when it has no elements. */
  @Override
  public Buf allocBf16Matrix(int rows, int cols) {
    CpuBf16.nonNegative("allocBf16Matrix", "rows", rows);
    CpuBf16.nonNegative("allocBf16Matrix", "cols", cols);
    if (rows == 0 || cols == 0) return CpuBuf.bf16(0);
    return CpuBuf.bf16Panels(rows, cols);
  }

  @Override
  public void uploadBf16(short[] src, int srcOff, Buf dst, int dstOff, int n) {
    CpuBuf d = CpuBf16.bf16Buf("uploadBf16", "dst", dst);
    CpuBf16.range("uploadBf16", "src", src.length, srcOff, n);
    CpuBf16.range("uploadBf16", "dst", d.length(), dstOff, n);
    if (d.panelled()) d.panelCopy(false, src, srcOff, dstOff, n);
    else if (d.keyLayout() != null) d.keyCopy(false, src, srcOff, dstOff, n);
    else System.arraycopy(src, srcOff, d.shorts(), dstOff, n);
  }

  @Override
  public void downloadBf16(Buf src, int srcOff, short[] dst, int dstOff, int n) {
    CpuBuf s = CpuBf16.bf16Buf("downloadBf16", "src", src);
    CpuBf16.range("downloadBf16", "src", s.length(), srcOff, n);
    CpuBf16.range("downloadBf16", "dst", dst.length, dstOff, n);
    if (s.panelled()) s.panelCopy(true, dst, dstOff, srcOff, n);
    else if (s.keyLayout() != null) s.keyCopy(true, dst, dstOff, srcOff, n);
    else System.arraycopy(s.shorts(), srcOff, dst, dstOff, n);
  }

  @Override
  public void sgemmBf16(
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf w,
      int wOff,
      int ldw,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    CpuBf16.checkedGemm(m, n, k, alpha, a, aOff, lda, w, wOff, ldw, beta, c, cOff, ldc);
  }

  @Override
  public void embeddingForwardBf16(Buf table, Buf ids, Buf out, int n, int dim) {
    CpuBf16.checkedEmbedding(table, ids, out, n, dim);
  }

  // ---------------------------------------------------------------------------------------------
  // Frozen int8 weights: arguments are checked and the work done in CpuInt8.

  /** An int8 matrix in row panels (see {@link CpuBuf#int8Panels}). */
  @Override
  public Buf allocInt8Matrix(int rows, int cols) {
    KernelContract.nonNegative("allocInt8Matrix", "rows", rows);
    KernelContract.nonNegative("allocInt8Matrix", "cols", cols);
    return CpuBuf.int8Panels(rows, cols);
  }

  @Override
  public void uploadInt8(
      byte[] q, int qOff, float[] scales, int scalesOff, Buf dst, int row0, int rows) {
    CpuBuf d = CpuInt8.int8Buf("uploadInt8", "dst", dst);
    KernelContract.int8Copy(
        "uploadInt8",
        d.panelRows(),
        d.panelCols(),
        row0,
        rows,
        q.length,
        qOff,
        scales.length,
        scalesOff);
    d.int8Copy(false, q, qOff, scales, scalesOff, row0, rows);
  }

  @Override
  public void downloadInt8(
      Buf src, int row0, int rows, byte[] q, int qOff, float[] scales, int scalesOff) {
    CpuBuf s = CpuInt8.int8Buf("downloadInt8", "src", src);
    KernelContract.int8Copy(
        "downloadInt8",
        s.panelRows(),
        s.panelCols(),
        row0,
        rows,
        q.length,
        qOff,
        scales.length,
        scalesOff);
    s.int8Copy(true, q, qOff, scales, scalesOff, row0, rows);
  }

  @Override
  public void sgemmInt8(
      int m,
      int n,
      int k,
      float alpha,
      Buf a,
      int aOff,
      int lda,
      Buf w,
      int wOff,
      int ldw,
      float beta,
      Buf c,
      int cOff,
      int ldc) {
    CpuInt8.checkedGemm(m, n, k, alpha, a, aOff, lda, w, wOff, ldw, beta, c, cOff, ldc);
  }

  @Override
  public void embeddingForwardInt8(Buf table, Buf ids, Buf out, int n, int dim) {
    CpuInt8.checkedEmbedding(table, ids, out, n, dim);
  }
}
