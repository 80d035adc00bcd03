package org.research4j.tensor;

import java.util.Arrays;
import java.util.Objects;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * The coarse differentiable ops, each a forward kernel call paired with its backward kernel call,
 * written next to each other with the same buffers in the same order (llm.c's {@code X_forward} /
 * {@code X_backward}). Every op checks shapes and dtypes before touching the device and fails with
 * the op's name and the offending shapes.
 *
 * <p>Conventions: the last dimension is the feature dimension ("rows" are all leading dimensions
 * flattened); sequence activations are {@code [B, T, H, D]}, which is also the {@code [B*T, H*D]}
 * output of a projection, so {@link Tensor#view} connects them without copies. Outputs come from
 * the tape's pool and live until {@link Tape#reset()}.
 */
public final class Ops {
  /** The conventional "no target" index of cross-entropy (PyTorch's default). */
  public static final int IGNORE_INDEX = -100;

  private final Tape tape;
  private final Kernels k;

  Ops(Tape tape) {
    this.tape = tape;
    this.k = tape.kernels();
  }

  public Tape tape() {
    return tape;
  }

  // ---------------------------------------------------------------------------------------------
  // Matrix products.

  /**
   * {@code y = x W^T + bias}: {@code x [..., in]}, {@code weight [out, in]} (PyTorch's layout),
   * {@code bias [out]} or null; {@code y [..., out]}.
   */
  public Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    String op = "linear";
    check(op, "x", x, Buf.Type.F32);
    if (!frozenType(weight.dtype())) check(op, "weight", weight, Buf.Type.F32);
    requireRank(op, "weight", weight, 2);
    requireRankAtLeast(op, "x", x, 1);
    int in = x.dim(-1);
    int out = weight.dim(0);
    if (weight.dim(1) != in) {
      throw new IllegalArgumentException(
          op
              + ": x has shape "
              + Shapes.str(x.shape())
              + " but weight has shape "
              + Shapes.str(weight.shape())
              + " (expected in-features "
              + in
              + ")");
    }
    if (bias != null) {
      check(op, "bias", bias, Buf.Type.F32);
      if (bias.rank() != 1 || bias.dim(0) != out) {
        throw new IllegalArgumentException(
            op
                + ": bias has shape "
                + Shapes.str(bias.shape())
                + " but weight has shape "
                + Shapes.str(weight.shape())
                + " (expected ["
                + out
                + "])");
      }
    }
    int rows = Shapes.rows(x.shape());
    Tensor y = tape.allocate(Shapes.withLast(x.shape(), out));
    linearForward(x.buf(), weight.buf(), bias == null ? null : bias.buf(), y.buf(), rows, in, out);
    return tape.record(
        op,
        y,
        inputs(x, weight, bias),
        () ->
            linearBackward(
                x.requiresGrad() ? tape.grad(x) : null,
                weight.requiresGrad() ? tape.grad(weight) : null,
                bias != null && bias.requiresGrad() ? tape.grad(bias) : null,
                tape.grad(y),
                x.buf(),
                weight.buf(),
                rows,
                in,
                out));
  }

  private void linearForward(Buf x, Buf w, Buf bias, Buf y, int rows, int in, int out) {
    if (w.type() == Buf.Type.BF16) {
      k.sgemmBf16(rows, out, in, 1f, x, 0, in, w, 0, in, 0f, y, 0, out);
    } else if (w.type() == Buf.Type.I8) {
      k.sgemmInt8(rows, out, in, 1f, x, 0, in, w, 0, in, 0f, y, 0, out);
    } else k.sgemm(false, true, rows, out, in, 1f, x, 0, in, w, 0, in, 0f, y, 0, out);
    if (bias != null) k.addBias(y, bias, rows, out);
  }

  /** dx += dy W; dW += dy^T x; dbias += column sums of dy. Null gradients are not needed. */
  private void linearBackward(
      Buf dx, Buf dw, Buf dbias, Buf dy, Buf x, Buf w, int rows, int in, int out) {
    if (frozenType(w.type()) && (dx != null || dw != null)) {
      throw new UnsupportedOperationException(
          "linear: no gradient flows through frozen "
              + (w.type() == Buf.Type.I8 ? "int8" : "bfloat16")
              + " weights; load the model in float32 to train it or to differentiate through it");
    }
    if (dx != null) k.sgemm(false, false, rows, in, out, 1f, dy, 0, out, w, 0, in, 1f, dx, 0, in);
    if (dw != null) k.sgemm(true, false, out, in, rows, 1f, dy, 0, out, x, 0, in, 1f, dw, 0, in);
    if (dbias != null) k.sumRowsAcc(dy, dbias, rows, out);
  }

  /** {@code y = a b}: {@code a [..., n]} (leading dims flattened into rows), {@code b [n, p]}. */
  public Tensor matmul(Tensor a, Tensor b) {
    String op = "matmul";
    check(op, "a", a, Buf.Type.F32);
    check(op, "b", b, Buf.Type.F32);
    requireRankAtLeast(op, "a", a, 1);
    requireRank(op, "b", b, 2);
    int n = a.dim(-1);
    int p = b.dim(1);
    if (b.dim(0) != n) {
      throw new IllegalArgumentException(
          op
              + ": a has shape "
              + Shapes.str(a.shape())
              + " but b has shape "
              + Shapes.str(b.shape())
              + " (expected b to have "
              + n
              + " rows)");
    }
    int m = Shapes.rows(a.shape());
    Tensor y = tape.allocate(Shapes.withLast(a.shape(), p));
    k.sgemm(false, false, m, p, n, 1f, a.buf(), 0, n, b.buf(), 0, p, 0f, y.buf(), 0, p);
    return tape.record(
        op,
        y,
        inputs(a, b),
        () -> {
          Buf dy = tape.grad(y);
          if (a.requiresGrad()) {
            k.sgemm(false, true, m, n, p, 1f, dy, 0, p, b.buf(), 0, p, 1f, tape.grad(a), 0, n);
          }
          if (b.requiresGrad()) {
            k.sgemm(true, false, n, p, m, 1f, a.buf(), 0, n, dy, 0, p, 1f, tape.grad(b), 0, p);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Elementwise.

  /** {@code a + b}, same shapes (the residual connection). */
  public Tensor add(Tensor a, Tensor b) {
    String op = "add";
    checkSameShape(op, "a", a, "b", b);
    int n = a.numel();
    Tensor y = tape.allocate(a.shape());
    k.add(a.buf(), b.buf(), y.buf(), n);
    return tape.record(
        op,
        y,
        inputs(a, b),
        () -> {
          Buf dy = tape.grad(y);
          if (a.requiresGrad()) k.axpy(1f, dy, tape.grad(a), n);
          if (b.requiresGrad()) k.axpy(1f, dy, tape.grad(b), n);
        });
  }

  /** {@code a * b} elementwise, same shapes. */
  public Tensor mul(Tensor a, Tensor b) {
    String op = "mul";
    checkSameShape(op, "a", a, "b", b);
    int n = a.numel();
    Tensor y = tape.allocate(a.shape());
    k.mul(a.buf(), b.buf(), y.buf(), n);
    return tape.record(
        op,
        y,
        inputs(a, b),
        () -> {
          Buf dy = tape.grad(y);
          if (a.requiresGrad()) k.mulAcc(dy, b.buf(), tape.grad(a), n);
          if (b.requiresGrad()) k.mulAcc(dy, a.buf(), tape.grad(b), n);
        });
  }

  /** {@code alpha * x}. */
  public Tensor scale(Tensor x, float alpha) {
    String op = "scale";
    check(op, "x", x, Buf.Type.F32);
    int n = x.numel();
    Tensor y = tape.allocate(x.shape());
    k.copy(x.buf(), 0, y.buf(), 0, n);
    k.scale(y.buf(), alpha, n);
    return tape.record(op, y, inputs(x), () -> k.axpy(alpha, tape.grad(y), tape.grad(x), n));
  }

  /**
   * A constant copy of {@code x}'s values, on the same device: no gradient flows through it. GRPO
   * takes its "old policy" log-probs this way when each batch of rollouts gets a single update.
   */
  public Tensor detach(Tensor x) {
    check("detach", "x", x, Buf.Type.F32);
    Tensor y = tape.allocate(x.shape());
    k.copy(x.buf(), 0, y.buf(), 0, x.numel());
    return y;
  }

  /** SwiGLU: {@code silu(gate) * up}, same shapes (the Qwen2 MLP's activation). */
  public Tensor swiglu(Tensor gate, Tensor up) {
    String op = "swiglu";
    checkSameShape(op, "gate", gate, "up", up);
    int n = gate.numel();
    Tensor y = tape.allocate(gate.shape());
    k.swigluForward(gate.buf(), up.buf(), y.buf(), n);
    return tape.record(
        op,
        y,
        inputs(gate, up),
        () ->
            k.swigluBackward(
                gate.buf(), up.buf(), tape.grad(y), tape.grad(gate), tape.grad(up), n));
  }

  // ---------------------------------------------------------------------------------------------
  // Embedding, normalisation, position.

  /**
   * Row gather {@code out[i] = table[ids[i]]}: {@code table [V, D]}, {@code ids} I32 of any shape,
   * {@code out [ids..., D]}. Also the way to pick rows of an activation (e.g. the last position of
   * each sequence): its backward scatter-adds, so gradients flow back to the picked rows. Ids are
   * not range-checked on the device.
   */
  public Tensor embedding(Tensor table, Tensor ids) {
    String op = "embedding";
    boolean bf16 = table.dtype() == Buf.Type.BF16;
    boolean int8 = table.dtype() == Buf.Type.I8;
    if (!bf16 && !int8) check(op, "table", table, Buf.Type.F32);
    check(op, "ids", ids, Buf.Type.I32);
    requireRank(op, "table", table, 2);
    int n = ids.numel();
    int dim = table.dim(1);
    Tensor y = tape.allocate(Shapes.append(ids.shape(), dim));
    if (bf16) k.embeddingForwardBf16(table.buf(), ids.buf(), y.buf(), n, dim);
    else if (int8) k.embeddingForwardInt8(table.buf(), ids.buf(), y.buf(), n, dim);
    else k.embeddingForward(table.buf(), ids.buf(), y.buf(), n, dim);
    return tape.record(
        op,
        y,
        inputs(table, ids),
        () -> k.embeddingBackward(tape.grad(y), ids.buf(), tape.grad(table), n, dim));
  }

  /** RMSNorm over the last dimension: {@code x [..., dim]}, {@code weight [dim]}. */
  public Tensor rmsnorm(Tensor x, Tensor weight, float eps) {
    String op = "rmsnorm";
    check(op, "x", x, Buf.Type.F32);
    check(op, "weight", weight, Buf.Type.F32);
    requireRankAtLeast(op, "x", x, 1);
    int dim = x.dim(-1);
    if (weight.rank() != 1 || weight.dim(0) != dim) {
      throw new IllegalArgumentException(
          op
              + ": x has shape "
              + Shapes.str(x.shape())
              + " but weight has shape "
              + Shapes.str(weight.shape())
              + " (expected ["
              + dim
              + "])");
    }
    int rows = Shapes.rows(x.shape());
    Tensor y = tape.allocate(x.shape());
    Tensor rstd = tape.allocate(rows);
    k.rmsnormForward(x.buf(), weight.buf(), y.buf(), rstd.buf(), rows, dim, eps);
    return tape.record(
        op,
        y,
        inputs(x, weight),
        () ->
            k.rmsnormBackward(
                x.buf(),
                weight.buf(),
                rstd.buf(),
                tape.grad(y),
                tape.grad(x),
                tape.grad(weight),
                rows,
                dim));
  }

  /**
   * Rotary position embedding (Hugging Face "rotate half" layout): {@code x [..., H, D]} with the
   * leading dims flattened to {@code n} tokens, {@code pos} I32 with {@code n} elements.
   */
  public Tensor rope(Tensor x, Tensor pos, float theta) {
    String op = "rope";
    check(op, "x", x, Buf.Type.F32);
    check(op, "pos", pos, Buf.Type.I32);
    requireRankAtLeast(op, "x", x, 2);
    int h = x.dim(-2);
    int d = x.dim(-1);
    int n = h * d == 0 ? 0 : x.numel() / (h * d);
    if (d % 2 != 0) {
      throw new IllegalArgumentException(
          op + ": x has shape " + Shapes.str(x.shape()) + " (expected an even head size)");
    }
    if (pos.numel() != n) {
      throw new IllegalArgumentException(
          op
              + ": x has shape "
              + Shapes.str(x.shape())
              + " but pos has shape "
              + Shapes.str(pos.shape())
              + " (expected "
              + n
              + " positions, one per token)");
    }
    Tensor y = tape.allocate(x.shape());
    k.ropeForward(x.buf(), y.buf(), pos.buf(), n, h, d, theta);
    return tape.record(
        op,
        y,
        inputs(x, pos),
        () -> k.ropeBackward(tape.grad(y), tape.grad(x), pos.buf(), n, h, d, theta));
  }

  // ---------------------------------------------------------------------------------------------
  // Attention.

  /** {@link #attention(Tensor, Tensor, Tensor, float)} with the usual scale {@code 1/sqrt(D)}. */
  public Tensor attention(Tensor q, Tensor kk, Tensor v) {
    return attention(q, kk, v, (float) (1.0 / Math.sqrt(q.dim(-1))));
  }

  /**
   * Causal grouped-query self-attention: {@code q [B, T, Hq, D]}, {@code k, v [B, T, Hkv, D]} with
   * {@code Hq} a multiple of {@code Hkv}; output {@code [B, T, Hq, D]}. Saves the per-query
   * log-sum-exp for the backward instead of the {@code T x T} probabilities.
   */
  public Tensor attention(Tensor q, Tensor kk, Tensor v, float scale) {
    String op = "attention";
    int[] dims = attentionDims(op, q, kk, v, false);
    int b = dims[0], t = dims[1], hq = dims[2], hkv = dims[3], d = dims[4];
    Tensor y = tape.allocate(q.shape());
    Tensor lse = tape.needsGrad(q, kk, v) ? tape.allocate(b, hq, t) : null;
    k.attentionForward(
        q.buf(),
        kk.buf(),
        v.buf(),
        y.buf(),
        lse == null ? null : lse.buf(),
        null,
        b,
        t,
        t,
        hq,
        hkv,
        d,
        scale);
    return tape.record(
        op,
        y,
        inputs(q, kk, v),
        () ->
            k.attentionBackward(
                q.buf(),
                kk.buf(),
                v.buf(),
                y.buf(),
                lse.buf(),
                tape.grad(y),
                tape.grad(q),
                tape.grad(kk),
                tape.grad(v),
                b,
                t,
                hq,
                hkv,
                d,
                scale));
  }

  /**
   * Inference attention over a KV cache: {@code q [B, Tq, Hq, D]} for new tokens, caches {@code [B,
   * Tmax, Hkv, D]}, {@code start} I32 {@code [B]} the absolute position of each sequence's first
   * new token; query {@code i} of sequence {@code s} attends cache rows {@code 0..start[s]+i}. Not
   * differentiable: use it under {@link Tape#noGrad()} or on tensors without gradients.
   */
  public Tensor attentionCached(Tensor q, Tensor kCache, Tensor vCache, Tensor start, float scale) {
    String op = "attentionCached";
    int[] dims = attentionDims(op, q, kCache, vCache, true);
    check(op, "start", start, Buf.Type.I32);
    if (start.numel() != dims[0]) {
      throw new IllegalArgumentException(
          op
              + ": q has shape "
              + Shapes.str(q.shape())
              + " but start has shape "
              + Shapes.str(start.shape())
              + " (expected ["
              + dims[0]
              + "])");
    }
    if (tape.needsGrad(q, kCache, vCache)) {
      throw new IllegalStateException(
          op + " is inference-only; run it under tape.noGrad() (use attention() to train)");
    }
    int tmax = kCache.dim(1);
    Tensor y = tape.allocate(q.shape());
    k.attentionForward(
        q.buf(),
        kCache.buf(),
        vCache.buf(),
        y.buf(),
        null,
        start.buf(),
        dims[0],
        dims[1],
        tmax,
        dims[2],
        dims[3],
        dims[4],
        scale);
    return tape.record(
        op,
        y,
        inputs(q, kCache, vCache, start),
        () -> {
          throw new IllegalStateException(op + " has no backward");
        });
  }

  /**
   * Writes {@code src [B, Tn, ...]} into {@code cache [B, Tmax, ...]} at rows {@code start[s] ..
   * start[s]+Tn-1} of each sequence {@code s} (the KV-cache append of a decode step). Not
   * differentiable; the caller keeps {@code start[s] + Tn <= Tmax}.
   */
  public void writeCache(Tensor src, Tensor cache, Tensor start) {
    String op = "writeCache";
    check(op, "src", src, Buf.Type.F32);
    if (cache.dtype() != Buf.Type.BF16 || !k.bf16Caches()) check(op, "cache", cache, Buf.Type.F32);
    check(op, "start", start, Buf.Type.I32);
    requireRankAtLeast(op, "src", src, 2);
    int b = src.dim(0);
    int tn = src.dim(1);
    int rowSize = tn == 0 || b == 0 ? 0 : src.numel() / (b * tn);
    int[] expected = src.shape();
    expected[1] = cache.rank() >= 2 ? cache.dim(1) : -1;
    if (!Arrays.equals(cache.shape(), expected) || tn > cache.dim(1)) {
      throw new IllegalArgumentException(
          op
              + ": src has shape "
              + Shapes.str(src.shape())
              + " but cache has shape "
              + Shapes.str(cache.shape())
              + " (expected [B, Tmax, ...] matching src except in dimension 1)");
    }
    if (start.numel() != b) {
      throw new IllegalArgumentException(
          op
              + ": src has shape "
              + Shapes.str(src.shape())
              + " but start has shape "
              + Shapes.str(start.shape())
              + " (expected ["
              + b
              + "])");
    }
    if (tape.needsGrad(src)) {
      throw new IllegalStateException(op + " is inference-only; run it under tape.noGrad()");
    }
    k.writeCache(src.buf(), cache.buf(), start.buf(), b, tn, cache.dim(1), rowSize);
  }

  private int[] attentionDims(String op, Tensor q, Tensor kk, Tensor v, boolean cached) {
    check(op, "q", q, Buf.Type.F32);
    // A KV cache may be bfloat16 (both k and v) on kernels that take it.
    Buf.Type kv =
        cached && kk.dtype() == Buf.Type.BF16 && k.bf16Caches() ? Buf.Type.BF16 : Buf.Type.F32;
    check(op, "k", kk, kv);
    check(op, "v", v, kv);
    requireRank(op, "q", q, 4);
    requireRank(op, "k", kk, 4);
    requireRank(op, "v", v, 4);
    int b = q.dim(0), t = q.dim(1), hq = q.dim(2), d = q.dim(3);
    int hkv = kk.dim(2);
    boolean ok =
        kk.dim(0) == b
            && (cached ? kk.dim(1) >= t : kk.dim(1) == t)
            && kk.dim(3) == d
            && hkv > 0
            && hq % hkv == 0;
    if (!ok) {
      throw new IllegalArgumentException(
          op
              + ": q has shape "
              + Shapes.str(q.shape())
              + " but k has shape "
              + Shapes.str(kk.shape())
              + " (expected [B, "
              + (cached ? "Tmax >= T" : "T")
              + ", Hkv, D] with B, D as in q and Hq a multiple of Hkv)");
    }
    if (!Arrays.equals(kk.shape(), v.shape())) {
      throw new IllegalArgumentException(
          op
              + ": k has shape "
              + Shapes.str(kk.shape())
              + " but v has shape "
              + Shapes.str(v.shape())
              + " (expected equal shapes)");
    }
    return new int[] {b, t, hq, hkv, d};
  }

  // ---------------------------------------------------------------------------------------------
  // Softmax family and losses.

  /** Softmax over the last dimension. */
  public Tensor softmax(Tensor x) {
    String op = "softmax";
    check(op, "x", x, Buf.Type.F32);
    requireRankAtLeast(op, "x", x, 1);
    int cols = x.dim(-1);
    int rows = Shapes.rows(x.shape());
    Tensor y = tape.allocate(x.shape());
    k.softmaxForward(x.buf(), y.buf(), rows, cols);
    return tape.record(
        op, y, inputs(x), () -> k.softmaxBackward(y.buf(), tape.grad(y), tape.grad(x), rows, cols));
  }

  /** Log-softmax over the last dimension. */
  public Tensor logSoftmax(Tensor x) {
    String op = "logSoftmax";
    check(op, "x", x, Buf.Type.F32);
    requireRankAtLeast(op, "x", x, 1);
    int cols = x.dim(-1);
    int rows = Shapes.rows(x.shape());
    Tensor y = tape.allocate(x.shape());
    k.logSoftmaxForward(x.buf(), y.buf(), rows, cols);
    return tape.record(
        op,
        y,
        inputs(x),
        () -> k.logSoftmaxBackward(y.buf(), tape.grad(y), tape.grad(x), rows, cols));
  }

  /**
   * Per-row cross-entropy {@code logsumexp(logits[r]) - logits[r, target[r]]}: {@code logits [...,
   * V]}, {@code targets} I32 with one entry per row; the result has the shape of {@code targets}.
   * Rows whose target is {@code ignoreIndex} get loss 0 and no gradient.
   */
  public Tensor crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
    String op = "crossEntropy";
    check(op, "logits", logits, Buf.Type.F32);
    check(op, "targets", targets, Buf.Type.I32);
    requireRankAtLeast(op, "logits", logits, 1);
    int v = logits.dim(-1);
    int rows = Shapes.rows(logits.shape());
    if (targets.numel() != rows) {
      throw new IllegalArgumentException(
          op
              + ": logits has shape "
              + Shapes.str(logits.shape())
              + " but targets has shape "
              + Shapes.str(targets.shape())
              + " (expected "
              + rows
              + " targets, one per row)");
    }
    Tensor loss = tape.allocate(targets.shape());
    Tensor lse = tape.allocate(rows);
    k.crossEntropyForward(logits.buf(), targets.buf(), loss.buf(), lse.buf(), rows, v, ignoreIndex);
    return tape.record(
        op,
        loss,
        inputs(logits, targets),
        () ->
            k.crossEntropyBackward(
                logits.buf(),
                targets.buf(),
                lse.buf(),
                tape.grad(loss),
                tape.grad(logits),
                rows,
                v,
                ignoreIndex));
  }

  /**
   * Mean cross-entropy over the rows whose target is not {@code ignoreIndex} (0 when there are
   * none). Counting those rows reads {@code targets} back to the host once.
   */
  public Tensor crossEntropyMean(Tensor logits, Tensor targets, int ignoreIndex) {
    Tensor perRow = crossEntropy(logits, targets, ignoreIndex);
    int counted = 0;
    for (int t : targets.toIntArray()) if (t != ignoreIndex) counted++;
    return scale(sum(perRow), 1f / Math.max(counted, 1));
  }

  /**
   * Log-probability of each target token, {@code log softmax(logits[r])[target[r]]} (the negated
   * cross-entropy; 0 on ignored rows): the {@code logp} that GRPO needs.
   */
  public Tensor tokenLogProbs(Tensor logits, Tensor targets, int ignoreIndex) {
    return scale(crossEntropy(logits, targets, ignoreIndex), -1f);
  }

  /**
   * The GRPO loss of a batch (docs/ARCHITECTURE.md, "The GRPO loss, per token"): per-token clipped
   * policy-gradient term plus {@code beta} times the k3 KL estimate, times {@code weight} (loss
   * mask and normaliser folded in), summed. {@code logp} (with grad) and the constants {@code
   * oldLogp}, {@code refLogp}, {@code adv} (per token), {@code weight} share one shape.
   */
  public GrpoLoss grpoLoss(
      Tensor logp,
      Tensor oldLogp,
      Tensor refLogp,
      Tensor adv,
      Tensor weight,
      float epsLow,
      float epsHigh,
      float beta) {
    String op = "grpoLoss";
    check(op, "logp", logp, Buf.Type.F32);
    Tensor[] constants = {oldLogp, refLogp, adv, weight};
    String[] names = {"oldLogp", "refLogp", "adv", "weight"};
    for (int i = 0; i < constants.length; i++) {
      check(op, names[i], constants[i], Buf.Type.F32);
      if (!Arrays.equals(constants[i].shape(), logp.shape())) {
        throw new IllegalArgumentException(
            op
                + ": logp has shape "
                + Shapes.str(logp.shape())
                + " but "
                + names[i]
                + " has shape "
                + Shapes.str(constants[i].shape())
                + " (expected equal shapes)");
      }
      if (tape.needsGrad(constants[i])) {
        throw new IllegalArgumentException(
            op + ": " + names[i] + " must be a constant, but " + constants[i] + " requires grad");
      }
    }
    int n = logp.numel();
    Tensor tokenLoss = tape.allocate(logp.shape());
    Tensor kl = tape.allocate(logp.shape());
    k.grpoLossForward(
        logp.buf(),
        oldLogp.buf(),
        refLogp.buf(),
        adv.buf(),
        weight.buf(),
        tokenLoss.buf(),
        kl.buf(),
        n,
        epsLow,
        epsHigh,
        beta);
    tape.record(
        op,
        tokenLoss,
        inputs(logp, oldLogp, refLogp, adv, weight),
        () ->
            k.grpoLossBackward(
                logp.buf(),
                oldLogp.buf(),
                refLogp.buf(),
                adv.buf(),
                weight.buf(),
                tape.grad(tokenLoss),
                tape.grad(logp),
                n,
                epsLow,
                epsHigh,
                beta));
    return new GrpoLoss(sum(tokenLoss), tokenLoss, kl);
  }

  /**
   * Result of {@link #grpoLoss}: {@code loss} the scalar to call backward on, {@code tokenLoss} the
   * weighted per-token terms it sums, {@code kl} the unweighted per-token k3 KL (metrics).
   */
  public record GrpoLoss(Tensor loss, Tensor tokenLoss, Tensor kl) {}

  // ---------------------------------------------------------------------------------------------
  // Reductions.

  /** Sum of all elements, a scalar (shape {@code []}). */
  public Tensor sum(Tensor x) {
    String op = "sum";
    check(op, "x", x, Buf.Type.F32);
    int n = x.numel();
    Tensor y = tape.allocate();
    k.reduceSum(x.buf(), y.buf(), n);
    return tape.record(op, y, inputs(x), () -> k.reduceSumBackward(tape.grad(y), tape.grad(x), n));
  }

  /** Mean of all elements, a scalar. */
  public Tensor mean(Tensor x) {
    return scale(sum(x), 1f / Math.max(x.numel(), 1));
  }

  // ---------------------------------------------------------------------------------------------
  // Checks.

  private static Tensor[] inputs(Tensor... ts) {
    return Arrays.stream(ts).filter(Objects::nonNull).toArray(Tensor[]::new);
  }

  /** Frozen weight types that linear and embedding read in place of F32 (no gradient). */
  private static boolean frozenType(Buf.Type type) {
    return type == Buf.Type.BF16 || type == Buf.Type.I8;
  }

  private void check(String op, String name, Tensor t, Buf.Type type) {
    if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
    if (t.device() != k) {
      throw new IllegalArgumentException(
          op + ": " + name + " " + t + " lives on another device than this tape");
    }
    if (t.storage.tape != null && t.storage.tape != tape) {
      throw new IllegalArgumentException(op + ": " + name + " " + t + " belongs to another tape");
    }
    if (t.released()) {
      throw new IllegalStateException(
          op + ": " + name + " " + t + " was released by Tape.reset() or close()");
    }
    if (t.dtype() != type) {
      throw new IllegalArgumentException(
          op + ": " + name + " must be " + type + " but " + t + " is " + t.dtype());
    }
  }

  private static void requireRank(String op, String name, Tensor t, int rank) {
    if (t.rank() != rank) {
      throw new IllegalArgumentException(
          op
              + ": "
              + name
              + " has shape "
              + Shapes.str(t.shape())
              + " (expected rank "
              + rank
              + ")");
    }
  }

  private static void requireRankAtLeast(String op, String name, Tensor t, int rank) {
    if (t.rank() < rank) {
      throw new IllegalArgumentException(
          op
              + ": "
              + name
              + " has shape "
              + Shapes.str(t.shape())
              + " (expected rank "
              + rank
              + " or more)");
    }
  }

  private void checkSameShape(String op, String aName, Tensor a, String bName, Tensor b) {
    check(op, aName, a, Buf.Type.F32);
    check(op, bName, b, Buf.Type.F32);
    if (!Arrays.equals(a.shape(), b.shape())) {
      throw new IllegalArgumentException(
          op
              + ": "
              + aName
              + " has shape "
              + Shapes.str(a.shape())
              + " but "
              + bName
              + " has shape "
              + Shapes.str(b.shape())
              + " (expected equal shapes)");
    }
  }
}
