package org.research4j.transformer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.kernels.opencl.ClTestDevice;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.GradClip;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Parameter;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.model.PyTorchReferenceTest.Comparison;

/**
 * The whole model on OpenCL against the same model on the Java CPU kernels: a training step
 * (forward, cross-entropy, backward, gradient clipping, AdamW; two steps) and KV-cache generation.
 * Both devices build the model from the same seed ({@link ReferenceCheckpoints#build}: random gains
 * and biases too) and get the same batch, which has right padding, ignored prompt targets and
 * ignored padding targets.
 *
 * <p>Each tensor's error is {@code max|opencl - cpu| / max(max|cpu|, 1e-30)} ({@link
 * PyTorchReferenceTest#compare}). Tolerances: {@value #LOGITS_TOLERANCE} for the loss, the logits
 * and the gradient norm, {@value #GRADIENT_TOLERANCE} for every gradient (long sums in another
 * order), {@value #PARAMETER_TOLERANCE} for every parameter after the steps. A failure names the
 * worst tensor; the worst error of each quantity is printed either way.
 *
 * <p>Runs on the OpenCL device {@link ClTestDevice} opens (PoCL in CI). Without an OpenCL runtime
 * the test fails, with what to install; {@code -Dresearch4j.opencl.optional=true} turns that into a
 * skip.
 */
class OpenClTrainingStepTest {
  static final double LOGITS_TOLERANCE = 1e-5;
  static final double GRADIENT_TOLERANCE = 1e-4;
  static final double PARAMETER_TOLERANCE = 1e-5;
  static final long SEED = 20250611L;
  static final int B = 2;
  static final int T = 16;

  /** Real tokens of each sequence; the rest is right padding. */
  static final int[] LENGTHS = {16, 11};

  /** Leading positions of each sequence whose target is ignored, as a prompt's are. */
  static final int[] PROMPT = {0, 4};

  static final int STEPS = 2;

  /**
   * PyTorch's AdamW defaults except {@code eps}: with 1e-8, a weight whose (clipped) gradient lies
   * within a few eps of zero moves by {@code lr * g / (|g| + eps)}, which turns the last bits of a
   * 1e-7 gradient into a visible difference (measured: 1.7e-4 relative on a weight matrix while
   * every gradient agreed to 2.4e-5). With eps 1e-3 the step stays well conditioned and still
   * exercises moments, bias corrections, decay and the clipping scale.
   */
  static final AdamW.Config ADAMW = new AdamW.Config(1e-2f, 0.9f, 0.999f, 1e-3f, 0.01f);

  /** Low enough that both steps clip (checked), so the clipping path is what is compared. */
  static final double MAX_GRAD_NORM = 0.5;

  private static Kernels cpu;
  private static Kernels cl;

  @BeforeAll
  static void devices() {
    cl = ClTestDevice.kernels();
    cpu = new CpuKernels();
  }

  @AfterAll
  static void release() {
    if (cpu != null) cpu.close();
  }

  static Qwen2Config config(boolean tied) {
    return ReferenceCheckpoints.config(96, 64, 96, 4, 2, 16, tied);
  }

  @ParameterizedTest(name = "tied={0}")
  @ValueSource(booleans = {false, true})
  void trainingStepsMatchCpu(boolean tied) {
    List<Map<String, float[]>> want = train(cpu, config(tied));
    List<Map<String, float[]>> got = train(cl, config(tied));
    String what = (tied ? "tied" : "untied") + " (seed " + SEED + ")";
    for (int s = 0; s < STEPS; s++) {
      float norm = want.get(s).get("global norm")[0];
      assertTrue(
          norm > MAX_GRAD_NORM,
          what
              + ": step "
              + s
              + " gradient norm "
              + norm
              + " must exceed "
              + MAX_GRAD_NORM
              + " so that clipping is exercised");
    }
    assertAllClose(
        what,
        want,
        got,
        Map.of(
            "loss",
            LOGITS_TOLERANCE,
            "logits",
            LOGITS_TOLERANCE,
            "global norm",
            LOGITS_TOLERANCE,
            "gradient",
            GRADIENT_TOLERANCE,
            "parameter",
            PARAMETER_TOLERANCE));
  }

