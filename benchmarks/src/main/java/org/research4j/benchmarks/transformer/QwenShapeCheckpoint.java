package org.research4j.benchmarks.transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.DType;
import org.research4j.transformer.checkpoint.GenerationConfig;
import org.research4j.transformer.checkpoint.NamedTensor;
import org.research4j.transformer.checkpoint.Qwen2Config;

/**
 * Writes a Hugging Face checkpoint with the exact shape of Qwen2.5-0.5B-Instruct or
 * Qwen2.5-1.5B-Instruct and random weights, for measuring at real size without downloading a model:
 * {@code config.json} (the real one's values: tied embeddings, q/k/v bias, rope_theta 1e6, bos
 * 151643, eos 151645; generation_config.json's eos 151645 and 151643), bfloat16 weights in two
 * safetensors shards with {@code model.safetensors.index.json}, {@code generation_config.json}, and
 * the tokenizer given (the real Qwen2.5 {@code tokenizer.json}: {@code
 * tools/qwen-shape-checkpoint.sh} fetches it).
 *
 * <p>Weights as Hugging Face initialises Qwen2 ({@code normal(0, 0.02)} matrices), with RMSNorm
 * gains 1 and q/k/v biases {@code normal(0, 0.02)} too; seeded, one stream per tensor. Such a model
 * writes near-uniform random tokens: it never stops early, so a generation runs its whole budget.
 *
 * <p>Usage: {@code QwenShapeCheckpoint --shape 0.5b|1.5b|tiny --out DIR --tokenizer tokenizer.json
 * [--seed 42]}
 */
public final class QwenShapeCheckpoint {
  private QwenShapeCheckpoint() {}

  /** The config of a Qwen2.5 shape: {@code 0.5b} or {@code 1.5b}. */
  public static Qwen2Config config(String shape) {
    Qwen2Config c =
        switch (shape.toLowerCase(Locale.ROOT)) {
          case "0.5b" -> Qwen2Config.of(151_936, 896, 4_864, 24, 14, 2, 32_768);
          case "1.5b" -> Qwen2Config.of(151_936, 1_536, 8_960, 28, 12, 2, 32_768);
          // For trying the scripts: the real vocabulary and tokenizer, a tiny decoder.
          case "tiny" -> Qwen2Config.of(151_936, 64, 128, 2, 4, 2, 32_768);
          default ->
              throw new IllegalArgumentException(
                  "--shape must be 0.5b, 1.5b or tiny, got " + shape);
        };
    // As the real config.json: eos 151645 (<|im_end|>); generation_config.json adds 151643.
    return c.withTokenIds(151_643, List.of(151_645)).withTorchDtype("bfloat16");
  }

  public static void main(String[] args) throws IOException {
    String shape = null;
    Path out = null;
    Path tokenizer = null;
    long seed = 42;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--shape" -> shape = args[++i];
        case "--out" -> out = Path.of(args[++i]);
        case "--tokenizer" -> tokenizer = Path.of(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (shape == null || out == null || tokenizer == null) {
      System.err.println(
          "usage: QwenShapeCheckpoint --shape 0.5b|1.5b|tiny --out DIR --tokenizer tokenizer.json"
              + " [--seed 42]");
      System.exit(2);
    }
    if (!Files.isRegularFile(tokenizer)) {
      throw new IllegalArgumentException("no tokenizer file " + tokenizer);
    }
    Qwen2Config c = config(shape);
    long t0 = System.nanoTime();
    Map<String, NamedTensor> tensors = tensors(c, seed);
    long params = 0;
    for (NamedTensor t : tensors.values()) params += t.data().length;
    long bf16Bytes = 2 * params;
    CheckpointWriter.Options options =
        CheckpointWriter.Options.defaults()
            .withDtype(DType.BF16)
            .withMaxShardBytes(bf16Bytes / 2 + (64L << 20))
            .withTokenizerFile(tokenizer)
            .withGenerationConfig(GenerationConfig.defaults(List.of(151_645, 151_643)));
    CheckpointWriter.write(out, c, tensors, options);
    System.out.printf(
        "wrote %s: Qwen2.5-%s shape, %,d parameters, %.2f GB of bfloat16 weights, %.1f s%n",
        out, shape, params, bf16Bytes / 1e9, (System.nanoTime() - t0) / 1e9);
  }

  /** Every tensor of the checkpoint under its Hugging Face name, in the model's order. */
  static Map<String, NamedTensor> tensors(Qwen2Config c, long seed) {
    int d = c.hiddenSize();
    int ff = c.intermediateSize();
    int q = c.qDim();
    int kv = c.kvDim();
    Map<String, NamedTensor> t = new LinkedHashMap<>();
    SplittableRandom root = new SplittableRandom(seed);
    put(t, root, "model.embed_tokens.weight", c.vocabSize(), d);
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      put(t, root, p + "input_layernorm.weight", d);
      put(t, root, p + "self_attn.q_proj.weight", q, d);
      put(t, root, p + "self_attn.q_proj.bias", q);
      put(t, root, p + "self_attn.k_proj.weight", kv, d);
      put(t, root, p + "self_attn.k_proj.bias", kv);
      put(t, root, p + "self_attn.v_proj.weight", kv, d);
      put(t, root, p + "self_attn.v_proj.bias", kv);
      put(t, root, p + "self_attn.o_proj.weight", d, q);
      put(t, root, p + "post_attention_layernorm.weight", d);
      put(t, root, p + "mlp.gate_proj.weight", ff, d);
      put(t, root, p + "mlp.up_proj.weight", ff, d);
      put(t, root, p + "mlp.down_proj.weight", d, ff);
    }
    put(t, root, "model.norm.weight", d);
    return t;
  }

  private static void put(
      Map<String, NamedTensor> t, SplittableRandom root, String name, int... shape) {
    SplittableRandom rnd = root.split();
    int n = 1;
    for (int s : shape) n *= s;
    float[] v = new float[n];
    if (name.endsWith("norm.weight")) {
      java.util.Arrays.fill(v, 1f);
    } else {
      for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
    }
    t.put(name, new NamedTensor(v, shape));
  }
}
