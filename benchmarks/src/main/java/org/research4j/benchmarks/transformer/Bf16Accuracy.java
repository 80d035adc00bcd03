package org.research4j.benchmarks.transformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.tensor.Tape;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.model.WeightPrecision;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * How far frozen bfloat16 weights move a checkpoint's outputs from float32: loads {@code --model}
 * both ways, runs the first {@code --questions} questions of a FlashRAG QA file (encoded with the
 * checkpoint's tokenizer) through both, and prints the logits' largest absolute difference, the
 * relative one ({@code max|bf16 - f32| / max|f32|} over all positions of all questions) and greedy
 * decoding's agreement over up to {@code --tokens} new tokens (or EOS): the share of generated
 * tokens that come before the two responses' first difference, and responses identical.
 *
 * <p>Usage: {@code Bf16Accuracy --model DIR --qa QA.jsonl [--questions 50] [--tokens 64]}
 */
public final class Bf16Accuracy {
  private Bf16Accuracy() {}

  public static void main(String[] args) throws IOException {
    Path dir = null;
    Path qa = null;
    int questions = 50;
    int tokens = 64;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--model" -> dir = Path.of(args[++i]);
        case "--qa" -> qa = Path.of(args[++i]);
        case "--questions" -> questions = Integer.parseInt(args[++i]);
        case "--tokens" -> tokens = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (dir == null || qa == null) throw new IllegalArgumentException("--model and --qa required");
    Kernels cpu = new CpuKernels();
    Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
    List<int[]> prompts = new ArrayList<>();
    for (QaExample q : QaFormat.readAll(qa, OnMalformed.FAIL)) {
      if (prompts.size() == questions) break;
      prompts.add(tok.encode(q.question()));
    }
    double maxAbs = 0;
    double maxRef = 0;
    int agree = 0;
    int total = 0;
    int same = 0;
    try (Qwen2Model f32 = Qwen2Model.load(cpu, dir, WeightPrecision.F32);
        Qwen2Model bf16 = Qwen2Model.load(cpu, dir, WeightPrecision.BF16)) {
      for (int[] p : prompts) {
        float[] a = logits(f32, p);
        float[] b = logits(bf16, p);
        for (int i = 0; i < a.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs((double) b[i] - a[i]));
          maxRef = Math.max(maxRef, Math.abs(a[i]));
        }
        int[] x = greedy(f32, p, tokens);
        int[] y = greedy(bf16, p, tokens);
        int k = p.length;
        while (k < Math.min(x.length, y.length) && x[k] == y[k]) k++;
        agree += k - p.length;
        total += Math.max(x.length, y.length) - p.length;
        if (java.util.Arrays.equals(x, y)) same++;
      }
    }
    System.out.printf(
        "%s, %d questions: logits max |bf16 - f32| %.3e, relative to max |f32| (%.2f) %.3e;"
            + " greedy (up to %d tokens): %.1f %% of generated tokens come before the first"
            + " difference, %d of %d responses identical%n",
        dir,
        prompts.size(),
        maxAbs,
        maxRef,
        maxAbs / maxRef,
        tokens,
        100.0 * agree / Math.max(1, total),
        same,
        prompts.size());
  }

  private static float[] logits(Qwen2Model model, int[] ids) {
    try (Tape tape = new Tape(model.kernels())) {
      return model.logits(tape.ops(), tape.ints(ids, 1, ids.length)).toFloatArray();
    }
  }

  private static int[] greedy(Qwen2Model model, int[] prompt, int n) {
    Generator gen = new Generator(model, ids -> "");
    try (Session s = gen.start(List.of(prompt), SamplingConfig.greedy(), prompt.length + n + 1)) {
      s.run(n);
      return s.tokens(0);
    }
  }
}
