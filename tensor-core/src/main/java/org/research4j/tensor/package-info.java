/**
 * Tensors with shapes on a device, reverse-mode autograd over coarse ops (each op pairs one forward
 * kernel call with its backward kernel call), parameters, AdamW, gradient clipping and
 * finite-difference gradient checking. Layers and models live in {@code transformer}; the kernels
 * themselves in {@code org.research4j.kernels}. Everything here goes through the {@link
 * org.research4j.kernels.Kernels} interface, so the same model code runs on the Java CPU kernels
 * and on OpenCL.
 *
 * <h2>What a layer author needs</h2>
 *
 * <p><b>Three kinds of tensor</b> ({@link org.research4j.tensor.Tensor}: a shape, a dtype {@code
 * F32} or {@code I32}, a device buffer):
 *
 * <ul>
 *   <li>{@link org.research4j.tensor.Parameter}: a named float tensor with its own gradient buffer,
 *       owned until closed. Collect them in {@link org.research4j.tensor.Parameters} (ordered,
 *       unique names; what the optimiser steps, the clipper clips, a checkpoint saves). Load
 *       weights with {@code copyFrom(float[])}. A <em>frozen</em> parameter ({@code
 *       Parameter.frozen}) has no gradient buffer and may hold bfloat16 ({@code BF16}) values, or
 *       for a matrix int8 values with a float32 scale per row ({@code I8}), which {@code
 *       Ops.linear} (as the weight) and {@code Ops.embedding} (as the table) read widened or
 *       dequantized to float32; no gradient flows through them.
 *   <li>Activations: every op output, and inputs made with {@code tape.tensor(float[], shape)},
 *       {@code tape.ints(int[], shape)}, {@code tape.zeros(shape)}. They come from the {@link
 *       org.research4j.tensor.Tape}'s pool and die at {@code tape.reset()}; using one afterwards
 *       throws. A training loop with repeating shapes allocates no device memory after step 1.
 *   <li>Standalone constants: {@code Tensor.of(kernels, float[], shape)}, {@code Tensor.ofInts},
 *       {@code Tensor.zeros}: owned until {@code close()}; for data that outlives a step (a KV
 *       cache, a fixed dataset).
 * </ul>
 *
 * <p>{@code t.view(shape)} reshapes without copying and shares the gradient, which is how a
 * projection's {@code [B*T, H*D]} (or {@code [B, T, H*D]}) output becomes attention's {@code [B, T,
 * H, D]} input. Host copies are explicit: {@code toFloatArray()}, {@code toIntArray()}, {@code
 * gradToFloatArray()}, {@code item()}.
 *
 * <p><b>One training step</b>:
 *
 * <pre>{@code
 * Tape tape = new Tape(kernels);                       // once
 * AdamW opt = new AdamW(params, AdamW.Config.of(3e-4f));
 * for (...) {
 *   tape.reset();                                      // frees last step's activations
 *   params.zeroGrad();
 *   Ops ops = tape.ops();
 *   Tensor x = ops.embedding(wte, tape.ints(ids, b, t));            // [b, t, dim]
 *   Tensor h = ops.rmsnorm(x, norm, 1e-6f);
 *   Tensor q = ops.rope(ops.linear(h, wq, bq).view(b, t, hq, hd), pos, theta);
 *   ...
 *   Tensor loss = ops.crossEntropyMean(logits, targets, Ops.IGNORE_INDEX);
 *   tape.backward(loss);                               // accumulates into parameter grads
 *   double norm = GradClip.clipGlobalNorm(params, 1.0);
 *   opt.step();
 * }
 * }</pre>
 *
 * <p><b>Ops</b> ({@link org.research4j.tensor.Ops}; the last dimension is the feature dimension,
 * leading dimensions are rows): {@code linear(x[..., in], W[out, in], bias[out] or null)}, {@code
 * matmul(a[..., n], b[n, p])}, {@code add}, {@code mul}, {@code scale}, {@code detach} (the same
 * values, no gradient), {@code swiglu(gate, up)}, {@code embedding(table[V, D], ids I32)} (also the
 * row gather, e.g. last positions), {@code rmsnorm(x, w, eps)}, {@code rope(x[..., H, D], pos I32,
 * theta)}, {@code attention(q[B, T, Hq, D], k[B, T, Hkv, D], v)} (causal, grouped-query), {@code
 * softmax}, {@code logSoftmax}, {@code crossEntropy(logits, targets I32, ignoreIndex)} (per row),
 * {@code crossEntropyMean}, {@code tokenLogProbs} (per-row log-probability of the target), {@code
 * grpoLoss(logp, oldLogp, refLogp, adv, weight, epsLow, epsHigh, beta)} (returns the scalar loss,
 * the per-token terms and the per-token KL), {@code sum}, {@code mean}. Shapes and dtypes are
 * checked before any kernel runs; errors name the op and both shapes. Tied embeddings need nothing
 * special: use the same parameter in {@code embedding} and {@code linear}, the gradients add up.
 *
 * <p><b>Inference</b>: inside {@code try (var ng = tape.noGrad()) { ... }} ops record nothing (use
 * it for generation and for old-policy and reference log-probs). KV-cache decoding: {@code
 * ops.writeCache(k[B, Tn, Hkv, D], kCache[B, Tmax, Hkv, D], start I32[B])} then {@code
 * ops.attentionCached(q, kCache, vCache, start, scale)}; a long generation loop can {@code close()}
 * activations it no longer needs to return them to the pool early.
 *
 * <p><b>Custom ops</b>: allocate the output with {@code tape.allocate(shape)}, run kernels on
 * {@code buf()}s, then {@code tape.record(name, output, inputs, backward)} where the backward reads
 * {@code tape.grad(output)} and accumulates into {@code tape.grad(input)} (backward kernels always
 * accumulate). Check a new op with {@link org.research4j.tensor.GradCheck}.
 *
 * <p><b>Debugging</b>: {@code -Dresearch4j.debug.nan=true}, {@code RESEARCH4J_DEBUG_NAN=1} or
 * {@code Tape.setNanCheck(true)} makes every op check its output (and every backward its gradients)
 * for NaN/Inf and throw {@link org.research4j.tensor.NonFiniteException} naming the first offending
 * op and its position on the tape.
 *
 * <p>Tapes, tensors and optimisers are single-threaded.
 */
package org.research4j.tensor;
