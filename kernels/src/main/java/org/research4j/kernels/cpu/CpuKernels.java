package org.research4j.kernels.cpu;

import static org.research4j.kernels.cpu.Vec.L;
import static org.research4j.kernels.cpu.Vec.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * The kernel set on the CPU: Java Vector API ({@link FloatVector#SPECIES_PREFERRED}, whatever width
 * the machine has) and the {@link Parallel} pool. Every call finishes before it returns, so {@link
 * #sync} has nothing to wait for.
 *
 * <p>Each primitive first checks its buffers against the sizes its shape arguments imply, then runs
 * on the backing arrays. The larger kernels live in their own classes: {@link CpuAttention}, {@link
 * CpuSoftmax} (softmax family and cross-entropy), {@link CpuRope} and {@code CpuSgemm}.
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
    nonNegative("allocF32", "n", n);
    return CpuBuf.f32(n);
  }

  @Override
  public Buf allocI32(int n) {
    nonNegative("allocI32", "n", n);
    return CpuBuf.i32(n);
  }

  @Override
  public void upload(float[] src, int srcOff, Buf dst, int dstOff, int n) {
    range("upload", "src", src.length, srcOff, n);
    float[] d = f32("upload", "dst", dst, 0, "0");
    range("upload", "dst", d.length, dstOff, n);
    System.arraycopy(src, srcOff, d, dstOff, n);
  }

  @Override
  public void upload(int[] src, int srcOff, Buf dst, int dstOff, int n) {
    range("upload", "src", src.length, srcOff, n);
    int[] d = i32("upload", "dst", dst, 0, "0");
    range("upload", "dst", d.length, dstOff, n);
    System.arraycopy(src, srcOff, d, dstOff, n);
  }

  @Override
  public void download(Buf src, int srcOff, float[] dst, int dstOff, int n) {
    float[] s = f32("download", "src", src, 0, "0");
    range("download", "src", s.length, srcOff, n);
    range("download", "dst", dst.length, dstOff, n);
    System.arraycopy(s, srcOff, dst, dstOff, n);
  }

  @Override
  public void download(Buf src, int srcOff, int[] dst, int dstOff, int n) {
    int[] s = i32("download", "src", src, 0, "0");
    range("download", "src", s.length, srcOff, n);
    range("download", "dst", dst.length, dstOff, n);
    System.arraycopy(s, srcOff, dst, dstOff, n);
  }

  @Override
  public void copy(Buf src, int srcOff, Buf dst, int dstOff, int n) {
    CpuBuf s = cpu("copy", "src", src);
    CpuBuf d = cpu("copy", "dst", dst);
    if (s.type() != d.type()) {
      throw new IllegalArgumentException(
          "copy: src is " + s.type() + " but dst is " + d.type() + "; both must have one type");
    }
    range("copy", "src", s.length(), srcOff, n);
    range("copy", "dst", d.length(), dstOff, n);
    if (s.type() == Buf.Type.F32) System.arraycopy(s.floats(), srcOff, d.floats(), dstOff, n);
    else System.arraycopy(s.ints(), srcOff, d.ints(), dstOff, n);
  }

  @Override
  public void fill(Buf x, int off, int n, float value) {
    float[] a = f32("fill", "x", x, 0, "0");
    range("fill", "x", a.length, off, n);
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
    nonNegative("sgemm", "m", m);
    nonNegative("sgemm", "n", n);
    nonNegative("sgemm", "k", k);
    float[] av = matrix("a", a, aOff, transA ? k : m, transA ? m : k, lda);
    float[] bv = matrix("b", b, bOff, transB ? n : k, transB ? k : n, ldb);
    float[] cv = matrix("c", c, cOff, m, n, ldc);
    CpuSgemm.sgemm(
        transA, transB, m, n, k, alpha, av, aOff, lda, bv, bOff, ldb, beta, cv, cOff, ldc);
  }

  private static float[] matrix(String arg, Buf buf, int off, int rows, int cols, int ld) {
    float[] x = f32("sgemm", arg, buf, 0, "0");
    if (off < 0)
      throw new IllegalArgumentException("sgemm: " + arg + "Off = " + off + " is negative");
    if (rows > 0 && ld < cols) {
      throw new IllegalArgumentException(
          "sgemm: ld" + arg + " = " + ld + " is smaller than the " + cols + " columns of " + arg);
    }
    long need = rows == 0 || cols == 0 ? 0 : off + (long) (rows - 1) * ld + cols;
    if (x.length < need) {
      throw new IllegalArgumentException(
          "sgemm: "
              + arg
              + " has "
              + x.length
              + " elements, "
              + arg
              + "Off + (rows-1)*ld"
              + arg
              + " + cols = "
              + need
              + " ("
              + rows
              + " x "
              + cols
              + ")");
    }
    return x;
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
    String kn = "attentionForward";
    heads(kn, b, hq, hkv, d);
    nonNegative(kn, "tq", tq);
    nonNegative(kn, "tk", tk);
    long qn = (long) b * tq * hq * d;
    long kvn = (long) b * tk * hkv * d;
    float[] qa = f32(kn, "q", q, qn, "b*tq*hq*d");
    float[] ka = f32(kn, "k", k, kvn, "b*tk*hkv*d");
    float[] va = f32(kn, "v", v, kvn, "b*tk*hkv*d");
    float[] oa = f32(kn, "out", out, qn, "b*tq*hq*d");
    float[] la = lse == null ? null : f32(kn, "lse", lse, (long) b * hq * tq, "b*hq*tq");
    int[] st = start == null ? null : i32(kn, "start", start, b, "b");
    for (int s = 0; s < b; s++) {
      int p0 = st == null ? 0 : st[s];
      if (p0 < 0 || p0 + tq > tk) {
        throw new IllegalArgumentException(
            kn
                + ": sequence "
                + s
                + " has start "
                + p0
                + " and tq = "
                + tq
                + ", so its last query sits at position "
                + (p0 + tq - 1)
                + ", but only tk = "
                + tk
                + " keys exist (need 0 <= start and start + tq <= tk)");
      }
    }
    if (tq == 0) return;
    CpuAttention.forward(qa, ka, va, oa, la, st, b, tq, tk, hq, hkv, d, scale);
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
    String kn = "attentionBackward";
    heads(kn, b, hq, hkv, d);
    nonNegative(kn, "t", t);
    long qn = (long) b * t * hq * d;
    long kvn = (long) b * t * hkv * d;
    float[] qa = f32(kn, "q", q, qn, "b*t*hq*d");
    float[] ka = f32(kn, "k", k, kvn, "b*t*hkv*d");
    float[] va = f32(kn, "v", v, kvn, "b*t*hkv*d");
    float[] oa = f32(kn, "out", out, qn, "b*t*hq*d");
    float[] la = f32(kn, "lse", lse, (long) b * hq * t, "b*hq*t");
    float[] doa = f32(kn, "dOut", dOut, qn, "b*t*hq*d");
    float[] dqa = f32(kn, "dq", dq, qn, "b*t*hq*d");
    float[] dka = f32(kn, "dk", dk, kvn, "b*t*hkv*d");
    float[] dva = f32(kn, "dv", dv, kvn, "b*t*hkv*d");
    if (t == 0) return;
    CpuAttention.backward(qa, ka, va, oa, la, doa, dqa, dka, dva, b, t, hq, hkv, d, scale);
  }

  private static void heads(String kn, int b, int hq, int hkv, int d) {
    nonNegative(kn, "b", b);
    nonNegative(kn, "d", d);
    if (hq <= 0 || hkv <= 0 || hq % hkv != 0) {
      throw new IllegalArgumentException(
          kn + ": hq = " + hq + " must be a positive multiple of hkv = " + hkv);
    }
  }

  @Override
  public void writeCache(Buf src, Buf cache, Buf start, int b, int tn, int tmax, int rowSize) {
    String kn = "writeCache";
    nonNegative(kn, "b", b);
    nonNegative(kn, "tn", tn);
    nonNegative(kn, "tmax", tmax);
    nonNegative(kn, "rowSize", rowSize);
    float[] sa = f32(kn, "src", src, (long) b * tn * rowSize, "b*tn*rowSize");
    float[] ca = f32(kn, "cache", cache, (long) b * tmax * rowSize, "b*tmax*rowSize");
    int[] st = i32(kn, "start", start, b, "b");
    for (int s = 0; s < b; s++) {
      if (st[s] < 0 || st[s] + tn > tmax) {
        throw new IllegalArgumentException(
            kn
                + ": sequence "
                + s
                + " writes rows "
                + st[s]
                + ".."
                + (st[s] + tn - 1)
                + " but the cache holds tmax = "
                + tmax
                + " rows");
      }
    }
    for (int s = 0; s < b; s++) {
      System.arraycopy(sa, s * tn * rowSize, ca, (s * tmax + st[s]) * rowSize, tn * rowSize);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  @Override
  public void rmsnormForward(Buf x, Buf w, Buf y, Buf rstd, int rows, int dim, float eps) {
    String kn = "rmsnormForward";
    nonNegative(kn, "rows", rows);
    nonNegative(kn, "dim", dim);
    long n = (long) rows * dim;
    float[] xa = f32(kn, "x", x, n, "rows*dim");
    float[] wa = f32(kn, "w", w, dim, "dim");
    float[] ya = f32(kn, "y", y, n, "rows*dim");
    float[] ra = f32(kn, "rstd", rstd, rows, "rows");
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
    String kn = "rmsnormBackward";
    nonNegative(kn, "rows", rows);
    nonNegative(kn, "dim", dim);
    long n = (long) rows * dim;
    float[] xa = f32(kn, "x", x, n, "rows*dim");
    float[] wa = f32(kn, "w", w, dim, "dim");
    float[] ra = f32(kn, "rstd", rstd, rows, "rows");
    float[] dya = f32(kn, "dy", dy, n, "rows*dim");
    float[] dxa = f32(kn, "dx", dx, n, "rows*dim");
    float[] dwa = f32(kn, "dw", dw, dim, "dim");
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
    String kn = "ropeForward";
    ropeShape(kn, n, h, d);
    long size = (long) n * h * d;
    float[] xa = f32(kn, "x", x, size, "n*h*d");
    float[] ya = f32(kn, "y", y, size, "n*h*d");
    int[] pa = positions(kn, pos, n);
    CpuRope.forward(xa, ya, pa, n, h, d, theta);
  }

  @Override
  public void ropeBackward(Buf dy, Buf dx, Buf pos, int n, int h, int d, float theta) {
    String kn = "ropeBackward";
    ropeShape(kn, n, h, d);
    long size = (long) n * h * d;
    float[] dya = f32(kn, "dy", dy, size, "n*h*d");
    float[] dxa = f32(kn, "dx", dx, size, "n*h*d");
    int[] pa = positions(kn, pos, n);
    CpuRope.backward(dya, dxa, pa, n, h, d, theta);
  }

  private static void ropeShape(String kn, int n, int h, int d) {
    nonNegative(kn, "n", n);
    nonNegative(kn, "h", h);
    if (d <= 0 || d % 2 != 0) {
      throw new IllegalArgumentException(
          kn + ": head size d = " + d + " must be positive and even");
    }
  }

  private static int[] positions(String kn, Buf pos, int n) {
    int[] pa = i32(kn, "pos", pos, n, "n");
    for (int i = 0; i < n; i++) {
      if (pa[i] < 0)
        throw new IllegalArgumentException(kn + ": pos[" + i + "] = " + pa[i] + " < 0");
    }
    return pa;
  }

  @Override
  public void swigluForward(Buf gate, Buf up, Buf y, int n) {
    String kn = "swigluForward";
    nonNegative(kn, "n", n);
    float[] ga = f32(kn, "gate", gate, n, "n");
    float[] ua = f32(kn, "up", up, n, "n");
    float[] ya = f32(kn, "y", y, n, "n");
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
    String kn = "swigluBackward";
    nonNegative(kn, "n", n);
    float[] ga = f32(kn, "gate", gate, n, "n");
    float[] ua = f32(kn, "up", up, n, "n");
    float[] dya = f32(kn, "dy", dy, n, "n");
    float[] dga = f32(kn, "dgate", dgate, n, "n");
    float[] dua = f32(kn, "dup", dup, n, "n");
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
    String kn = "embeddingForward";
    nonNegative(kn, "n", n);
    nonNegative(kn, "dim", dim);
    float[] ta = f32(kn, "table", table, 0, "0");
    int[] ia = ids(kn, ids, n, dim == 0 ? 0 : ta.length / dim);
    float[] oa = f32(kn, "out", out, (long) n * dim, "n*dim");
    Parallel.forRange(
        n,
        CpuSoftmax.rowGrain(dim),
        (from, to) -> {
          for (int i = from; i < to; i++) System.arraycopy(ta, ia[i] * dim, oa, i * dim, dim);
        });
  }

  @Override
  public void embeddingBackward(Buf dout, Buf ids, Buf dtable, int n, int dim) {
    String kn = "embeddingBackward";
    nonNegative(kn, "n", n);
    nonNegative(kn, "dim", dim);
    float[] da = f32(kn, "dout", dout, (long) n * dim, "n*dim");
    float[] ta = f32(kn, "dtable", dtable, 0, "0");
    int[] ia = ids(kn, ids, n, dim == 0 ? 0 : ta.length / dim);
    // Tasks own column ranges, so repeated ids never race: each task walks all ids in order.
    Parallel.forRange(
        dim,
        Math.max(L, GRAIN / Math.max(1, n)),
        (c0, c1) -> {
          for (int i = 0; i < n; i++) Vec.addInto(da, i * dim + c0, ta, ia[i] * dim + c0, c1 - c0);
        });
  }

  private static int[] ids(String kn, Buf ids, int n, int vocab) {
    int[] ia = i32(kn, "ids", ids, n, "n");
    for (int i = 0; i < n; i++) {
      if (ia[i] < 0 || ia[i] >= vocab) {
        throw new IllegalArgumentException(
            kn + ": ids[" + i + "] = " + ia[i] + " is outside the table's " + vocab + " rows");
      }
    }
    return ia;
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  @Override
  public void softmaxForward(Buf x, Buf y, int rows, int cols) {
    float[][] a = rowsPair("softmaxForward", "x", x, "y", y, rows, cols);
    CpuSoftmax.softmaxForward(a[0], a[1], rows, cols);
  }

  @Override
  public void softmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    float[][] a = rowsPair("softmaxBackward", "y", y, "dy", dy, rows, cols);
    float[] dxa = f32("softmaxBackward", "dx", dx, (long) rows * cols, "rows*cols");
    CpuSoftmax.softmaxBackward(a[0], a[1], dxa, rows, cols);
  }

  @Override
  public void logSoftmaxForward(Buf x, Buf y, int rows, int cols) {
    float[][] a = rowsPair("logSoftmaxForward", "x", x, "y", y, rows, cols);
    CpuSoftmax.logSoftmaxForward(a[0], a[1], rows, cols);
  }

  @Override
  public void logSoftmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols) {
    float[][] a = rowsPair("logSoftmaxBackward", "y", y, "dy", dy, rows, cols);
    float[] dxa = f32("logSoftmaxBackward", "dx", dx, (long) rows * cols, "rows*cols");
    CpuSoftmax.logSoftmaxBackward(a[0], a[1], dxa, rows, cols);
  }

  private static float[][] rowsPair(
      String kn, String an, Buf a, String bn, Buf b, int rows, int cols) {
    nonNegative(kn, "rows", rows);
    nonNegative(kn, "cols", cols);
    long n = (long) rows * cols;
    return new float[][] {f32(kn, an, a, n, "rows*cols"), f32(kn, bn, b, n, "rows*cols")};
  }

  @Override
  public void crossEntropyForward(
      Buf logits, Buf targets, Buf loss, Buf lse, int rows, int v, int ignoreIndex) {
    String kn = "crossEntropyForward";
    nonNegative(kn, "rows", rows);
    nonNegative(kn, "v", v);
    float[] la = f32(kn, "logits", logits, (long) rows * v, "rows*v");
    int[] ta = targets(kn, targets, rows, v, ignoreIndex);
    float[] lossA = f32(kn, "loss", loss, rows, "rows");
    float[] lseA = f32(kn, "lse", lse, rows, "rows");
    CpuSoftmax.crossEntropyForward(la, ta, lossA, lseA, rows, v, ignoreIndex);
  }

  @Override
  public void crossEntropyBackward(
      Buf logits, Buf targets, Buf lse, Buf dloss, Buf dlogits, int rows, int v, int ignoreIndex) {
    String kn = "crossEntropyBackward";
    nonNegative(kn, "rows", rows);
    nonNegative(kn, "v", v);
    float[] la = f32(kn, "logits", logits, (long) rows * v, "rows*v");
    int[] ta = targets(kn, targets, rows, v, ignoreIndex);
    float[] lseA = f32(kn, "lse", lse, rows, "rows");
    float[] dl = f32(kn, "dloss", dloss, rows, "rows");
    float[] dla = f32(kn, "dlogits", dlogits, (long) rows * v, "rows*v");
    CpuSoftmax.crossEntropyBackward(la, ta, lseA, dl, dla, rows, v, ignoreIndex);
  }

  private static int[] targets(String kn, Buf targets, int rows, int v, int ignoreIndex) {
    int[] ta = i32(kn, "targets", targets, rows, "rows");
    for (int r = 0; r < rows; r++) {
      int t = ta[r];
      if (t != ignoreIndex && (t < 0 || t >= v)) {
        throw new IllegalArgumentException(
            kn
                + ": targets["
                + r
                + "] = "
                + t
                + " is neither in [0, v = "
                + v
                + ") nor the ignore index "
                + ignoreIndex);
      }
    }
    return ta;
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
    String kn = "grpoLossForward";
    nonNegative(kn, "n", n);
    float[] lp = f32(kn, "logp", logp, n, "n");
    float[] old = f32(kn, "oldLogp", oldLogp, n, "n");
    float[] ref = f32(kn, "refLogp", refLogp, n, "n");
    float[] a = f32(kn, "adv", adv, n, "n");
    float[] w = f32(kn, "weight", weight, n, "n");
    float[] la = f32(kn, "loss", loss, n, "n");
    float[] ka = f32(kn, "kl", kl, n, "n");
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
    String kn = "grpoLossBackward";
    nonNegative(kn, "n", n);
    float[] lp = f32(kn, "logp", logp, n, "n");
    float[] old = f32(kn, "oldLogp", oldLogp, n, "n");
    float[] ref = f32(kn, "refLogp", refLogp, n, "n");
    float[] a = f32(kn, "adv", adv, n, "n");
    float[] w = f32(kn, "weight", weight, n, "n");
    float[] dl = f32(kn, "dloss", dloss, n, "n");
    float[] dlp = f32(kn, "dlogp", dlogp, n, "n");
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
    nonNegative(kn, "n", n);
    return new float[][] {
      f32(kn, "a", a, n, "n"), f32(kn, "b", b, n, "n"), f32(kn, "out", out, n, "n")
    };
  }

  @Override
  public void axpy(float alpha, Buf x, Buf y, int n) {
    nonNegative("axpy", "n", n);
    float[] xa = f32("axpy", "x", x, n, "n");
    float[] ya = f32("axpy", "y", y, n, "n");
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
    nonNegative("scale", "n", n);
    float[] xa = f32("scale", "x", x, n, "n");
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
    nonNegative("addBias", "rows", rows);
    nonNegative("addBias", "cols", cols);
    float[] xa = f32("addBias", "x", x, (long) rows * cols, "rows*cols");
    float[] ba = f32("addBias", "bias", bias, cols, "cols");
    Parallel.forRange(
        rows,
        CpuSoftmax.rowGrain(cols),
        (from, to) -> {
          for (int r = from; r < to; r++) Vec.addInto(ba, 0, xa, r * cols, cols);
        });
  }

  @Override
  public void sumRowsAcc(Buf x, Buf out, int rows, int cols) {
    nonNegative("sumRowsAcc", "rows", rows);
    nonNegative("sumRowsAcc", "cols", cols);
    float[] xa = f32("sumRowsAcc", "x", x, (long) rows * cols, "rows*cols");
    float[] oa = f32("sumRowsAcc", "out", out, cols, "cols");
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
    nonNegative("reduceSum", "n", n);
    float[] xa = f32("reduceSum", "x", x, n, "n");
    float[] oa = f32("reduceSum", "out", out, 1, "1");
    oa[0] = (float) parallelSum(xa, n, false);
  }

  @Override
  public void reduceSumBackward(Buf dout, Buf dx, int n) {
    nonNegative("reduceSumBackward", "n", n);
    float g = f32("reduceSumBackward", "dout", dout, 1, "1")[0];
    float[] dxa = f32("reduceSumBackward", "dx", dx, n, "n");
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
    nonNegative("sumSquares", "n", n);
    return parallelSum(f32("sumSquares", "x", x, n, "n"), n, true);
  }

  @Override
  public int countNonFinite(Buf x, int n) {
    nonNegative("countNonFinite", "n", n);
    float[] xa = f32("countNonFinite", "x", x, n, "n");
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
    String kn = "adamw";
    nonNegative(kn, "n", n);
    if (step < 1) throw new IllegalArgumentException(kn + ": step = " + step + " must be >= 1");
    float[] pa = f32(kn, "p", p, n, "n");
    float[] ga = f32(kn, "g", g, n, "n");
    float[] ma = f32(kn, "m", m, n, "n");
    float[] va = f32(kn, "v", v, n, "n");
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
  // Argument checks: cheap, and each names the kernel, the argument and both sizes.

  private static CpuBuf cpu(String kn, String arg, Buf buf) {
    if (buf instanceof CpuBuf c) return c;
    throw new IllegalArgumentException(
        kn
            + ": "
            + arg
            + (buf == null
                ? " is null"
                : " is a " + buf.getClass().getName() + ", not a buffer made by the CPU kernels"));
  }

  private static float[] f32(String kn, String arg, Buf buf, long need, String expr) {
    CpuBuf c = cpu(kn, arg, buf);
    if (c.type() != Buf.Type.F32) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be an F32 buffer, got I32");
    }
    float[] a = c.floats();
    if (a.length < need) {
      throw new IllegalArgumentException(
          kn + ": " + arg + " has " + a.length + " elements, " + expr + " = " + need);
    }
    return a;
  }

  private static int[] i32(String kn, String arg, Buf buf, long need, String expr) {
    CpuBuf c = cpu(kn, arg, buf);
    if (c.type() != Buf.Type.I32) {
      throw new IllegalArgumentException(kn + ": " + arg + " must be an I32 buffer, got F32");
    }
    int[] a = c.ints();
    if (a.length < need) {
      throw new IllegalArgumentException(
          kn + ": " + arg + " has " + a.length + " elements, " + expr + " = " + need);
    }
    return a;
  }

  private static void range(String kn, String arg, int length, int off, int n) {
    if (off < 0 || n < 0 || (long) off + n > length) {
      throw new IllegalArgumentException(
          kn
              + ": "
              + arg
              + " has "
              + length
              + " elements, "
              + arg
              + " offset + n = "
              + off
              + " + "
              + n
              + " = "
              + ((long) off + n));
    }
  }

  private static void nonNegative(String kn, String name, int value) {
    if (value < 0) throw new IllegalArgumentException(kn + ": " + name + " = " + value + " < 0");
  }
}
