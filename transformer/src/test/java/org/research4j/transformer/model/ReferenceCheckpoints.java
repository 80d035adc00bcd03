package org.research4j.transformer.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.tensor.Parameter;
import org.research4j.transformer.checkpoint.Qwen2Config;

/**
 * The tiny random checkpoints that {@code tools/pytorch/qwen2_reference.py} records a reference
 * for, and that {@link PyTorchReferenceTest} compares against. Run by {@code
 * tools/pytorch/record-reference.sh}: {@code ReferenceCheckpoints OUT_DIR} writes {@code
 * OUT_DIR/<name>/} for every entry of {@link #CONFIGS}.
 *
 * <p>Norm gains and biases are drawn at random too (not 1 and 0 as a fresh model has), so the
 * forward pass of the reference exercises them.
 */
public final class ReferenceCheckpoints {

  /** A checkpoint to record: its directory name, architecture and seed. */
  record Spec(String name, Qwen2Config config, long seed) {}

  static final List<Spec> CONFIGS =
      List.of(
          // hidden 64, 2 layers, 4 heads of 16, 2 KV heads, SwiGLU 96, vocab 128, separate lm_head.
          new Spec("qwen2-tiny-untied", config(128, 64, 96, 4, 2, 16, false), 20250101L),
          // Tied embeddings, and head_dim 16 with hidden 32: q/o widths differ from hidden_size.
          new Spec("qwen2-tiny-tied", config(96, 32, 48, 4, 2, 16, true), 20250102L));

  private ReferenceCheckpoints() {}

  public static Qwen2Config config(
      int vocab, int hidden, int ff, int heads, int kvHeads, int headDim, boolean tied) {
    return new Qwen2Config(
        vocab,
        hidden,
        ff,
        2,
        heads,
        kvHeads,
        headDim,
        64,
        10000.0,
        1e-6,
        tied,
        null,
        List.of(0),
        "float32",
        0.1);
  }

  /** The model of {@code spec}: HF initialisation, then random gains and biases. */
  static Qwen2Model build(Kernels kernels, Spec spec) {
    Qwen2Model model = Qwen2Model.random(kernels, spec.config(), spec.seed());
    SplittableRandom rnd = new SplittableRandom(spec.seed() + 1);
    for (Parameter p : model.parameters()) {
      if (p.rank() != 1) continue;
      float base = p.name().endsWith("norm.weight") ? 1f : 0f;
      float[] values = new float[p.numel()];
      for (int i = 0; i < values.length; i++) values[i] = base + (float) (0.1 * rnd.nextGaussian());
      p.copyFrom(values);
    }
    return model;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ReferenceCheckpoints OUT_DIR");
      System.exit(2);
    }
    for (Spec spec : CONFIGS) {
      Path dir = Path.of(args[0]).resolve(spec.name());
      try (Qwen2Model model = build(new CpuKernels(), spec)) {
        model.save(dir);
      }
      System.out.println("wrote " + dir);
    }
  }
}
