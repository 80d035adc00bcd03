package org.research4j.kernels.cpu;

/** Row-major SGEMM on the CPU (see {@code Kernels#sgemm} for the contract). */
final class CpuSgemm {
  private CpuSgemm() {}

  /** Placeholder plain-loop version; the packed, blocked, threaded version replaces it. */
  static void sgemm(
      boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float acc = 0f;
        for (int p = 0; p < k; p++) {
          float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          acc += av * bv;
        }
        int ci = cOff + i * ldc + j;
        c[ci] = beta == 0f ? alpha * acc : alpha * acc + beta * c[ci];
      }
    }
  }
}
