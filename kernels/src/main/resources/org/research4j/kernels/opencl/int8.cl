// research4j OpenCL kernels that read frozen int8 weights with one float32 scale per row (see
// Int8.java: element (r, c) stands for q[r, c] * scale[r]) and compute in float32. An I8 buffer
// holds the rows * cols int8 values row-major, padded to 4 bytes, then the row scales; the host
// passes the buffer twice, as the values (char) and as the scales (float, from sOff). Host code:
// ClKernels.java, section "Frozen int8 weights".

#define TS 16

// C = alpha * A (W * scale)^T + beta * C; A float [m, k] (stride lda), W int8 [n, k] (stride ldw,
// from element wOff; its row j has the scale scales[sOff + j]), C float [m, n] (stride ldc).
// Work-groups of TS x TS threads, one output each; both tiles are read along k (coalesced), W
// widened once into local memory, the dot product over the int8 values accumulated in float32 and
// multiplied by the row's scale at the end. Plain tiling, as bf16.cl: correct everywhere, not tuned.
__kernel void sgemm_int8(int m, int n, int k, float alpha, __global const float *a, int aOff,
                         int lda, __global const char *w, int wOff, int ldw,
                         __global const float *scales, int sOff, float beta, __global float *c,
                         int cOff, int ldc) {
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
    ws[ty][tx] = (jw < n && p < k) ? (float) w[wOff + (size_t) jw * ldw + p] : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < TS; q++) acc = fma(as[ty][q], ws[tx][q], acc);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (i < m && j < n) {
    const size_t x = cOff + (size_t) i * ldc + j;
    const float v = alpha * (acc * scales[sOff + j]);
    c[x] = beta == 0.0f ? v : v + beta * c[x];
  }
}

// out[i, :] = table[ids[i], :] * scale[ids[i]]; ids outside the table give NaN (checked on the host
// too, where the ids are on the host).
__kernel void embedding_forward_int8(__global const char *table, __global const float *scales,
                                     int sOff, __global const int *ids, __global float *out, int n,
                                     int dim, int vocab) {
  const int idx = get_global_id(0);
  if (idx >= n * dim) return;
  const int i = idx / dim, col = idx % dim;
  const int id = ids[i];
  out[idx] = (id >= 0 && id < vocab) ? (float) table[(size_t) id * dim + col] * scales[sOff + id]
                                     : NAN;
}
