// research4j OpenCL attention: causal grouped-query attention, flash style.
//
// Layouts (row-major): q, out, dq: [b, tq, hq, D]; k, v, dk, dv: [b, tk, hkv, D];
// lse, delta: [b, hq, tq]. Query head h reads kv head h / (hq / hkv). Query i of sequence s sits at
// position start[s] + i and attends keys 0..that position.
//
// Forward: each query row is held in registers by SPLIT work-items (lanes), each keeping C <= 32
// of its D floats of the query and of the output accumulator, so D = 128 costs 64 registers per
// work-item, not 256 (which spills on GPUs). A work-group of ROWS queries walks the keys in tiles
// of BK rows copied to local memory; each lane computes its share of the BK dot products, the
// shares meet in local memory and every lane of the row adds them up in the same order (so all
// lanes agree bit for bit on the scores), then runs the online softmax (running max m, running
// sum l, rescaling the accumulator when the max grows), so no T x T matrix exists. Backward
// (FlashAttention-2, probabilities recomputed from lse): one pass per query for dq, one pass per
// key for dk and dv, split the same way, so every gradient row has a single writer and no atomics
// are needed. OpenCL C 1.2 only: the lanes meet through local memory and barriers, not
// sub-group operations. The host splits rows on GPUs only: on CPU devices (PoCL) a work-item has
// no register file to overflow, and SPLIT = 1 lets the forward skip the exchange altogether.
//
// Built with -D HEAD_DIM (exact, so the per-lane rows unroll into registers), -D SPLIT, -D ROWS
// (rows per work-group, which is ROWS * SPLIT work-items) and -D BK.
// Host code: ClKernels.attentionForward / attentionBackward.

#define D HEAD_DIM
#define S SPLIT
#define WG (ROWS * SPLIT)
#define C ((D + S - 1) / S)
// Column of a row held at index cc by this lane: the lanes of a row interleave, so together they
// read consecutive floats. OWNS is false only for the tail of an uneven split (D % S != 0).
#define COL(cc) (lane + S * (cc))
#define OWNS(cc) (D % S == 0 || COL(cc) < D)

