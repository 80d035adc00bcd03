package org.research4j.kernels;

/**
 * The compute primitives of research4j on one device. All shapes are passed as integers; all
 * layouts are row-major; backward primitives accumulate into their gradient outputs (see {@code
 * package-info}). Calls are ordered: a primitive sees the results of every call made before it on
 * the same {@code Kernels}; {@link #download} waits for them.
 *
 * <p>Implementations: {@code cpu.CpuKernels} (Java, Vector API, multi-threaded) and {@code
 * opencl.ClKernels} (OpenCL C through JOCL).
 */
public interface Kernels extends AutoCloseable {

  /** Human-readable device description, e.g. {@code "cpu: Java Vector API, 2 threads, AVX2"}. */
  String description();

  // ---------------------------------------------------------------------------------------------
  // Memory. Copies between host and device happen only here.

  /** A zero-filled float32 buffer of {@code n} elements. */
  Buf allocF32(int n);

  /** A zero-filled int32 buffer of {@code n} elements. */
  Buf allocI32(int n);

  void upload(float[] src, int srcOff, Buf dst, int dstOff, int n);

  void upload(int[] src, int srcOff, Buf dst, int dstOff, int n);

  /** Copies device to host, after every earlier call on this device has finished. */
  void download(Buf src, int srcOff, float[] dst, int dstOff, int n);

  void download(Buf src, int srcOff, int[] dst, int dstOff, int n);

  /**
   * {@code dst[dstOff + i] = src[srcOff + i]} for {@code i < n}; same element type (BF16 only where
   * {@link #bf16Caches} holds).
   */
  void copy(Buf src, int srcOff, Buf dst, int dstOff, int n);

  /** {@code x[off + i] = value} for {@code i < n} (float buffers). */
  void fill(Buf x, int off, int n, float value);

  /** Waits until every call made so far has finished. */
  void sync();

  @Override
  void close();

  // ---------------------------------------------------------------------------------------------
  // Matrix multiply.

  /**
   * Row-major single-precision GEMM: {@code C = alpha * op(A) * op(B) + beta * C} where {@code
   * op(A)} is {@code [m, k]} and {@code op(B)} is {@code [k, n]}. {@code A} is stored as {@code [m,
   * k]} (or {@code [k, m]} when {@code transA}) with row stride {@code lda}, starting at element
   * {@code aOff}; likewise {@code B} ({@code [k, n]} or {@code [n, k]}) and {@code C} ({@code [m,
   * n]}). When {@code beta == 0} the old contents of C are ignored, NaNs included.
   */
  void sgemm(
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
      int ldc);

  // ---------------------------------------------------------------------------------------------
  // Attention.

  /**
   * Causal grouped-query attention, flash style (online softmax, no {@code T x T} matrix kept).
   *
   * <p>{@code q, out: [b, tq, hq, d]}; {@code k, v: [b, tk, hkv, d]} with {@code hq % hkv == 0}
   * (query head {@code h} reads kv head {@code h / (hq / hkv)}). Query {@code i} of sequence {@code
   * s} sits at absolute position {@code p = start[s] + i} ({@code start} is an I32 buffer of {@code
   * b} elements, or {@code null} for all zeros) and attends keys {@code 0..p} inclusive; {@code p <
   * tk} must hold. {@code lse: [b, hq, tq]} receives the natural-log sum of exp of the scaled
   * scores per query (for the backward pass), or is {@code null} when not needed (inference). With
   * {@code start == null} and {@code tq == tk} this is ordinary training attention; with {@code tq
   * == 1} and {@code k, v} a KV cache it is one decode step.
   */
  void attentionForward(
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
      float scale);

  /**
   * Backward of {@link #attentionForward} for training ({@code tq == tk == t}, {@code start ==
   * null}), recomputing probabilities from {@code lse}. Accumulates into {@code dq: [b, t, hq, d]}
   * and {@code dk, dv: [b, t, hkv, d]}.
   */
  void attentionBackward(
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
      float scale);

