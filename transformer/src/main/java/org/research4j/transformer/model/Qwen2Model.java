package org.research4j.transformer.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Parameter;
import org.research4j.tensor.Parameters;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.Checkpoint;
import org.research4j.transformer.checkpoint.CheckpointException;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.checkpoint.TensorStore;

/**
 * The Qwen2 decoder: token embedding, {@code N} pre-norm blocks (RMSNorm, grouped-query attention
 * with RoPE and q/k/v bias, residual; RMSNorm, SwiGLU MLP, residual), a final RMSNorm and the LM
 * head, tied to the embedding or not. Parameters carry their Hugging Face names, so a checkpoint
 * loads and saves by name.
 *
 * <p>Every computation is a tensor-core op recorded on the caller's tape, so the same model trains
 * ({@link #loss}, then {@code tape.backward}) and runs on any device the kernels support. Inputs
 * are token ids {@code [B, T]}; batches of different lengths are right-padded, which changes
 * nothing for the real tokens because attention is causal.
 */
public final class Qwen2Model implements AutoCloseable {

  /** One decoder block's weights, named as in the figure of the architecture. */
  private record Block(
      Parameter inputNorm,
      Parameter qWeight,
      Parameter qBias,
      Parameter kWeight,
      Parameter kBias,
      Parameter vWeight,
      Parameter vBias,
      Parameter oWeight,
      Parameter postAttentionNorm,
      Parameter gateWeight,
      Parameter upWeight,
      Parameter downWeight) {}

  /**
   * Tensors an HF checkpoint may hold that this model does not use: RoPE frequency buffers saved by
   * old transformers versions (recomputed here from {@code rope_theta}).
   */
  private static final String ROTARY_BUFFER_SUFFIX = ".self_attn.rotary_emb.inv_freq";

  private static final String LM_HEAD = "lm_head.weight";

  private final Qwen2Config config;
  private final Kernels kernels;
  private final WeightPrecision precision;
  private final Parameters parameters = new Parameters();
  private final Parameter embedTokens;
  private final List<Block> blocks = new ArrayList<>();
  private final Parameter finalNorm;
  private final Parameter lmHead;
  private volatile boolean bf16Caches;

  /** Allocates every parameter, zero-filled, under its HF name. */
  private Qwen2Model(Kernels kernels, Qwen2Config config) {
    this(kernels, config, WeightPrecision.F32);
  }