__kernel void attention_forward(__global const float *q, __global const float *k,
                                __global const float *v, __global float *out,
                                __global float *lse, __global const int *start, const int has_lse,
                                const int has_start, const int tq, const int tk, const int hq,
                                const int hkv, const float scale) {
  __local float kt[BK * D];
  __local float vt[BK * D];
#if SPLIT > 1
  __local float part[BK * WG];
#endif
  const int lid = get_local_id(0), row = lid / S, lane = lid % S;
  const int i0 = get_group_id(0) * ROWS, i = i0 + row;
  const int h = get_group_id(1), s = get_group_id(2);
  const int g = h / (hq / hkv);
  const int st = has_start ? start[s] : 0;
  const int active = i < tq;
  const int p = st + i;
  // Keys any query of this work-group needs; never past the cache.
  const int kend = min(st + min(i0 + ROWS, tq), tk);

  float qr[C], acc[C];
  const size_t qbase = (((size_t) s * tq + i) * hq + h) * D;
#pragma unroll
  for (int cc = 0; cc < C; cc++) {
    qr[cc] = active && OWNS(cc) ? q[qbase + COL(cc)] : 0.0f;
    acc[cc] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;

  for (int j0 = 0; j0 < kend; j0 += BK) {
    const int nk = min(BK, kend - j0);
    for (int e = lid; e < nk * D; e += WG) {
      const int jj = e / D, c = e % D;
      const size_t src = (((size_t) s * tk + j0 + jj) * hkv + g) * D + c;
      kt[e] = k[src];
      vt[e] = v[src];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int lim = active ? min(nk, p - j0 + 1) : 0;
    // This lane's share of each score (the whole score when SPLIT is 1).
    float sc[BK];
#pragma unroll
    for (int jj = 0; jj < BK; jj++) {
      float dot = 0.0f;
      if (jj < lim) {
#pragma unroll
        for (int cc = 0; cc < C; cc++) {
          if (OWNS(cc)) dot = fma(qr[cc], kt[jj * D + COL(cc)], dot);
        }
      }
      sc[jj] = dot;
    }
#if SPLIT > 1
#pragma unroll
    for (int jj = 0; jj < BK; jj++) {
      if (jj < lim) part[jj * WG + lid] = sc[jj];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
    for (int jj = 0; jj < BK; jj++) {
      if (jj < lim) {
        float dot = 0.0f;
        for (int r = 0; r < S; r++) dot += part[jj * WG + row * S + r];
        sc[jj] = dot;
      }
    }
#endif
    if (lim > 0) {
      float mt = m;
#pragma unroll
      for (int jj = 0; jj < BK; jj++) {
        if (jj < lim) {
          sc[jj] *= scale;
          mt = fmax(mt, sc[jj]);
        }
      }
      const float corr = exp(m - mt);
      l *= corr;
#pragma unroll
      for (int cc = 0; cc < C; cc++) acc[cc] *= corr;
#pragma unroll
      for (int jj = 0; jj < BK; jj++) {
        if (jj < lim) {
          const float pj = exp(sc[jj] - mt);
          l += pj;
#pragma unroll
          for (int cc = 0; cc < C; cc++) {
            if (OWNS(cc)) acc[cc] = fma(pj, vt[jj * D + COL(cc)], acc[cc]);
          }
        }
      }
      m = mt;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  if (active) {
    const float inv = 1.0f / l;
#pragma unroll
    for (int cc = 0; cc < C; cc++) {
      if (OWNS(cc)) out[qbase + COL(cc)] = acc[cc] * inv;
    }
    if (has_lse && lane == 0) lse[((size_t) s * hq + h) * tq + i] = m + log(l);
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
  __local float part[2 * BK * WG];
  const int lid = get_local_id(0), row = lid / S, lane = lid % S;
  const int i0 = get_group_id(0) * ROWS, i = i0 + row;
  const int h = get_group_id(1), s = get_group_id(2);
  const int g = h / (hq / hkv);
  const int active = i < t;
  const int kend = min(i0 + ROWS, t);

  float qr[C], dor[C], acc[C];
  const size_t qbase = (((size_t) s * t + i) * hq + h) * D;
#pragma unroll
  for (int cc = 0; cc < C; cc++) {
    qr[cc] = active && OWNS(cc) ? q[qbase + COL(cc)] : 0.0f;
    dor[cc] = active && OWNS(cc) ? dout[qbase + COL(cc)] : 0.0f;
    acc[cc] = 0.0f;
  }
  const size_t lrow = ((size_t) s * hq + h) * t + i;
  const float li = active ? lse[lrow] : 0.0f;
  const float di = active ? delta[lrow] : 0.0f;

  for (int j0 = 0; j0 < kend; j0 += BK) {
    const int nk = min(BK, kend - j0);
    for (int e = lid; e < nk * D; e += WG) {
      const int jj = e / D, c = e % D;
      const size_t src = (((size_t) s * t + j0 + jj) * hkv + g) * D + c;
      kt[e] = k[src];
      vt[e] = v[src];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int lim = active ? min(nk, i - j0 + 1) : 0;
    for (int jj = 0; jj < BK; jj++) {
      if (jj < lim) {
        float sdot = 0.0f, pdot = 0.0f;
#pragma unroll
        for (int cc = 0; cc < C; cc++) {
          if (OWNS(cc)) {
            sdot = fma(qr[cc], kt[jj * D + COL(cc)], sdot);
            pdot = fma(dor[cc], vt[jj * D + COL(cc)], pdot);
          }
        }
        part[2 * jj * WG + lid] = sdot;
        part[(2 * jj + 1) * WG + lid] = pdot;
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int jj = 0; jj < lim; jj++) {
      float sdot = 0.0f, pdot = 0.0f;
      for (int r = 0; r < S; r++) {
        sdot += part[2 * jj * WG + row * S + r];
        pdot += part[(2 * jj + 1) * WG + row * S + r];
      }
      const float ds = exp(sdot * scale - li) * (pdot - di);
#pragma unroll
      for (int cc = 0; cc < C; cc++) {
        if (OWNS(cc)) acc[cc] = fma(ds, kt[jj * D + COL(cc)], acc[cc]);
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (active) {
#pragma unroll
    for (int cc = 0; cc < C; cc++) {
      if (OWNS(cc)) dq[qbase + COL(cc)] += scale * acc[cc];
    }
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
  __local float part[2 * BK * WG];
  const int lid = get_local_id(0), row = lid / S, lane = lid % S;
  const int j0 = get_group_id(0) * ROWS, j = j0 + row;
  const int g = get_group_id(1), s = get_group_id(2);
  const int rep = hq / hkv;
  const int active = j < t;

  float kr[C], vr[C], dka[C], dva[C];
  const size_t kbase = (((size_t) s * t + j) * hkv + g) * D;
#pragma unroll
  for (int cc = 0; cc < C; cc++) {
    kr[cc] = active && OWNS(cc) ? k[kbase + COL(cc)] : 0.0f;
    vr[cc] = active && OWNS(cc) ? v[kbase + COL(cc)] : 0.0f;
    dka[cc] = 0.0f;
    dva[cc] = 0.0f;
  }

  for (int h = g * rep; h < (g + 1) * rep; h++) {
    // Queries before this work-group's first key see none of its keys.
    for (int q0 = j0; q0 < t; q0 += BK) {
      const int nq = min(BK, t - q0);
      for (int e = lid; e < nq * D; e += WG) {
        const int ii = e / D, c = e % D;
        const size_t src = (((size_t) s * t + q0 + ii) * hq + h) * D + c;
        qt[e] = q[src];
        dot_[e] = dout[src];
      }
      for (int ii = lid; ii < nq; ii += WG) {
        const size_t lrow = ((size_t) s * hq + h) * t + q0 + ii;
        lt[ii] = lse[lrow];
        dt[ii] = delta[lrow];
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      const int first = active ? max(0, j - q0) : nq;
      for (int ii = 0; ii < BK; ii++) {
        if (ii >= first && ii < nq) {
          float sdot = 0.0f, pdot = 0.0f;
#pragma unroll
          for (int cc = 0; cc < C; cc++) {
            if (OWNS(cc)) {
              sdot = fma(qt[ii * D + COL(cc)], kr[cc], sdot);
              pdot = fma(dot_[ii * D + COL(cc)], vr[cc], pdot);
            }
          }
          part[2 * ii * WG + lid] = sdot;
          part[(2 * ii + 1) * WG + lid] = pdot;
        }
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int ii = first; ii < nq; ii++) {
        float sdot = 0.0f, pdot = 0.0f;
        for (int r = 0; r < S; r++) {
          sdot += part[2 * ii * WG + row * S + r];
          pdot += part[(2 * ii + 1) * WG + row * S + r];
        }
        const float p = exp(sdot * scale - lt[ii]);
        const float ds = p * (pdot - dt[ii]);
#pragma unroll
        for (int cc = 0; cc < C; cc++) {
          if (OWNS(cc)) {
            dva[cc] = fma(p, dot_[ii * D + COL(cc)], dva[cc]);
            dka[cc] = fma(ds, qt[ii * D + COL(cc)], dka[cc]);
          }
        }
      }
      barrier(CLK_LOCAL_MEM_FENCE);
    }
  }
  if (active) {
#pragma unroll
    for (int cc = 0; cc < C; cc++) {
      if (OWNS(cc)) {
        dk[kbase + COL(cc)] += scale * dka[cc];
        dv[kbase + COL(cc)] += dva[cc];
      }
    }
  }
}