  /**
   * Writes new rows into a per-sequence cache: {@code cache[s, start[s] + i, :] = src[s, i, :]} for
   * {@code s < b, i < tn}, rows of {@code rowSize} floats; {@code src: [b, tn, rowSize]}, {@code
   * cache: [b, tmax, rowSize]}, {@code start} I32 {@code [b]}. Rows past {@code tmax} are an error
   * of the caller.
   */
  void writeCache(Buf src, Buf cache, Buf start, int b, int tn, int tmax, int rowSize);

  /**
   * Whether these kernels take KV caches in bfloat16: {@link #writeCache} into a BF16 {@code cache}
   * (each value rounded to the nearest bfloat16) and {@link #attentionForward} with BF16 {@code k}
   * and {@code v} (both; inference only, {@code lse == null}), widening them exactly to float32 and
   * computing in float32. A decode step reads the whole cache, so half the bytes is faster where
   * that read is the cost. False by default (the caches are F32).
   */
  /**
   * Drops whatever these kernels keep derived from {@code b}'s contents to speed up later calls
   * (the CPU kernels keep a weight matrix that decoding multiplies again and again packed for their
   * GEMM, as large as the matrix), giving that memory back; later calls rebuild it when needed. A
   * hint: nothing by default.
   */
  default void forgetDerived(Buf b) {}

  default boolean bf16Caches() {
    return false;
  }

  /**
   * A zero-filled BF16 buffer for the keys of a KV cache {@code [b, tmax, hkv, d]} (where {@link
   * #bf16Caches} holds), which the device may store in a layout of its own for {@link
   * #attentionForward} (the CPU kernels store it transposed, each channel a row over the positions,
   * so scores are products vectorised over positions). As with {@link #allocBf16Matrix}, the layout
   * is the buffer's: {@link #writeCache}, {@link #uploadBf16}, {@link #downloadBf16} and {@link
   * #copy} address its elements as row-major {@code [b, tmax, hkv, d]}; {@link #attentionForward}
   * must then be called with {@code tk == tmax} and the same {@code hkv, d}. The default is a plain
   * {@link #allocBf16}.
   */
  default Buf allocBf16Keys(int b, int tmax, int hkv, int d) {
    if (b < 0 || tmax < 0 || hkv < 0 || d < 0) {
      throw new IllegalArgumentException(
          "allocBf16Keys: b, tmax, hkv, d = " + b + ", " + tmax + ", " + hkv + ", " + d);
    }
    return allocBf16(Math.multiplyExact(Math.multiplyExact(b, tmax), Math.multiplyExact(hkv, d)));
  }

  // ---------------------------------------------------------------------------------------------
  // Normalisation, position, activation, embedding.

  /**
   * RMSNorm: {@code y[r] = x[r] * rstd[r] * w} with {@code rstd[r] = 1 / sqrt(mean(x[r]^2) + eps)}.
   * {@code x, y: [rows, dim]}, {@code w: [dim]}, {@code rstd: [rows]} written for backward.
   */
  void rmsnormForward(Buf x, Buf w, Buf y, Buf rstd, int rows, int dim, float eps);

  /** Accumulates {@code dx: [rows, dim]} and {@code dw: [dim]} from {@code dy}. */
  void rmsnormBackward(Buf x, Buf w, Buf rstd, Buf dy, Buf dx, Buf dw, int rows, int dim);

  /**
   * Rotary position embedding in the "rotate half" layout of Hugging Face Qwen2/Llama: within each
   * head of {@code d} floats, element pairs {@code (j, j + d/2)} for {@code j < d/2} are rotated by
   * angle {@code pos * theta^(-2j/d)}. {@code x, y: [n, h, d]} ({@code n} tokens, {@code h} heads);
   * {@code pos} I32 {@code [n]}. {@code y} may be {@code x}.
   */
  void ropeForward(Buf x, Buf y, Buf pos, int n, int h, int d, float theta);