  /**
   * Allocates every parameter, zero-filled, under its HF name: trainable float32, or frozen with
   * bfloat16 or int8 matrices ({@link WeightPrecision}).
   */
  private Qwen2Model(Kernels kernels, Qwen2Config config, WeightPrecision precision) {
    this.config = config;
    this.kernels = kernels;
    this.precision = precision;
    int d = config.hiddenSize();
    int ff = config.intermediateSize();
    int q = config.qDim();
    int kv = config.kvDim();
    embedTokens = param("model.embed_tokens.weight", config.vocabSize(), d);
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      blocks.add(
          new Block(
              param(p + "input_layernorm.weight", d),
              param(p + "self_attn.q_proj.weight", q, d),
              param(p + "self_attn.q_proj.bias", q),
              param(p + "self_attn.k_proj.weight", kv, d),
              param(p + "self_attn.k_proj.bias", kv),
              param(p + "self_attn.v_proj.weight", kv, d),
              param(p + "self_attn.v_proj.bias", kv),
              param(p + "self_attn.o_proj.weight", d, q),
              param(p + "post_attention_layernorm.weight", d),
              param(p + "mlp.gate_proj.weight", ff, d),
              param(p + "mlp.up_proj.weight", ff, d),
              param(p + "mlp.down_proj.weight", d, ff)));
    }
    finalNorm = param("model.norm.weight", d);
    lmHead = config.tieWordEmbeddings() ? embedTokens : param(LM_HEAD, config.vocabSize(), d);
  }

  private Parameter param(String name, int... shape) {
    if (precision == WeightPrecision.F32) {
      return parameters.add(Parameter.zeros(kernels, name, shape));
    }
    Buf.Type matrix = precision == WeightPrecision.INT8 ? Buf.Type.I8 : Buf.Type.BF16;
    Buf.Type type = shape.length == 2 ? matrix : Buf.Type.F32;
    return parameters.add(Parameter.frozen(kernels, name, type, shape));
  }

  // ---------------------------------------------------------------------------------------------
  // Creating, loading, saving.

  /**
   * A freshly initialised model, as Hugging Face initialises Qwen2: every matrix (embedding, LM
   * head, projections) drawn from {@code normal(0, initializer_range)}, RMSNorm gains 1, biases 0.
   * The same seed gives the same weights; parameters are drawn in {@link #parameters()} order.
   */
  public static Qwen2Model random(Kernels kernels, Qwen2Config config, long seed) {
    Qwen2Model m = new Qwen2Model(kernels, config);
    SplittableRandom rnd = new SplittableRandom(seed);
    double std = config.initializerRange();
    for (Parameter p : m.parameters) {
      float[] values = new float[p.numel()];
      if (p.rank() == 2) {
        for (int i = 0; i < values.length; i++) values[i] = (float) (rnd.nextGaussian() * std);
      } else if (p.name().endsWith("norm.weight")) {
        Arrays.fill(values, 1f);
      }
      p.copyFrom(values);
    }
    return m;
  }

  /** Loads the Hugging Face model directory {@code dir} (config.json and safetensors weights). */
  public static Qwen2Model load(Kernels kernels, Path dir) throws IOException {
    return load(kernels, dir, WeightPrecision.F32);
  }

  /**
   * Loads the Hugging Face model directory {@code dir} with its weights kept in {@code precision}:
   * {@link WeightPrecision#BF16} gives a frozen, inference-only model at half the memory, {@link
   * WeightPrecision#INT8} one at a quarter (each matrix quantized per row as it is read).
   */
  public static Qwen2Model load(Kernels kernels, Path dir, WeightPrecision precision)
      throws IOException {
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      return load(kernels, ckpt.config(), ckpt, precision);
    }
  }

  /**
   * A frozen copy of {@code source} (same config and device) with its weights in {@code precision}:
   * matrices rounded to bfloat16 for {@link WeightPrecision#BF16}, quantized to int8 per row for
   * {@link WeightPrecision#INT8}. For a frozen reference model built from a policy held in memory.
   */
  public static Qwen2Model copyOf(Qwen2Model source, WeightPrecision precision) {
    Qwen2Model m = new Qwen2Model(source.kernels, source.config, precision);
    try {
      for (Parameter p : m.parameters) p.copyFrom(source.parameters.get(p.name()).toFloatArray());
      return m;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * A model of architecture {@code config} with its weights read from {@code store}. Every tensor
   * the model needs must be present with exactly the shape the config implies, and every tensor
   * present must be one the model uses; otherwise a {@link CheckpointException} names the tensor
   * (and both shapes).
   */
  public static Qwen2Model load(Kernels kernels, Qwen2Config config, TensorStore store) {
    return load(kernels, config, store, WeightPrecision.F32);
  }

  /**
   * {@link #load(Kernels, Qwen2Config, TensorStore)} with the weights kept in {@code precision}.
   */
  public static Qwen2Model load(
      Kernels kernels, Qwen2Config config, TensorStore store, WeightPrecision precision) {
    checkMemory(kernels, config, precision, store.source());
    Qwen2Model m = new Qwen2Model(kernels, config, precision);
    try {
      m.checkNoUnusedTensors(store);
      for (Parameter p : m.parameters) {
        if (!store.contains(p.name())) throw store.missing(p.name());
        if (p.dtype() == Buf.Type.BF16) p.copyFromBf16(store.readBf16(p.name(), p.shape()));
        else p.copyFrom(store.readF32(p.name(), p.shape()));
      }
      return m;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Bytes a model of {@code config} takes in {@code precision}: float32 values and gradients, or
   * bfloat16 matrices and float32 vectors without gradients, or int8 matrices with a float32 scale
   * per matrix row and float32 vectors without gradients.
   */
  public static long memoryBytes(Qwen2Config config, WeightPrecision precision) {
    long d = config.hiddenSize();
    long q = config.qDim();
    long kv = config.kvDim();
    long ff = config.intermediateSize();
    long layers = config.numHiddenLayers();
    long matrices =
        (long) config.vocabSize() * d * (config.tieWordEmbeddings() ? 1 : 2)
            + layers * (q * d + 2 * kv * d + d * q + 3 * ff * d);
    long vectors = layers * (2 * d + q + 2 * kv) + d;
    long matrixRows =
        (long) config.vocabSize() * (config.tieWordEmbeddings() ? 1 : 2)
            + layers * (q + 2 * kv + d + 2 * ff + d);
    return switch (precision) {
      case F32 -> 8 * (matrices + vectors);
      case BF16 -> 2 * matrices + 4 * vectors;
      case INT8 -> matrices + 4 * matrixRows + 4 * vectors;
    };
  }

  /**
   * On the CPU kernels (the Java heap holds the weights), fails before allocating anything when the
   * model cannot fit in what the heap has left, with both sizes.
   */
  private static void checkMemory(
      Kernels kernels, Qwen2Config config, WeightPrecision precision, String source) {
    if (!(kernels instanceof org.research4j.kernels.cpu.CpuKernels)) return;
    Runtime rt = Runtime.getRuntime();
    long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    long needed = memoryBytes(config, precision);
    if (needed > available) {
      throw new CheckpointException(
          String.format(
              "%s: a %s model of this config needs %.2f GB (%s) but the Java heap has %.2f GB"
                  + " available (maximum %.2f GB); raise -Xmx (RESEARCH4J_JAVA_OPTS for"
                  + " bin/research)%s",
              source,
              precision,
              needed / 1e9,
              switch (precision) {
                case F32 -> "float32 weights and their gradients";
                case BF16 -> "bfloat16 matrices, float32 vectors";
                case INT8 -> "int8 matrices with row scales, float32 vectors";
              },
              available / 1e9,
              rt.maxMemory() / 1e9,
              precision == WeightPrecision.F32
                  ? ", or keep an inference-only model in bfloat16 or int8 (--weights bf16, --weights"
                      + " int8)"
                  : precision == WeightPrecision.BF16
                      ? ", or keep it in int8 (--weights int8)"
                      : ""));
    }
  }

  private void checkNoUnusedTensors(TensorStore store) {
    Set<String> ignorable = config.tieWordEmbeddings() ? Set.of(LM_HEAD) : Set.of();
    List<String> unused = new ArrayList<>();
    for (String name : store.names()) {
      if (!parameters.contains(name)
          && !ignorable.contains(name)
          && !name.endsWith(ROTARY_BUFFER_SUFFIX)) {
        unused.add(name);
      }
    }
    if (!unused.isEmpty()) {
      throw new CheckpointException(
          store.source()
              + " has "
              + unused.size()
              + " tensors that a Qwen2 model of this config does not have, e.g. "
              + unused.subList(0, Math.min(5, unused.size()))
              + "; the checkpoint is of another architecture or its config.json does not match"
              + " its weights");
    }
  }

  /** Saves config.json and float32 weights as a Hugging Face model directory (atomically). */
  public void save(Path dir) throws IOException {
    save(dir, CheckpointWriter.Options.defaults());
  }

  /** Saves a Hugging Face model directory with the given dtype, tokenizer and generation config. */
  public void save(Path dir, CheckpointWriter.Options options) throws IOException {
    // One parameter on the heap at a time, copied as it is written.
    Map<String, Parameter> byName = new LinkedHashMap<>();
    for (Parameter p : parameters) byName.put(p.name(), p);
    CheckpointWriter.write(
        dir,
        config,
        List.copyOf(byName.keySet()),
        n -> byName.get(n).shape(),
        n -> byName.get(n).toFloatArray(),
        options);
  }

  // ---------------------------------------------------------------------------------------------
  // Forward.

  /** Logits of every position: {@code ids} I32 {@code [B, T]} gives {@code [B*T, vocab]}. */
  public Tensor logits(Ops ops, Tensor ids) {
    Tensor h = decoder(ops, ids, trainingPositions(ops.tape(), ids), null, null);
    return ops.linear(h.view(-1, config.hiddenSize()), lmHead, null);
  }

  /**
   * Logits of selected positions only: {@code rows} I32 {@code [n]} indexes the flattened {@code
   * [B*T]} positions of {@code ids} (e.g. {@code s*T + len[s] - 1}, the last real token of each
   * sequence); gives {@code [n, vocab]}. Saves the LM head on the positions nobody reads.
   */
  public Tensor logits(Ops ops, Tensor ids, Tensor rows) {
    Tensor h = decoder(ops, ids, trainingPositions(ops.tape(), ids), null, null);
    return ops.linear(pick(ops, h, rows), lmHead, null);
  }

  /**
   * Mean next-token cross-entropy: {@code targets} I32 {@code [B, T]} holds the token each position
   * should predict, or {@link Ops#IGNORE_INDEX} where nothing is to be learned (prompt, padding);
   * the mean runs over the other positions.
   */
  public Tensor loss(Ops ops, Tensor ids, Tensor targets) {
    return ops.crossEntropyMean(logits(ops, ids), targets.view(-1), Ops.IGNORE_INDEX);
  }

  /**
   * Inference step over a KV cache: {@code ids} I32 {@code [B, Tn]} are new tokens, token {@code i}
   * of sequence {@code s} at absolute position {@code start[s] + i}. Their keys and values are
   * written into {@code cache} at those positions and each attends the cache up to its own
   * position. Returns the logits of {@code rows} (indexes into the flattened {@code [B*Tn]}), as
   * {@code [rows.length, vocab]}. Records nothing on the tape (inference only).
   */
  public Tensor logitsCached(Ops ops, Tensor ids, int[] start, KvCache cache, int[] rows) {
    Tape tape = ops.tape();
    int b = ids.dim(0);
    int tn = ids.dim(1);
    cache.checkFits(start, tn);
    int[] pos = new int[b * tn];
    for (int s = 0; s < b; s++) {
      for (int i = 0; i < tn; i++) pos[s * tn + i] = start[s] + i;
    }
    try (Tape.NoGrad noGrad = tape.noGrad()) {
      Tensor h = decoder(ops, ids, tape.ints(pos, b * tn), cache, tape.ints(start, b));
      return ops.linear(pick(ops, h, tape.ints(rows, rows.length)), lmHead, null);
    }
  }

  /**
   * The decoder stack up to the final norm, top to bottom as in the architecture figure. With a
   * cache, attention writes this call's keys and values into it and attends everything cached;
   * without, it is causal self-attention over the {@code T} tokens.
   */
  private Tensor decoder(Ops ops, Tensor ids, Tensor pos, KvCache cache, Tensor start) {
    int b = ids.dim(0);
    int t = ids.dim(1);
    int hq = config.numAttentionHeads();
    int hkv = config.numKeyValueHeads();
    int hd = config.headDim();
    float eps = (float) config.rmsNormEps();
    float theta = (float) config.ropeTheta();

    // Without gradients (generation, GRPO's reference) nothing is kept for a backward pass, so
    // each activation goes back to the tape's pool as soon as the next op has read it: the pass
    // holds about one layer's activations instead of every layer's (at real size, gigabytes).
    boolean free = !ops.tape().recording();
    Tensor h = ops.embedding(embedTokens, ids); // [B, T, d]
    for (int i = 0; i < blocks.size(); i++) {
      Block l = blocks.get(i);
      Tensor x = ops.rmsnorm(h, l.inputNorm, eps);
      Tensor qp = ops.linear(x, l.qWeight, l.qBias);
      Tensor q = ops.rope(qp.view(b, t, hq, hd), pos, theta);
      Tensor kp = ops.linear(x, l.kWeight, l.kBias);
      Tensor k = ops.rope(kp.view(b, t, hkv, hd), pos, theta);
      Tensor v = ops.linear(x, l.vWeight, l.vBias).view(b, t, hkv, hd);
      if (free) release(x, qp, kp);
      Tensor a = cache == null ? ops.attention(q, k, v) : cache.attend(ops, i, q, k, v, start);
      if (free) release(q, k, v);
      Tensor o = ops.linear(a.view(b, t, hq * hd), l.oWeight, null);
      if (free) release(a);
      Tensor h1 = ops.add(h, o);
      if (free) release(h, o);
      h = h1;

      x = ops.rmsnorm(h, l.postAttentionNorm, eps);
      Tensor gate = ops.linear(x, l.gateWeight, null);
      Tensor up = ops.linear(x, l.upWeight, null);
      if (free) release(x);
      Tensor act = ops.swiglu(gate, up);
      if (free) release(gate, up);
      Tensor down = ops.linear(act, l.downWeight, null);
      if (free) release(act);
      h1 = ops.add(h, down);
      if (free) release(h, down);
      h = h1;
    }
    Tensor out = ops.rmsnorm(h, finalNorm, eps);
    if (free) release(h);
    return out;
  }

  /** Returns tape activations to the pool early (only when nothing was recorded for backward). */
  private static void release(Tensor... tensors) {
    for (Tensor t : tensors) t.close();
  }

  /** Positions {@code 0..T-1} of every sequence: right padding keeps real tokens at the front. */
  private static Tensor trainingPositions(Tape tape, Tensor ids) {
    if (ids.rank() != 2) {
      throw new IllegalArgumentException("Qwen2Model: ids must be [B, T] token ids, got " + ids);
    }
    int b = ids.dim(0);
    int t = ids.dim(1);
    int[] pos = new int[b * t];
    for (int i = 0; i < pos.length; i++) pos[i] = i % t;
    return tape.ints(pos, b * t);
  }

  /** Rows {@code rows} of the hidden states {@code [B, T, d]} flattened to {@code [B*T, d]}. */
  private Tensor pick(Ops ops, Tensor h, Tensor rows) {
    return ops.embedding(h.view(-1, config.hiddenSize()), rows);
  }

  // ---------------------------------------------------------------------------------------------
  // Accessors.

  public Qwen2Config config() {
    return config;
  }

  /** How the weights are kept: trainable float32, or frozen bfloat16 or int8 matrices. */
  public WeightPrecision precision() {
    return precision;
  }

  /** Bytes of device memory the weights take (gradients, for a trainable model, as much again). */
  public long weightBytes() {
    long bytes = 0;
    for (Parameter p : parameters) {
      bytes +=
          switch (p.dtype()) {
            case BF16 -> 2L * p.numel();
            case I8 -> p.numel() + 4L * p.dim(0);
            default -> 4L * p.numel();
          };
    }
    return bytes;
  }

  public Kernels kernels() {
    return kernels;
  }

  /** Every parameter under its HF name, in HF order (the LM head last, when untied). */
  public Parameters parameters() {
    return parameters;
  }

  /**
   * Makes {@link #newCache} keep keys and values in bfloat16 ({@code true}) or float32 (the
   * default). A decode step reads the whole cache, so bfloat16 halves what the step's attention
   * reads; each key and value is rounded once, to the nearest bfloat16 (relative error at most
   * 2^-9), and the attention itself still computes in float32. Only on kernels whose {@link
   * Kernels#bf16Caches} holds (the CPU kernels).
   */
  public Qwen2Model bf16Caches(boolean on) {
    if (on && !kernels.bf16Caches()) {
      throw new IllegalArgumentException(
          "bfloat16 KV caches: these kernels (" + kernels.description() + ") keep float32 caches");
    }
    this.bf16Caches = on;
    return this;
  }

  /**
   * Gives back the memory the kernels keep derived from the weights for decoding (the CPU kernels'
   * packed copies of the matrices: as much again as the float32 weights), e.g. between the rollouts
   * and the update of a GRPO step, which does not use them; decoding rebuilds them.
   */
  public void forgetDerived() {
    for (Parameter p : parameters) kernels.forgetDerived(p.buf());
  }

  /** Whether {@link #newCache} keeps keys and values in bfloat16. */
  public boolean bf16Caches() {
    return bf16Caches;
  }

  /** A KV cache for {@code batch} sequences of up to {@code maxPositions} positions each. */
  public KvCache newCache(int batch, int maxPositions) {
    return new KvCache(kernels, config, batch, maxPositions, bf16Caches);
  }

  @Override
  public void close() {
    parameters.close();
  }
}
