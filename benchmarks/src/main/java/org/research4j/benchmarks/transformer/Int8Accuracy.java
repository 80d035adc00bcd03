package org.research4j.benchmarks.transformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * How far frozen int8 weights (and, side by side, bfloat16) move a checkpoint's outputs from
 * float32: loads {@code --model} three ways ({@link WeightPrecision#F32}, {@link
 * WeightPrecision#BF16}, {@link WeightPrecision#INT8}), runs the first {@code --questions}
 * questions of a FlashRAG QA file (encoded with the checkpoint's tokenizer) through each, and
 * prints per precision: the logits' largest absolute difference from float32, the relative one
 * ({@code max|x - f32| / max|f32|} over all positions of all questions), the mean one ({@code
 * mean|x - f32| / mean|f32|}), the share of positions whose top logit (the greedy token) is
 * float32's, and greedy decoding's agreement over up to {@code --tokens} new tokens (or EOS): the
 * share of generated tokens that come before the two responses' first difference, and responses
 * identical.
 *
 * <p>Measured 2026-11-29 on the demo's GRPO model ({@code bin/research demo}, seed 42, step 60: 4
 * layers, hidden 128, vocabulary 2,048, float32; the checkpoint of BENCHMARKS.md's bfloat16 row,
 * whose figures this run reproduces), 200 test questions, 64 tokens, 2,614 positions:
 *
 * <ul>
 *   <li>int8: logits max |int8 - f32| 0.461, relative to max |f32| (26.16) 1.76e-2, mean relative
 *       1.09e-2; top-1 token equal at 99.04 % of positions; greedy: 95.3 % of generated tokens
 *       before the first difference, 183 of 200 responses identical.
 *   <li>bfloat16: 0.067, 2.57e-3, 2.30e-3; 99.62 %; 99.6 %, 199 of 200.
 * </ul>
 *
 * <p>Usage: {@code Int8Accuracy --model DIR --qa QA.jsonl [--questions 50] [--tokens 64]}
 */
public final class Int8Accuracy {
  private Int8Accuracy() {}

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
    WeightPrecision[] frozen = {WeightPrecision.BF16, WeightPrecision.INT8};
    try (Qwen2Model f32 = Qwen2Model.load(cpu, dir, WeightPrecision.F32)) {
      int vocab = f32.config().vocabSize();
      List<float[]> refLogits = new ArrayList<>();
      List<int[]> refGreedy = new ArrayList<>();
      for (int[] p : prompts) {
        refLogits.add(logits(f32, p));
        refGreedy.add(greedy(f32, p, tokens));
      }
      for (WeightPrecision precision : frozen) {
        double maxAbs = 0;
        double maxRef = 0;
        double sumAbs = 0;
        double sumRef = 0;
        long values = 0;
        long positions = 0;
        long top1 = 0;
        int agree = 0;
        int total = 0;
        int same = 0;
        try (Qwen2Model m = Qwen2Model.load(cpu, dir, precision)) {
          for (int q = 0; q < prompts.size(); q++) {
            int[] p = prompts.get(q);
            float[] a = refLogits.get(q);
            float[] b = logits(m, p);
            for (int i = 0; i < a.length; i++) {
              double d = Math.abs((double) b[i] - a[i]);
              maxAbs = Math.max(maxAbs, d);
              maxRef = Math.max(maxRef, Math.abs(a[i]));
              sumAbs += d;
              sumRef += Math.abs(a[i]);
            }
            values += a.length;
            for (int t = 0; t < a.length / vocab; t++, positions++) {
              if (argmax(a, t * vocab, vocab) == argmax(b, t * vocab, vocab)) top1++;
            }
            int[] x = refGreedy.get(q);
            int[] y = greedy(m, p, tokens);
            int k = p.length;
            while (k < Math.min(x.length, y.length) && x[k] == y[k]) k++;
            agree += k - p.length;
            total += Math.max(x.length, y.length) - p.length;
            if (Arrays.equals(x, y)) same++;
          }
        }
        System.out.printf(
            "%s, %d questions, %s: logits max |x - f32| %.3e, relative to max |f32| (%.2f) %.3e,"
                + " mean |x - f32| / mean |f32| %.3e over %d values; top-1 token equal at %.2f %%"
                + " of %d positions; greedy (up to %d tokens): %.1f %% of generated tokens come"
                + " before the first difference, %d of %d responses identical%n",
            dir,
            prompts.size(),
            precision,
            maxAbs,
            maxRef,
            maxAbs / maxRef,
            sumAbs / sumRef,
            values,
            100.0 * top1 / Math.max(1, positions),
            positions,
            tokens,
            100.0 * agree / Math.max(1, total),
            same,
            prompts.size());
      }
    }
  }

  private static int argmax(float[] x, int off, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
    return best;
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
