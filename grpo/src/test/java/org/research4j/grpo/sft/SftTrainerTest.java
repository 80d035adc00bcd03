package org.research4j.grpo.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Parameter;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;

/** The supervised trainer: masks, learning, and a killed run resuming to the same weights. */
class SftTrainerTest {
  private static final Kernels CPU = new CpuKernels();
  private static final TrainingListener QUIET = TrainingListener.NONE;
  private static final Qwen2Config TINY = Qwen2Config.of(64, 32, 64, 2, 2, 1, 64);

  private static List<SftExample> data(long seed) {
    Random rnd = new Random(seed);
    List<SftExample> out = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      // a learnable rule: each token is the previous plus 1 (mod 60); the first 3 are a "prompt"
      int[] ids = new int[10 + rnd.nextInt(8)];
      ids[0] = rnd.nextInt(60);
      for (int t = 1; t < ids.length; t++) ids[t] = (ids[t - 1] + 1) % 60;
      boolean[] trained = new boolean[ids.length];
      for (int t = 3; t < ids.length; t++) trained[t] = true;
      out.add(new SftExample(ids, trained));
    }
    return out;
  }

  private static SftConfig config(int steps) {
    return SftConfig.defaults()
        .withSteps(steps)
        .withBatch(4, 16)
        .withOptimizer(1e-2f, 2, 0.1f, 1.0f)
        .withMinLrFraction(0.1f)
        .withRun(7, 3, 0);
  }

  private static float[] weights(Qwen2Model m) {
    List<Float> all = new ArrayList<>();
    for (Parameter p : m.parameters()) for (float f : p.toFloatArray()) all.add(f);
    float[] out = new float[all.size()];
    for (int i = 0; i < out.length; i++) out[i] = all.get(i);
    return out;
  }

  @Test
  void batchesTrainOnlyMaskedTokensAndPadToTheRight() {
    SftExample e = new SftExample(new int[] {5, 6, 7, 8}, new boolean[] {false, false, true, true});
    Batch b = Batch.of(List.of(e), 6, 0);
    assertArrayEquals(new int[] {5, 6, 7, 0, 0, 0}, b.ids());
    int ig = Ops.IGNORE_INDEX;
    assertArrayEquals(new int[] {ig, 7, 8, ig, ig, ig}, b.targets());
    assertEquals(2, b.trainedTokens());
  }

  @Test
  void packingFillsWindowsWithSeparatedDocuments() {
    List<SftExample> w = SftExample.packed(List.of(new int[] {1, 2}, new int[] {3, 4, 5}), 9, 4);
    assertEquals(2, w.size());
    assertArrayEquals(new int[] {9, 1, 2, 9}, w.get(0).tokens());
    assertArrayEquals(new int[] {3, 4, 5}, w.get(1).tokens());
    assertArrayEquals(new boolean[] {true, true, true}, w.get(1).trained());
  }

  @Test
  void learningRateWarmsUpThenDecaysByCosine() {
    SftConfig c =
        SftConfig.defaults()
            .withSteps(12)
            .withBatch(1, 2)
            .withOptimizer(1f, 2, 0f, 1f)
            .withMinLrFraction(0.1f)
            .withRun(0, 1, 0);
    assertEquals(0.5f, c.learningRateAt(1), 1e-7);
    assertEquals(1f, c.learningRateAt(2), 1e-7);
    // halfway through the 10 decay steps: 0.1 + 0.9 * 0.5 * (1 + cos(pi/2)) = 0.55
    assertEquals(0.55f, c.learningRateAt(7), 1e-6);
    assertEquals(0.1f, c.learningRateAt(12), 1e-6);
  }

  @Test
  void lossFallsOnALearnableRule(@TempDir Path dir) throws IOException {
    SftTrainer t =
        new SftTrainer(CPU, config(60), dir, CheckpointWriter.Options.defaults(), 0, QUIET);
    SftTrainer.Result r = t.run(() -> Qwen2Model.random(CPU, TINY, 1), data(1), data(2));
    try (Qwen2Model m = r.model()) {
      // ln(64) = 4.16 at chance; the +1 rule is fully predictable from the previous token.
      assertTrue(r.devLossBefore() > 3.5, "untrained dev loss " + r.devLossBefore());
      assertTrue(r.devLossAfter() < 1.0, "dev loss after 60 steps " + r.devLossAfter());
    }
    assertEquals(60, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
  }

  /**
   * A run stopped after step 5 (between two periodic checkpoints, saved at the stop) and restarted
   * ends where one that never stopped ends: within 1e-4 per weight, because the two runs share a
   * JVM whose JIT compiles the kernels' reductions between them (a vector reduction and its
   * interpreted form may round the last bit differently), and AdamW's m/sqrt(v) magnifies that last
   * bit in weights whose gradients are near zero: up to 1.5e-5 seen in one run of two. A resume
   * that lost the optimiser's moments or a step is off by about the learning rate (1e-2, 1e-3 at
   * the end of its cosine).
   */
  @Test
  void killedRunResumesToTheSameWeights(@TempDir Path a, @TempDir Path b) throws IOException {
    float[] straight;
    try (Qwen2Model m =
        new SftTrainer(CPU, config(9), a, CheckpointWriter.Options.defaults(), 0, QUIET)
            .run(() -> Qwen2Model.random(CPU, TINY, 3), data(3), List.of())
            .model()) {
      straight = weights(m);
    }
    new SftTrainer(CPU, config(9), b, CheckpointWriter.Options.defaults(), 0, QUIET)
        .runUntil(5, () -> Qwen2Model.random(CPU, TINY, 3), data(3), List.of())
        .model()
        .close();
    // a save that died half-way leaves a partial directory, which must be ignored
    Files.createDirectories(b.resolve("checkpoints/.partial-step-9-x/model"));
    SftTrainer.Result resumed =
        new SftTrainer(CPU, config(9), b, CheckpointWriter.Options.defaults(), 0, QUIET)
            .run(
                () -> {
                  throw new AssertionError("must resume, not start fresh");
                },
                data(3),
                List.of());
    try (Qwen2Model m = resumed.model()) {
      assertEquals(5, resumed.resumedFrom());
      assertArrayEquals(straight, weights(m), 1e-4f);
    }
    assertEquals(9, Files.readAllLines(b.resolve("metrics.jsonl")).size());
  }
}