  /**
   * Two training steps on {@code kernels}; per step, what was computed: {@code loss}, {@code
   * logits}, {@code global norm} (of the gradients), {@code gradient <name>} of every parameter
   * before clipping and {@code parameter <name>} after the update. Step 0 folds the clipping
   * coefficient into AdamW (as the trainers do); step 1 scales the gradients in place ({@link
   * GradClip#clipGlobalNorm}).
   */
  static List<Map<String, float[]>> train(Kernels kernels, Qwen2Config config) {
    int[] ids = new int[B * T];
    int[] targets = new int[B * T];
    batch(config.vocabSize(), ids, targets);
    List<Map<String, float[]>> steps = new ArrayList<>();
    try (Qwen2Model model =
            ReferenceCheckpoints.build(
                kernels, new ReferenceCheckpoints.Spec("step", config, SEED));
        Tape tape = new Tape(kernels);
        AdamW opt = new AdamW(model.parameters(), ADAMW)) {
      for (int step = 0; step < STEPS; step++) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tape.reset();
        model.parameters().zeroGrad();
        Ops ops = tape.ops();
        Tensor logits = model.logits(ops, tape.ints(ids, B, T));
        Tensor loss = ops.crossEntropyMean(logits, tape.ints(targets, B * T), Ops.IGNORE_INDEX);
        tape.backward(loss);
        out.put("loss", new float[] {loss.item()});
        out.put("logits", logits.toFloatArray());
        for (Parameter p : model.parameters()) {
          out.put("gradient " + p.name(), p.gradToFloatArray());
        }
        double norm;
        if (step == 0) {
          norm = GradClip.globalNorm(model.parameters());
          opt.step(opt.config().lr(), GradClip.coefficient(norm, MAX_GRAD_NORM));
        } else {
          norm = GradClip.clipGlobalNorm(model.parameters(), MAX_GRAD_NORM);
          opt.step();
        }
        out.put("global norm", new float[] {(float) norm});
        for (Parameter p : model.parameters()) out.put("parameter " + p.name(), p.toFloatArray());
        steps.add(out);
      }
    }
    return steps;
  }

  /**
   * Random tokens; each position's target is the next token, except past a sequence's end (right
   * padding, token 0), at its last real token and over its prompt, where it is ignored.
   */
  static void batch(int vocab, int[] ids, int[] targets) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int s = 0; s < B; s++) {
      for (int t = 0; t < T; t++) ids[s * T + t] = t < LENGTHS[s] ? rnd.nextInt(1, vocab) : 0;
      for (int t = 0; t < T; t++) {
        boolean learned = t >= PROMPT[s] && t + 1 < LENGTHS[s];
        targets[s * T + t] = learned ? ids[s * T + t + 1] : Ops.IGNORE_INDEX;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Generation.

  static final int NEW_TOKENS = 8;

  /** Two prompts of different lengths; the chunk of 4 splits both over several prefill steps. */
  static final List<int[]> PROMPTS =
      List.of(new int[] {5, 17, 33, 2, 90}, new int[] {7, 1, 64, 49, 12, 3, 45, 8, 70, 21, 11});

  static final int CHUNK = 4;
  static final Function<int[], String> NO_TEXT = ids -> "";

  /**
   * Greedy draws per sequence; the logits of every draw ({@code draw ...}) and every row of two
   * direct {@link Qwen2Model#logitsCached} calls ({@code rows ...}).
   */
  record Decoded(int[][] tokens, Map<String, float[]> logits) {}

  /**
   * Greedy decoding of {@value #NEW_TOKENS} tokens after each of two prompts gives the same tokens
   * on both devices, and every draw's logits are within {@value #LOGITS_TOLERANCE}; so are all rows
   * of a padded prefill through {@link Qwen2Model#logitsCached} and of the decode step after it.
   * The CPU's margin between the best and second-best logit of every draw must exceed 100 times the
   * difference the tolerance allows, so that equal tokens follow from equal logits rather than from
   * luck.
   */
  @Test
  void greedyGenerationWithTheCacheMatchesCpu() {
    Decoded want = decode(cpu);
    Decoded got = decode(cl);
    String what = "generation (seed " + SEED + ")";
    double margin = Double.POSITIVE_INFINITY;
    double allowed = 0;
    for (Map.Entry<String, float[]> e : want.logits.entrySet()) {
      if (!e.getKey().startsWith("draw ")) continue;
      margin = Math.min(margin, topTwoMargin(e.getValue()));
      for (float v : e.getValue()) allowed = Math.max(allowed, LOGITS_TOLERANCE * Math.abs(v));
    }
    System.out.printf(
        "%s: smallest top-two logit margin of a draw %.3g, tolerance allows %.3g%n",
        what, margin, allowed);
    assertTrue(
        margin > 100 * allowed,
        what
            + ": the CPU's top-two logit margin "
            + margin
            + " is too close to the tolerated difference "
            + allowed
            + "; pick another seed");
    for (int s = 0; s < PROMPTS.size(); s++) {
      assertArrayEquals(want.tokens[s], got.tokens[s], what + ": tokens of sequence " + s);
    }
    assertAllClose(
        what,
        List.of(want.logits),
        List.of(got.logits),
        Map.of("draw", LOGITS_TOLERANCE, "rows", LOGITS_TOLERANCE));
  }

  static Decoded decode(Kernels kernels) {
    Map<String, float[]> logits = new LinkedHashMap<>();
    int[][] tokens = new int[PROMPTS.size()][];
    try (Qwen2Model model =
        ReferenceCheckpoints.build(
            kernels, new ReferenceCheckpoints.Spec("generation", config(false), SEED))) {
      try (Session session =
          new Generator(model, NO_TEXT, CHUNK).start(PROMPTS, SamplingConfig.greedy(), 32)) {
        session.observeLogits(
            (seq, pos, row) -> logits.put("draw of sequence " + seq + " at " + pos, row.clone()));
        session.run(NEW_TOKENS);
        for (int s = 0; s < tokens.length; s++) tokens[s] = session.tokens(s);
      }
      assertEquals(PROMPTS.size() * NEW_TOKENS, logits.size(), "draws observed");

      // Both prompts in one right-padded prefill, then one token each at their own positions (the
      // shorter prompt's overwrites its padding in the cache).
      int[] a = PROMPTS.get(0);
      int[] b = PROMPTS.get(1);
      int[] prefill = new int[2 * b.length];
      System.arraycopy(a, 0, prefill, 0, a.length);
      System.arraycopy(b, 0, prefill, b.length, b.length);
      int[] next = {tokens[0][a.length], tokens[1][b.length]};
      try (KvCache cache = model.newCache(2, 32);
          Tape tape = new Tape(kernels)) {
        logits.put(
            "rows of the prefill",
            model
                .logitsCached(
                    tape.ops(),
                    tape.ints(prefill, 2, b.length),
                    new int[] {0, 0},
                    cache,
                    range(2 * b.length))
                .toFloatArray());
        logits.put(
            "rows of the decode step",
            model
                .logitsCached(
                    tape.ops(),
                    tape.ints(next, 2, 1),
                    new int[] {a.length, b.length},
                    cache,
                    range(2))
                .toFloatArray());
      }
    }
    return new Decoded(tokens, logits);
  }

  static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  static double topTwoMargin(float[] row) {
    float best = Float.NEGATIVE_INFINITY;
    float second = Float.NEGATIVE_INFINITY;
    for (float v : row) {
      if (v > best) {
        second = best;
        best = v;
      } else if (v > second) {
        second = v;
      }
    }
    return best - second;
  }

  // ---------------------------------------------------------------------------------------------
  // Comparing.

  /**
   * Compares, for each quantity of {@code tolerances}, its tensors (keys equal to the quantity or
   * starting with it and a space) in every step; prints each quantity's worst tensor and fails
   * naming every quantity whose worst exceeds its tolerance.
   */
  static void assertAllClose(
      String what,
      List<Map<String, float[]>> want,
      List<Map<String, float[]>> got,
      Map<String, Double> tolerances) {
    List<String> failures = new ArrayList<>();
    for (String quantity : tolerances.keySet().stream().sorted().toList()) {
      double tolerance = tolerances.get(quantity);
      String worstName = null;
      double worst = -1;
      for (int s = 0; s < want.size(); s++) {
        assertEquals(want.get(s).keySet(), got.get(s).keySet(), what + ": names");
        for (Map.Entry<String, float[]> e : want.get(s).entrySet()) {
          if (!e.getKey().equals(quantity) && !e.getKey().startsWith(quantity + " ")) continue;
          Comparison c =
              PyTorchReferenceTest.compare(e.getKey(), got.get(s).get(e.getKey()), e.getValue());
          if (c.error() > worst) {
            worst = c.error();
            worstName = e.getKey() + (want.size() > 1 ? " in step " + s : "");
          }
        }
      }
      assertTrue(worstName != null, what + ": nothing recorded for " + quantity);
      String line =
          String.format(
              "%s: worst %.3e, %s (tolerance %.0e)", quantity, worst, worstName, tolerance);
      System.out.println("opencl vs cpu, " + what + ", " + line);
      if (!(worst <= tolerance)) failures.add(line);
    }
    if (!failures.isEmpty()) {
      fail(
          what
              + ": OpenCL differs from the CPU (max|opencl - cpu| / max|cpu| per tensor) in "
              + String.join("; ", failures));
    }
  }
}
