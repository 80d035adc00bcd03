// research4j OpenCL sgemm: C = alpha * op(A) * op(B) + beta * C, row-major, any transposes,
// offsets and leading dimensions, any sizes (tiles past the matrix edges read zeros and write
// nothing).
//
// Tiled and register-blocked in the manner of CLBlast's Xgemm kernel. A work-group of
// MDIMC x NDIMC threads owns an MWG x NWG tile of C and walks K in steps of KWG: the threads copy
// the A and B tiles into local memory (reading along the contiguous dimension of each matrix, so
// global reads coalesce), then each thread multiplies its MWI x NWI block of C out of registers,
// reading operands from local memory VWM (A) and VWN (B) floats at a time. A thread's rows are
// VWM-wide chunks strided by MDIMC*VWM (and its columns likewise), so neighbouring threads read
// neighbouring local addresses and write neighbouring C elements.
//
// Built with -D MWG, NWG, KWG, MDIMC, NDIMC, VWM, VWN (GemmConfig.java checks divisibility).
// Host code: ClKernels.sgemm.

#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
#define THREADS (MDIMC * NDIMC)
// Local tile rows are padded by one vector: without it, the transposed-B (and plain-A) copies
// store KWG-strided addresses that land in the same local memory bank.
#define LDA_L (MWG + VWM)
#define LDB_L (NWG + VWN)

#if VWM == 1
typedef float floatM;
#define UNPACK_M(dst, v) { (dst)[0] = (v); }
#elif VWM == 2
typedef float2 floatM;
#define UNPACK_M(dst, v) { (dst)[0] = (v).s0; (dst)[1] = (v).s1; }
#elif VWM == 4
typedef float4 floatM;
#define UNPACK_M(dst, v) { (dst)[0] = (v).s0; (dst)[1] = (v).s1; (dst)[2] = (v).s2; (dst)[3] = (v).s3; }
#endif

#if VWN == 1
typedef float floatN;
#define UNPACK_N(dst, v) { (dst)[0] = (v); }
#elif VWN == 2
typedef float2 floatN;
#define UNPACK_N(dst, v) { (dst)[0] = (v).s0; (dst)[1] = (v).s1; }
#elif VWN == 4
typedef float4 floatN;
#define UNPACK_N(dst, v) { (dst)[0] = (v).s0; (dst)[1] = (v).s1; (dst)[2] = (v).s2; (dst)[3] = (v).s3; }
#endif

// trans_a and trans_b are compile-time constants in each of the four kernels below, so the
// compiler specialises the tile copies; one program holds all four.
inline void sgemm_body(const int trans_a, const int trans_b, const int m, const int n,
                       const int k, const float alpha, __global const float *a, const int a_off,
                       const int lda, __global const float *b, const int b_off, const int ldb,
                       const float beta, __global float *c, const int c_off, const int ldc,
                       __local floatM *alm, __local floatN *blm) {
  const int tn = get_local_id(0), tm = get_local_id(1);
  const int tid = tm * NDIMC + tn;
  const int m0 = get_group_id(1) * MWG, n0 = get_group_id(0) * NWG;
  __local float *almf = (__local float *) alm;
  __local float *blmf = (__local float *) blm;

  float acc[MWI][NWI];
#pragma unroll
  for (int i = 0; i < MWI; i++) {
#pragma unroll
    for (int j = 0; j < NWI; j++) acc[i][j] = 0.0f;
  }

  for (int k0 = 0; k0 < k; k0 += KWG) {
#pragma unroll
    for (int l = 0; l < MWG * KWG / THREADS; l++) {
      const int idx = tid + l * THREADS;
      const int mm = trans_a ? idx % MWG : idx / KWG;
      const int kk = trans_a ? idx / MWG : idx % KWG;
      const int gm = m0 + mm, gk = k0 + kk;
      float val = 0.0f;
      if (gm < m && gk < k) val = trans_a ? a[a_off + gk * lda + gm] : a[a_off + gm * lda + gk];
      almf[kk * LDA_L + mm] = val;
    }
#pragma unroll
    for (int l = 0; l < NWG * KWG / THREADS; l++) {
      const int idx = tid + l * THREADS;
      const int nn = trans_b ? idx / KWG : idx % NWG;
      const int kk = trans_b ? idx % KWG : idx / NWG;
      const int gn = n0 + nn, gk = k0 + kk;
      float val = 0.0f;
      if (gn < n && gk < k) val = trans_b ? b[b_off + gn * ldb + gk] : b[b_off + gk * ldb + gn];
      blmf[kk * LDB_L + nn] = val;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

#pragma unroll
    for (int kk = 0; kk < KWG; kk++) {
      float ar[MWI], br[NWI];
#pragma unroll
      for (int iv = 0; iv < MWI / VWM; iv++) {
        const floatM v = alm[kk * (LDA_L / VWM) + iv * MDIMC + tm];
        UNPACK_M(ar + iv * VWM, v);
      }
#pragma unroll
      for (int jv = 0; jv < NWI / VWN; jv++) {
        const floatN v = blm[kk * (LDB_L / VWN) + jv * NDIMC + tn];
        UNPACK_N(br + jv * VWN, v);
      }
#pragma unroll
      for (int i = 0; i < MWI; i++) {
#pragma unroll
        for (int j = 0; j < NWI; j++) acc[i][j] = fma(ar[i], br[j], acc[i][j]);
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

#pragma unroll
  for (int i = 0; i < MWI; i++) {
    const int gm = m0 + ((i / VWM) * MDIMC + tm) * VWM + i % VWM;
#pragma unroll
    for (int j = 0; j < NWI; j++) {
      const int gn = n0 + ((j / VWN) * NDIMC + tn) * VWN + j % VWN;
      if (gm < m && gn < n) {
        const int ci = c_off + gm * ldc + gn;
        const float r = alpha * acc[i][j];
        // beta == 0 overwrites: C may hold garbage or NaN from a pooled buffer.
        c[ci] = beta == 0.0f ? r : r + beta * c[ci];
      }
    }
  }
}

#define SGEMM_KERNEL(name, ta, tb)                                                          \
  __kernel __attribute__((reqd_work_group_size(NDIMC, MDIMC, 1))) void name(                \
      const int m, const int n, const int k, const float alpha, __global const float *a,    \
      const int a_off, const int lda, __global const float *b, const int b_off,             \
      const int ldb, const float beta, __global float *c, const int c_off, const int ldc) { \
    __local floatM alm[KWG * (LDA_L / VWM)];                                                \
    __local floatN blm[KWG * (LDB_L / VWN)];                                                \
    sgemm_body(ta, tb, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc,   \
               alm, blm);                                                                   \
  }

SGEMM_KERNEL(sgemm_nn, 0, 0)
SGEMM_KERNEL(sgemm_nt, 0, 1)
SGEMM_KERNEL(sgemm_tn, 1, 0)
SGEMM_KERNEL(sgemm_tt, 1, 1)