  /** Accumulates {@code dx += R(pos)^T dy} (rotation by the negative angle). */
  void ropeBackward(Buf dy, Buf dx, Buf pos, int n, int h, int d, float theta);

  /** SwiGLU gate: {@code y = silu(gate) * up} elementwise over {@code n}, silu(g) = g·σ(g). */
  void swigluForward(Buf gate, Buf up, Buf y, int n);

  /** Accumulates {@code dgate} and {@code dup}. */
  void swigluBackward(Buf gate, Buf up, Buf dy, Buf dgate, Buf dup, int n);

  /**
   * Gather: {@code out[i, :] = table[ids[i], :]}; {@code table: [vocab, dim]}, ids I32 {@code [n]}.
   */
  void embeddingForward(Buf table, Buf ids, Buf out, int n, int dim);

  /** Scatter-add: {@code dtable[ids[i], :] += dout[i, :]} (repeated ids sum). */
  void embeddingBackward(Buf dout, Buf ids, Buf dtable, int n, int dim);

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  /** Row-wise softmax of {@code x: [rows, cols]} into {@code y} ({@code y} may be {@code x}). */
  void softmaxForward(Buf x, Buf y, int rows, int cols);

  /** Accumulates {@code dx += y * (dy - sum(dy * y))} per row. */
  void softmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols);

  /** Row-wise log-softmax of {@code x} into {@code y} ({@code y} may be {@code x}). */
  void logSoftmaxForward(Buf x, Buf y, int rows, int cols);

  /** Accumulates {@code dx += dy - exp(y) * sum(dy)} per row. */
  void logSoftmaxBackward(Buf y, Buf dy, Buf dx, int rows, int cols);

  /**
   * Per-row cross-entropy from logits: {@code loss[r] = logsumexp(logits[r]) - logits[r,
   * targets[r]]}, and {@code lse[r] = logsumexp(logits[r])} saved for backward. Rows whose target
   * equals {@code ignoreIndex} get {@code loss = 0}. {@code logits: [rows, v]}, targets I32 {@code
   * [rows]}. The negated loss is the token log-probability that GRPO needs.
   */
  void crossEntropyForward(
      Buf logits, Buf targets, Buf loss, Buf lse, int rows, int v, int ignoreIndex);

  /**
   * Accumulates {@code dlogits[r] += dloss[r] * (softmax(logits[r]) - onehot(targets[r]))}; ignored
   * rows get nothing. {@code dloss: [rows]}.
   */
  void crossEntropyBackward(
      Buf logits, Buf targets, Buf lse, Buf dloss, Buf dlogits, int rows, int v, int ignoreIndex);

  /**
   * Per-token GRPO loss (docs/ARCHITECTURE.md, "The GRPO loss, per token"). Over {@code n} tokens:
   * ratio {@code ρ = exp(logp - oldLogp)}; {@code pg = max(-A·ρ, -A·clip(ρ, 1-epsLow, 1+epsHigh))};
   * {@code kl = exp(refLogp - logp) - (refLogp - logp) - 1} clamped to {@code [-10, 10]}; writes
   * {@code loss[t] = weight[t] * (pg + beta * kl)} and the unweighted {@code kl[t]} (for metrics).
   * {@code weight} folds the loss mask and the reduction's normaliser (token-mean, seq-mean,
   * dr_grpo), so the batch loss is {@code sum(loss)}. {@code adv} is per token (the sequence's
   * advantage repeated).
   */
  void grpoLossForward(
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
      float beta);

  /**
   * Accumulates {@code dlogp[t] += dloss[t] * weight[t] * (dpg/dlogp + beta * dkl/dlogp)} with
   * {@code dpg/dlogp = -A·ρ} where the unclipped term is the max (else 0) and {@code dkl/dlogp = 1
   * - exp(refLogp - logp)} (0 where the clamp is active). {@code dloss: [n]}.
   */
  void grpoLossBackward(
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
      float beta);

  // ---------------------------------------------------------------------------------------------
  // Elementwise and reductions.

  /** {@code out = a + b} over {@code n}; {@code out} may alias either input. */
  void add(Buf a, Buf b, Buf out, int n);

  /** {@code out = a * b} over {@code n}; {@code out} may alias either input. */
  void mul(Buf a, Buf b, Buf out, int n);

  /** {@code out += a * b} over {@code n}. */
  void mulAcc(Buf a, Buf b, Buf out, int n);

  /** {@code y += alpha * x} over {@code n}. */
  void axpy(float alpha, Buf x, Buf y, int n);

  /** {@code x *= alpha} over {@code n}. */
  void scale(Buf x, float alpha, int n);

  /** {@code x[r, c] += bias[c]} for {@code x: [rows, cols]}. */
  void addBias(Buf x, Buf bias, int rows, int cols);

  /** {@code out[c] += sum_r x[r, c]} (the bias gradient). */
  void sumRowsAcc(Buf x, Buf out, int rows, int cols);

  /** {@code out[0] = sum_i x[i]} over {@code n}, on the device. */
  void reduceSum(Buf x, Buf out, int n);

  /** {@code dx[i] += dout[0]} over {@code n} (backward of {@link #reduceSum}). */
  void reduceSumBackward(Buf dout, Buf dx, int n);

  /** {@code sum_i x[i]^2} over {@code n}, returned to the host in double (gradient norms). */
  double sumSquares(Buf x, int n);

  /** Counts elements of {@code x[0..n)} that are NaN or infinite (the debug NaN check). */
  int countNonFinite(Buf x, int n);

  // ---------------------------------------------------------------------------------------------
  // Optimiser.

  /**
   * One AdamW step with decoupled weight decay and bias correction, on {@code n} parameters, with
   * {@code g' = gradScale * g} (gradient clipping folded in): {@code m = beta1 m + (1-beta1) g'};
   * {@code v = beta2 v + (1-beta2) g'^2}; {@code p -= lr * (m/(1-beta1^step) /
   * (sqrt(v/(1-beta2^step)) + eps) + weightDecay * p)}. {@code step >= 1}. This equals PyTorch's
   * {@code torch.optim.AdamW}.
   */
  void adamw(
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
      int step);

  // ---------------------------------------------------------------------------------------------
  // Frozen weights in bfloat16: stored at half the size of float32, widened to float32 where read,
  // accumulated in float32. Only the inference path reads them (no backward).

  /** A zero-filled bfloat16 buffer of {@code n} elements (see {@link Bf16}). */
  Buf allocBf16(int n);

  /**
   * A zero-filled bfloat16 weight matrix {@code [rows, cols]} ({@code rows * cols} elements), which
   * the device may store in a layout of its own for {@link #sgemmBf16} at few rows (the CPU kernels
   * group 64 rows column by column, see {@code CpuBuf}; the default, and OpenCL, is plain row-major
   * {@link #allocBf16}). The layout is the buffer's: {@link #uploadBf16}, {@link #downloadBf16} and
   * {@link #embeddingForwardBf16} address its elements as row-major {@code [rows, cols]} whatever
   * it is. {@link #sgemmBf16} may then require {@code W} to be whole rows of it: {@code k == ldw ==
   * cols} and {@code wOff} the start of a group of rows (on the CPU a multiple of {@code BF16_GROUP
   * * cols}, 64 rows with AVX-512).
   */
  default Buf allocBf16Matrix(int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("allocBf16Matrix: rows, cols = " + rows + ", " + cols);
    }
    return allocBf16(Math.multiplyExact(rows, cols));
  }

  /** Copies {@code n} bfloat16 bit patterns from the host into a BF16 buffer. */
  void uploadBf16(short[] src, int srcOff, Buf dst, int dstOff, int n);

  /** Copies {@code n} bfloat16 bit patterns of a BF16 buffer to the host. */
  void downloadBf16(Buf src, int srcOff, short[] dst, int dstOff, int n);

  /**
   * {@code C = alpha * A * W^T + beta * C} with bfloat16 weights: {@code A} F32 {@code [m, k]} (row
   * stride {@code lda}), {@code W} BF16 {@code [n, k]} (row stride {@code ldw}: a weight matrix as
   * stored, out-features by in-features), {@code C} F32 {@code [m, n]}. Each weight is widened
   * exactly to float32 and every product is accumulated in float32, so the result differs from
   * {@link #sgemm} on the widened weights by summation order only. When {@code beta == 0} the old
   * contents of C are ignored.
   */
  void sgemmBf16(
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
      int ldc);

  /**
   * Gather from a bfloat16 table, widened: {@code out[i, :] = float(table[ids[i], :])}; {@code
   * table} BF16 {@code [vocab, dim]}, ids I32 {@code [n]}, out F32 {@code [n, dim]}.
   */
  void embeddingForwardBf16(Buf table, Buf ids, Buf out, int n, int dim);

  // ---------------------------------------------------------------------------------------------
  // Frozen weights in int8 with one float32 scale per row (see Int8): a quarter of float32's bytes
  // (plus 4 bytes a row), dequantized to float32 where read, accumulated in float32. Inference
  // only (no backward).

  /**
   * A zero-filled int8 weight matrix {@code [rows, cols]} with one float32 scale per row (all 0):
   * element {@code (r, c)} stands for {@code q[r, c] * scale[r]} ({@link Int8}). Its {@link
   * Buf#length()} is {@code rows * cols}. The device may store it in a layout of its own (the CPU
   * kernels use row panels, see {@code CpuBuf}); {@link #uploadInt8}, {@link #downloadInt8} and
   * {@link #embeddingForwardInt8} address it as row-major {@code [rows, cols]} whatever it is.
   */
  Buf allocInt8Matrix(int rows, int cols);

  /**
   * Copies whole rows {@code [row0, row0 + rows)} of an I8 matrix from the host: {@code rows *
   * cols} int8 values from {@code q[qOff..]} (row-major) and {@code rows} scales from {@code
   * scales[scalesOff..]}. Quantize with {@link Int8#quantize}.
   */
  void uploadInt8(byte[] q, int qOff, float[] scales, int scalesOff, Buf dst, int row0, int rows);

  /** Copies whole rows {@code [row0, row0 + rows)} of an I8 matrix and their scales to the host. */
  void downloadInt8(Buf src, int row0, int rows, byte[] q, int qOff, float[] scales, int scalesOff);

  /**
   * {@code C = alpha * A * dequant(W)^T + beta * C} with int8 weights: {@code A} F32 {@code [m, k]}
   * (row stride {@code lda}), {@code W} I8 {@code [n, k]} (out-features by in-features), {@code C}
   * F32 {@code [m, n]}. Every product is accumulated in float32 (a row's dot product may be taken
   * over the int8 values and multiplied by the row's scale at the end), so the result differs from
   * {@link #sgemm} on the dequantized weights by float32 rounding order only. {@code W} must be
   * whole rows of its matrix: {@code k == ldw == cols} and {@code wOff} a multiple of {@code cols}
   * (the CPU kernels: of {@code 4 * cols}, a panel group). When {@code beta == 0} the old contents
   * of C are ignored.
   */
  void sgemmInt8(
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
      int ldc);

  /**
   * Gather from an int8 table, dequantized: {@code out[i, :] = table[ids[i], :] * scale[ids[i]]};
   * {@code table} I8 {@code [vocab, dim]}, ids I32 {@code [n]}, out F32 {@code [n, dim]}. Exact:
   * each value is the float32 product {@code q * scale} of {@link Int8#dequantize}.
   */
  void embeddingForwardInt8(Buf table, Buf ids, Buf out, int n, int dim);
}
