// research4j OpenCL kernels that read frozen bfloat16 weights (ushort bit patterns: the top half of
// a float32, so widening is a shift) and compute in float32. Host code: ClKernels.java, section
// "Frozen bfloat16 weights".

#define TS 16

inline float bf16(ushort bits) { return as_float(((uint) bits) << 16); }

// C = alpha * A W^T + beta * C; A float [m, k] (stride lda), W bfloat16 [n, k] (stride ldw), C
// float [m, n] (stride ldc). Work-groups of TS x TS threads, one output each; both tiles are read
// along k (coalesced), W widened once into local memory, accumulation in float32. Plain tiling:
// correct everywhere, not tuned (the float32 sgemm.cl is the tuned one).
__kernel void sgemm_bf16(int m, int n, int k, float alpha, __global const float *a, int aOff,
                         int lda, __global const ushort *w, int wOff, int ldw, float beta,
                         __global float *c, int cOff, int ldc) {
  __local float as[TS][TS + 1];
  __local float ws[TS][TS + 1];
  const int tx = get_local_id(0), ty = get_local_id(1);
  const int j = get_group_id(0) * TS + tx;
  const int i = get_group_id(1) * TS + ty;
  const int jw = get_group_id(0) * TS + ty;
  float acc = 0.0f;
  for (int p0 = 0; p0 < k; p0 += TS) {
    const int p = p0 + tx;
    as[ty][tx] = (i < m && p < k) ? a[aOff + (size_t) i * lda + p] : 0.0f;
    ws[ty][tx] = (jw < n && p < k) ? bf16(w[wOff + (size_t) jw * ldw + p]) : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < TS; q++) acc = fma(as[ty][q], ws[tx][q], acc);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (i < m && j < n) {
    const size_t x = cOff + (size_t) i * ldc + j;
    c[x] = beta == 0.0f ? alpha * acc : alpha * acc + beta * c[x];
  }
}

// out[i, :] = float(table[ids[i], :]); ids outside the table give NaN (checked on the host too).
__kernel void embedding_forward_bf16(__global const ushort *table, __global const int *ids,
                                     __global float *out, int n, int dim, int vocab) {
  const int idx = get_global_id(0);
  if (idx >= n * dim) return;
  const int i = idx / dim, col = idx % dim;
  const int id = ids[i];
  out[idx] = (id >= 0 && id < vocab) ? bf16(table[(size_t) id * dim + col]) : NAN;
}
