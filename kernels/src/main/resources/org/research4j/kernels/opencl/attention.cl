// research4j OpenCL attention: causal grouped-query attention, flash style.
//
// Layouts (row-major): q, out, dq: [b, tq, hq, D]; k, v, dk, dv: [b, tk, hkv, D];
// lse, delta: [b, hq, tq]. Query head h reads kv head h / (hq / hkv). Query i of sequence s sits at
// position start[s] + i and attends keys 0..that position.
//
// Forward: one thread per query keeps its query row and output accumulator in registers; the
// work-group walks the keys in tiles of BK rows copied to local memory, with the online softmax
// (running max m, running sum l, rescaling the accumulator when the max grows), so no T x T
// matrix exists. Backward (FlashAttention-2, probabilities recomputed from lse): one pass per
// query for dq, one pass per key for dk and dv, so every gradient row has a single writer and no
// atomics are needed.
//
// Built with -D HEAD_DIM (exact, so the per-thread rows unroll into registers) and -D BK.
// Host code: ClKernels.attentionForward / attentionBackward.

#define D HEAD_DIM

__kernel void attention_forward(__global const float *q, __global const float *k,
                                __global const float *v, __global float *out,
                                __global float *lse, __global const int *start, const int has_lse,
                                const int has_start, const int tq, const int tk, const int hq,
                                const int hkv, const float scale) {
  __local float kt[BK * D];
  __local float vt[BK * D];
  const int lid = get_local_id(0), bq = get_local_size(0);
  const int i0 = get_group_id(0) * bq, i = i0 + lid;
  const int h = get_group_id(1), s = get_group_id(2);
  const int g = h / (hq / hkv);
  const int st = has_start ? start[s] : 0;
  const int active = i < tq;
  const int p = st + i;
  // Keys any query of this work-group needs; never past the cache.
  const int kend = min(st + min(i0 + bq, tq), tk);

  float qr[D], acc[D];
  const size_t qbase = (((size_t) s * tq + i) * hq + h) * D;
#pragma unroll
  for (int c = 0; c < D; c++) {
    qr[c] = active ? q[qbase + c] : 0.0f;
    acc[c] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;

  for (int j0 = 0; j0 < kend; j0 += BK) {
    const int nk = min(BK, kend - j0);
    for (int e = lid; e < nk * D; e += bq) {
      const int jj = e / D, c = e % D;
      const size_t src = (((size_t) s * tk + j0 + jj) * hkv + g) * D + c;
      kt[e] = k[src];
      vt[e] = v[src];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int lim = active ? min(nk, p - j0 + 1) : 0;
    if (lim > 0) {
      float sc[BK];
      float mt = m;
#pragma unroll
      for (int jj = 0; jj < BK; jj++) {
        if (jj < lim) {
          float dot = 0.0f;
#pragma unroll
          for (int c = 0; c < D; c++) dot = fma(qr[c], kt[jj * D + c], dot);
          sc[jj] = dot * scale;
          mt = fmax(mt, sc[jj]);
        }
      }
      const float corr = exp(m - mt);
      l *= corr;
#pragma unroll
      for (int c = 0; c < D; c++) acc[c] *= corr;
#pragma unroll
      for (int jj = 0; jj < BK; jj++) {
        if (jj < lim) {
          const float pj = exp(sc[jj] - mt);
          l += pj;
#pragma unroll
          for (int c = 0; c < D; c++) acc[c] = fma(pj, vt[jj * D + c], acc[c]);
        }
      }
      m = mt;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  if (active) {
    const float inv = 1.0f / l;
#pragma unroll
    for (int c = 0; c < D; c++) out[qbase + c] = acc[c] * inv;
    if (has_lse) lse[((size_t) s * hq + h) * tq + i] = m + log(l);
  }
}

// delta[s, h, i] = sum_c dOut[s, i, h, c] * out[s, i, h, c]: the row term of the softmax backward.
__kernel void attention_backward_delta(__global const float *out, __global const float *dout,
                                       __global float *delta, const int t, const int hq) {
  const int i = get_global_id(0), h = get_global_id(1), s = get_global_id(2);
  if (i >= t) return;
  const size_t base = (((size_t) s * t + i) * hq + h) * D;
  float sum = 0.0f;
  for (int c = 0; c < D; c++) sum = fma(dout[base + c], out[base + c], sum);
  delta[((size_t) s * hq + h) * t + i] = sum;
}

// dq[i] += scale * sum_{j <= i} p_ij (dOut_i . v_j - delta_i) k_j, p_ij = exp(scale q_i.k_j - lse_i).
__kernel void attention_backward_dq(__global const float *q, __global const float *k,
                                    __global const float *v, __global const float *lse,
                                    __global const float *dout, __global const float *delta,
                                    __global float *dq, const int t, const int hq, const int hkv,
                                    const float scale) {
  __local float kt[BK * D];
  __local float vt[BK * D];
  const int lid = get_local_id(0), bq = get_local_size(0);
  const int i0 = get_group_id(0) * bq, i = i0 + lid;
  const int h = get_group_id(1), s = get_group_id(2);
  const int g = h / (hq / hkv);
  const int active = i < t;
  const int kend = min(i0 + bq, t);

  float qr[D], dor[D], acc[D];
  const size_t qbase = (((size_t) s * t + i) * hq + h) * D;
#pragma unroll
  for (int c = 0; c < D; c++) {
    qr[c] = active ? q[qbase + c] : 0.0f;
    dor[c] = active ? dout[qbase + c] : 0.0f;
    acc[c] = 0.0f;
  }
  const size_t row = ((size_t) s * hq + h) * t + i;
  const float li = active ? lse[row] : 0.0f;
  const float di = active ? delta[row] : 0.0f;

  for (int j0 = 0; j0 < kend; j0 += BK) {
    const int nk = min(BK, kend - j0);
    for (int e = lid; e < nk * D; e += bq) {
      const int jj = e / D, c = e % D;
      const size_t src = (((size_t) s * t + j0 + jj) * hkv + g) * D + c;
      kt[e] = k[src];
      vt[e] = v[src];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int lim = active ? min(nk, i - j0 + 1) : 0;
    for (int jj = 0; jj < lim; jj++) {
      float sdot = 0.0f, pdot = 0.0f;
#pragma unroll
      for (int c = 0; c < D; c++) {
        sdot = fma(qr[c], kt[jj * D + c], sdot);
        pdot = fma(dor[c], vt[jj * D + c], pdot);
      }
      const float ds = exp(sdot * scale - li) * (pdot - di);
#pragma unroll
      for (int c = 0; c < D; c++) acc[c] = fma(ds, kt[jj * D + c], acc[c]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (active) {
#pragma unroll
    for (int c = 0; c < D; c++) dq[qbase + c] += scale * acc[c];
  }
}

// For key j of kv head g, over the query heads of its group and the queries i >= j:
// dv[j] += sum p_ij dOut_i;  dk[j] += scale * sum p_ij (dOut_i . v_j - delta_i) q_i.
__kernel void attention_backward_dkdv(__global const float *q, __global const float *k,
                                      __global const float *v, __global const float *lse,
                                      __global const float *dout, __global const float *delta,
                                      __global float *dk, __global float *dv, const int t,
                                      const int hq, const int hkv, const float scale) {
  __local float qt[BK * D];
  __local float dot_[BK * D];
  __local float lt[BK];
  __local float dt[BK];
  const int lid = get_local_id(0), bk = get_local_size(0);
  const int j0 = get_group_id(0) * bk, j = j0 + lid;
  const int g = get_group_id(1), s = get_group_id(2);
  const int rep = hq / hkv;
  const int active = j < t;

  float kr[D], vr[D], dka[D], dva[D];
  const size_t kbase = (((size_t) s * t + j) * hkv + g) * D;
#pragma unroll
  for (int c = 0; c < D; c++) {
    kr[c] = active ? k[kbase + c] : 0.0f;
    vr[c] = active ? v[kbase + c] : 0.0f;
    dka[c] = 0.0f;
    dva[c] = 0.0f;
  }

  for (int h = g * rep; h < (g + 1) * rep; h++) {
    // Queries before this work-group's first key see none of its keys.
    for (int q0 = j0; q0 < t; q0 += BK) {
      const int nq = min(BK, t - q0);
      for (int e = lid; e < nq * D; e += bk) {
        const int ii = e / D, c = e % D;
        const size_t src = (((size_t) s * t + q0 + ii) * hq + h) * D + c;
        qt[e] = q[src];
        dot_[e] = dout[src];
      }
      for (int ii = lid; ii < nq; ii += bk) {
        const size_t row = ((size_t) s * hq + h) * t + q0 + ii;
        lt[ii] = lse[row];
        dt[ii] = delta[row];
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      if (active) {
        for (int ii = max(0, j - q0); ii < nq; ii++) {
          float sdot = 0.0f, pdot = 0.0f;
#pragma unroll
          for (int c = 0; c < D; c++) {
            sdot = fma(qt[ii * D + c], kr[c], sdot);
            pdot = fma(dot_[ii * D + c], vr[c], pdot);
          }
          const float p = exp(sdot * scale - lt[ii]);
          const float ds = p * (pdot - dt[ii]);
#pragma unroll
          for (int c = 0; c < D; c++) {
            dva[c] = fma(p, dot_[ii * D + c], dva[c]);
            dka[c] = fma(ds, qt[ii * D + c], dka[c]);
          }
        }
      }
      barrier(CLK_LOCAL_MEM_FENCE);
    }
  }
  if (active) {
#pragma unroll
    for (int c = 0; c < D; c++) {
      dk[kbase + c] += scale * dka[c];
      dv[kbase + c] += dva[c];
    }
  }
}
