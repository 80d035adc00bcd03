// research4j OpenCL kernels: everything but sgemm and attention.
//
// OpenCL C 1.2 only (NVIDIA's compiler offers nothing newer): no work-group collectives, so
// reductions go through local memory with barriers; no float atomics, so scatter-adds loop per
// column instead. Every row-wise kernel runs one work-group of RED_WG threads per row; every
// column-wise kernel runs COL_X x COL_Y threads per COL_X columns. Host code: ClKernels.java.
// Backward kernels accumulate (+=) into gradients, as the Kernels contract says.

#define RED_WG 256
#define COL_X 32
#define COL_Y (RED_WG / COL_X)

// Sum of v over the work-group, returned to every thread. s holds RED_WG floats.
inline float wg_sum(float v, __local float *s) {
  const int lid = get_local_id(0);
  s[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int off = RED_WG / 2; off > 0; off >>= 1) {
    if (lid < off) s[lid] += s[lid + off];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float r = s[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

// Max of v over the work-group, returned to every thread.
inline float wg_max(float v, __local float *s) {
  const int lid = get_local_id(0);
  s[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int off = RED_WG / 2; off > 0; off >>= 1) {
    if (lid < off) s[lid] = fmax(s[lid], s[lid + off]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float r = s[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

// Integer sum over the work-group, returned to every thread. s holds RED_WG ints.
inline int wg_sum_int(int v, __local int *s) {
  const int lid = get_local_id(0);
  s[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int off = RED_WG / 2; off > 0; off >>= 1) {
    if (lid < off) s[lid] += s[lid + off];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const int r = s[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

// Sum over the COL_Y threads of one column of a COL_X x COL_Y work-group; valid in thread y == 0.
inline float col_sum(float v, __local float *s) {
  const int lx = get_local_id(0), ly = get_local_id(1);
  s[ly * COL_X + lx] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int off = COL_Y / 2; off > 0; off >>= 1) {
    if (ly < off) s[ly * COL_X + lx] += s[(ly + off) * COL_X + lx];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  return s[lx];
}

// ---------------------------------------------------------------------------------------------
// Elementwise.

__kernel void add(__global const float *a, __global const float *b, __global float *out, int n) {
  const int i = get_global_id(0);
  if (i < n) out[i] = a[i] + b[i];
}

__kernel void mul(__global const float *a, __global const float *b, __global float *out, int n) {
  const int i = get_global_id(0);
  if (i < n) out[i] = a[i] * b[i];
}

__kernel void mul_acc(__global const float *a, __global const float *b, __global float *out,
                      int n) {
  const int i = get_global_id(0);
  if (i < n) out[i] += a[i] * b[i];
}

__kernel void axpy(float alpha, __global const float *x, __global float *y, int n) {
  const int i = get_global_id(0);
  if (i < n) y[i] += alpha * x[i];
}

__kernel void scale(__global float *x, float alpha, int n) {
  const int i = get_global_id(0);
  if (i < n) x[i] *= alpha;
}

__kernel void add_bias(__global float *x, __global const float *bias, int rows, int cols) {
  const int i = get_global_id(0);
  if (i < rows * cols) x[i] += bias[i % cols];
}

// out[c] += sum_r x[r, c]; deterministic (fixed summation order, no atomics).
__kernel void sum_rows_acc(__global const float *x, __global float *out, int rows, int cols) {
  __local float s[RED_WG];
  const int c = get_global_id(0);
  float acc = 0.0f;
  if (c < cols) {
    for (int r = get_local_id(1); r < rows; r += COL_Y) acc += x[(size_t) r * cols + c];
  }
  acc = col_sum(acc, s);
  if (c < cols && get_local_id(1) == 0) out[c] += acc;
}

__kernel void reduce_sum_backward(__global const float *dout, __global float *dx, int n) {
  const int i = get_global_id(0);
  if (i < n) dx[i] += dout[0];
}

// ---------------------------------------------------------------------------------------------
// Reductions to a scalar: each work-group writes one partial result; the host (sumSquares,
// countNonFinite) or sum_final (reduceSum) finishes. Per-thread sums are compensated (Kahan), so
// long strided loops lose no precision before the tree.

#define KAHAN_ADD(sum, comp, value) { \
    const float y_ = (value) - comp; \
    const float t_ = sum + y_; \
    comp = (t_ - sum) - y_; \
    sum = t_; }

__kernel void sum_partial(__global const float *x, int n, __global float *partial) {
  __local float s[RED_WG];
  float sum = 0.0f, comp = 0.0f;
  for (int i = get_global_id(0); i < n; i += get_global_size(0)) KAHAN_ADD(sum, comp, x[i]);
  sum = wg_sum(sum, s);
  if (get_local_id(0) == 0) partial[get_group_id(0)] = sum;
}

__kernel void sum_squares_partial(__global const float *x, int n, __global float *partial) {
  __local float s[RED_WG];
  float sum = 0.0f, comp = 0.0f;
  for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
    const float v = x[i];
    KAHAN_ADD(sum, comp, v * v);
  }
  sum = wg_sum(sum, s);
  if (get_local_id(0) == 0) partial[get_group_id(0)] = sum;
}

// One work-group: out[0] = sum of the partials.
__kernel void sum_final(__global const float *partial, int groups, __global float *out) {
  __local float s[RED_WG];
  float sum = 0.0f, comp = 0.0f;
  for (int i = get_local_id(0); i < groups; i += RED_WG) KAHAN_ADD(sum, comp, partial[i]);
  sum = wg_sum(sum, s);
  if (get_local_id(0) == 0) out[0] = sum;
}

__kernel void count_nonfinite_partial(__global const float *x, int n, __global int *partial) {
  __local int s[RED_WG];
  int count = 0;
  for (int i = get_global_id(0); i < n; i += get_global_size(0)) count += isfinite(x[i]) ? 0 : 1;
  count = wg_sum_int(count, s);
  if (get_local_id(0) == 0) partial[get_group_id(0)] = count;
}

// ---------------------------------------------------------------------------------------------
// RMSNorm: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps). One work-group per row.

__kernel void rmsnorm_forward(__global const float *x, __global const float *w, __global float *y,
                              __global float *rstd, int dim, float eps) {
  __local float s[RED_WG];
  const int r = get_group_id(0), lid = get_local_id(0);
  __global const float *xr = x + (size_t) r * dim;
  __global float *yr = y + (size_t) r * dim;
  float ss = 0.0f;
  for (int c = lid; c < dim; c += RED_WG) ss += xr[c] * xr[c];
  ss = wg_sum(ss, s);
  const float rs = 1.0f / sqrt(ss / dim + eps);
  if (lid == 0) rstd[r] = rs;
  for (int c = lid; c < dim; c += RED_WG) yr[c] = xr[c] * rs * w[c];
}

// dx += rstd * w * dy - x * rstd^3 * mean(dy * w * x), per row.
__kernel void rmsnorm_backward_dx(__global const float *x, __global const float *w,
                                  __global const float *rstd, __global const float *dy,
                                  __global float *dx, int dim) {
  __local float s[RED_WG];
  const int r = get_group_id(0), lid = get_local_id(0);
  const size_t base = (size_t) r * dim;
  float dot = 0.0f;
  for (int c = lid; c < dim; c += RED_WG) dot += dy[base + c] * w[c] * x[base + c];
  dot = wg_sum(dot, s);
  const float rs = rstd[r];
  const float k = rs * rs * rs * dot / dim;
  for (int c = lid; c < dim; c += RED_WG) {
    dx[base + c] += rs * w[c] * dy[base + c] - x[base + c] * k;
  }
}

// dw[c] += sum_r dy[r, c] * x[r, c] * rstd[r], column-wise.
__kernel void rmsnorm_backward_dw(__global const float *x, __global const float *rstd,
                                  __global const float *dy, __global float *dw, int rows,
                                  int dim) {
  __local float s[RED_WG];
  const int c = get_global_id(0);
  float acc = 0.0f;
  if (c < dim) {
    for (int r = get_local_id(1); r < rows; r += COL_Y) {
      const size_t i = (size_t) r * dim + c;
      acc += dy[i] * x[i] * rstd[r];
    }
  }
  acc = col_sum(acc, s);
  if (c < dim && get_local_id(1) == 0) dw[c] += acc;
}

// ---------------------------------------------------------------------------------------------
// RoPE, HF rotate-half layout: pairs (j, j + d/2) rotate by pos * invFreq[j]. invFreq is computed
// on the host exactly as Hugging Face does in float32, so both devices rotate by the same angles,
// and the multiplies and adds are not contracted into fma, rounding as PyTorch does.
// One thread per (token, head, j < d/2).

__kernel void rope_forward(__global const float *x, __global float *y, __global const int *pos,
                           __global const float *inv_freq, int n, int h, int d) {
#pragma OPENCL FP_CONTRACT OFF
  const int hd = d / 2;  // not "half": a type name in OpenCL C
  const int idx = get_global_id(0);
  if (idx >= n * h * hd) return;
  const int j = idx % hd, row = idx / hd, t = row / h;
  const float angle = (float) pos[t] * inv_freq[j];
  const float c = cos(angle), sn = sin(angle);
  const size_t b = (size_t) row * d + j;
  const float x1 = x[b], x2 = x[b + hd];
  y[b] = x1 * c - x2 * sn;
  y[b + hd] = x2 * c + x1 * sn;
}

// dx += R(pos)^T dy: rotation by the negative angle.
__kernel void rope_backward(__global const float *dy, __global float *dx, __global const int *pos,
                            __global const float *inv_freq, int n, int h, int d) {
#pragma OPENCL FP_CONTRACT OFF
  const int hd = d / 2;  // not "half": a type name in OpenCL C
  const int idx = get_global_id(0);
  if (idx >= n * h * hd) return;
  const int j = idx % hd, row = idx / hd, t = row / h;
  const float angle = (float) pos[t] * inv_freq[j];
  const float c = cos(angle), sn = sin(angle);
  const size_t b = (size_t) row * d + j;
  const float g1 = dy[b], g2 = dy[b + hd];
  dx[b] += g1 * c + g2 * sn;
  dx[b + hd] += g2 * c - g1 * sn;
}

// ---------------------------------------------------------------------------------------------
// SwiGLU: y = silu(gate) * up, silu(g) = g * sigmoid(g).

__kernel void swiglu_forward(__global const float *gate, __global const float *up,
                             __global float *y, int n) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const float g = gate[i];
  y[i] = g / (1.0f + exp(-g)) * up[i];
}

// dgate += dy * up * sig * (1 + g * (1 - sig)); dup += dy * silu(g).
__kernel void swiglu_backward(__global const float *gate, __global const float *up,
                              __global const float *dy, __global float *dgate,
                              __global float *dup, int n) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const float g = gate[i];
  const float sig = 1.0f / (1.0f + exp(-g));
  dgate[i] += dy[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
  dup[i] += dy[i] * g * sig;
}

// ---------------------------------------------------------------------------------------------
// Embedding. An id outside [0, vocab) cannot be reported from a kernel, so the gathered row becomes
// NaN, which the NaN check (countNonFinite) then finds, rather than a silently wrong row.

__kernel void embedding_forward(__global const float *table, __global const int *ids,
                                __global float *out, int n, int dim, int vocab) {
  const int idx = get_global_id(0);
  if (idx >= n * dim) return;
  const int i = idx / dim, c = idx % dim;
  const int id = ids[i];
  out[idx] = (id >= 0 && id < vocab) ? table[(size_t) id * dim + c] : NAN;
}

// dtable[ids[i], :] += dout[i, :]. One thread per column walks the tokens in order: repeated ids
// sum without float atomics (OpenCL 1.2 has none) and the result is deterministic.
__kernel void embedding_backward(__global const float *dout, __global const int *ids,
                                 __global float *dtable, int n, int dim, int vocab) {
  const int c = get_global_id(0);
  if (c >= dim) return;
  for (int i = 0; i < n; i++) {
    const int id = ids[i];
    if (id >= 0 && id < vocab) dtable[(size_t) id * dim + c] += dout[(size_t) i * dim + c];
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax family: one work-group per row. y may be x: each thread reads an element before it
// writes the same element.

__kernel void softmax_forward(__global const float *x, __global float *y, int cols) {
  __local float s[RED_WG];
  const int lid = get_local_id(0);
  const size_t base = (size_t) get_group_id(0) * cols;
  float mx = -INFINITY;
  for (int c = lid; c < cols; c += RED_WG) mx = fmax(mx, x[base + c]);
  mx = wg_max(mx, s);
  float sum = 0.0f;
  for (int c = lid; c < cols; c += RED_WG) sum += exp(x[base + c] - mx);
  sum = wg_sum(sum, s);
  const float inv = 1.0f / sum;
  for (int c = lid; c < cols; c += RED_WG) y[base + c] = exp(x[base + c] - mx) * inv;
}

// dx += y * (dy - sum(dy * y)).
__kernel void softmax_backward(__global const float *y, __global const float *dy,
                               __global float *dx, int cols) {
  __local float s[RED_WG];
  const int lid = get_local_id(0);
  const size_t base = (size_t) get_group_id(0) * cols;
  float dot = 0.0f;
  for (int c = lid; c < cols; c += RED_WG) dot += dy[base + c] * y[base + c];
  dot = wg_sum(dot, s);
  for (int c = lid; c < cols; c += RED_WG) {
    dx[base + c] += y[base + c] * (dy[base + c] - dot);
  }
}

__kernel void log_softmax_forward(__global const float *x, __global float *y, int cols) {
  __local float s[RED_WG];
  const int lid = get_local_id(0);
  const size_t base = (size_t) get_group_id(0) * cols;
  float mx = -INFINITY;
  for (int c = lid; c < cols; c += RED_WG) mx = fmax(mx, x[base + c]);
  mx = wg_max(mx, s);
  float sum = 0.0f;
  for (int c = lid; c < cols; c += RED_WG) sum += exp(x[base + c] - mx);
  sum = wg_sum(sum, s);
  const float shift = mx + log(sum);
  for (int c = lid; c < cols; c += RED_WG) y[base + c] = x[base + c] - shift;
}

// dx += dy - exp(y) * sum(dy).
__kernel void log_softmax_backward(__global const float *y, __global const float *dy,
                                   __global float *dx, int cols) {
  __local float s[RED_WG];
  const int lid = get_local_id(0);
  const size_t base = (size_t) get_group_id(0) * cols;
  float sum = 0.0f;
  for (int c = lid; c < cols; c += RED_WG) sum += dy[base + c];
  sum = wg_sum(sum, s);
  for (int c = lid; c < cols; c += RED_WG) dx[base + c] += dy[base + c] - exp(y[base + c]) * sum;
}

// loss[r] = logsumexp(logits[r]) - logits[r, t]; 0 for ignored rows; NaN for a target outside
// [0, v), so a bad label shows up in the loss instead of reading out of bounds.
__kernel void cross_entropy_forward(__global const float *logits, __global const int *targets,
                                    __global float *loss, __global float *lse, int v,
                                    int ignore_index) {
  __local float s[RED_WG];
  const int r = get_group_id(0), lid = get_local_id(0);
  const size_t base = (size_t) r * v;
  float mx = -INFINITY;
  for (int c = lid; c < v; c += RED_WG) mx = fmax(mx, logits[base + c]);
  mx = wg_max(mx, s);
  float sum = 0.0f;
  for (int c = lid; c < v; c += RED_WG) sum += exp(logits[base + c] - mx);
  sum = wg_sum(sum, s);
  if (lid == 0) {
    const float l = mx + log(sum);
    const int t = targets[r];
    lse[r] = l;
    loss[r] = t == ignore_index ? 0.0f : (t >= 0 && t < v) ? l - logits[base + t] : NAN;
  }
}

// dlogits[r, c] += dloss[r] * (exp(logits[r, c] - lse[r]) - (c == t)); one thread per element.
__kernel void cross_entropy_backward(__global const float *logits, __global const int *targets,
                                     __global const float *lse, __global const float *dloss,
                                     __global float *dlogits, int rows, int v,
                                     int ignore_index) {
  const int c = get_global_id(0), r = get_global_id(1);
  if (c >= v || r >= rows) return;
  const int t = targets[r];
  if (t == ignore_index) return;
  const size_t i = (size_t) r * v + c;
  dlogits[i] += dloss[r] * (exp(logits[i] - lse[r]) - (c == t ? 1.0f : 0.0f));
}

// ---------------------------------------------------------------------------------------------
// GRPO per-token loss (docs/ARCHITECTURE.md, "The GRPO loss, per token").

__kernel void grpo_loss_forward(__global const float *logp, __global const float *old_logp,
                                __global const float *ref_logp, __global const float *adv,
                                __global const float *weight, __global float *loss,
                                __global float *kl, int n, float eps_low, float eps_high,
                                float beta) {
  const int t = get_global_id(0);
  if (t >= n) return;
  const float a = adv[t];
  const float ratio = exp(logp[t] - old_logp[t]);
  const float pg = fmax(-a * ratio, -a * clamp(ratio, 1.0f - eps_low, 1.0f + eps_high));
  const float dref = ref_logp[t] - logp[t];
  const float k = clamp(exp(dref) - dref - 1.0f, -10.0f, 10.0f);
  loss[t] = weight[t] * (pg + beta * k);
  kl[t] = k;
}

// dlogp += dloss * weight * (dpg + beta * dkl); dpg = -A*ratio where the unclipped term is the
// max (ties included), dkl = 1 - exp(ref - logp) where the [-10, 10] clamp is not active.
__kernel void grpo_loss_backward(__global const float *logp, __global const float *old_logp,
                                 __global const float *ref_logp, __global const float *adv,
                                 __global const float *weight, __global const float *dloss,
                                 __global float *dlogp, int n, float eps_low, float eps_high,
                                 float beta) {
  const int t = get_global_id(0);
  if (t >= n) return;
  const float a = adv[t];
  const float ratio = exp(logp[t] - old_logp[t]);
  const float unclipped = -a * ratio;
  const float clipped = -a * clamp(ratio, 1.0f - eps_low, 1.0f + eps_high);
  const float dpg = unclipped >= clipped ? -a * ratio : 0.0f;
  const float dref = ref_logp[t] - logp[t];
  const float e = exp(dref);
  const float raw = e - dref - 1.0f;
  const float dkl = (raw > 10.0f || raw < -10.0f) ? 0.0f : 1.0f - e;
  dlogp[t] += dloss[t] * weight[t] * (dpg + beta * dkl);
}

// ---------------------------------------------------------------------------------------------
// AdamW, in the order of torch.optim.AdamW (single-tensor path): decay, moments, bias-corrected
// step. decay = 1 - lr * weight_decay, step_size = lr / (1 - beta1^step) and
// bc2_sqrt = sqrt(1 - beta2^step) come from the host, computed in double.

__kernel void adamw(__global float *p, __global const float *g, __global float *m,
                    __global float *v, int n, float beta1, float beta2, float eps,
                    float grad_scale, float decay, float step_size, float bc2_sqrt) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const float gi = grad_scale * g[i];
  const float pi = p[i] * decay;
  const float mi = beta1 * m[i] + (1.0f - beta1) * gi;
  const float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = pi - step_size * (mi / (sqrt(vi) / bc2_sqrt + eps));
}

// ---------------------------------------------------------------------------------------------
// KV cache: cache[s, start[s] + i, :] = src[s, i, :]; rows past tmax are skipped (a caller error
// that must not write out of bounds).

__kernel void write_cache(__global const float *src, __global float *cache,
                          __global const int *start, int b, int tn, int tmax, int row_size) {
  const int col = get_global_id(0), i = get_global_id(1), s = get_global_id(2);
  if (col >= row_size || i >= tn || s >= b) return;
  const int p = start[s] + i;
  if (p < 0 || p >= tmax) return;
  cache[((size_t) s * tmax + p) * row_size + col] = src[((size_t) s * tn + i) * row_size + col];
}
