package org.research4j.grpo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.ResponseFormat;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.tool.Tool;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Parameter;
import org.research4j.tensor.Tape;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.Sampler;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Getting signal out of GRPO: the question order (the plain recipe's, resumable), dynamic sampling
 * on scripted reward patterns, the pass-rate filter, the zero-variance log lines, and log-probs of
 * the temperature-scaled distribution the rollouts were drawn from.
 */
class GrpoTrainerSignalTest {
  private static final Kernels CPU = new CpuKernels();
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  private static final Tokenizer TOK =
      BpeTrainer.research(300)
          .train(
              List.of(
                  "What is the capital of Kesto? Where is Varemo? who founded Dredrais in 1812",
                  "<|im_start|>user <|im_end|> assistant <search> </search> <result> </result>"));
  private static final int EOT = TOK.idOf("<|im_end|>");
  private static final Qwen2Config CONFIG =
      Qwen2Config.of(TOK.vocabSize(), 32, 64, 2, 2, 1, 128).withTokenIds(null, List.of(EOT));
  private static final ResponseFormat.Verdict NO_FORMAT = ResponseFormat.check("", false);

  private static final class FixedTool implements Tool {
    public String callOpen() {
      return "<search>";
    }

    public String callClose() {
      return "</search>";
    }

    public String resultOpen() {
      return "<result>";
    }

    public String resultClose() {
      return "</result>";
    }

    public List<String> call(List<String> inputs) {
      return inputs.stream().map(q -> " Varemo ").toList();
    }
  }

  private static GrpoTrainer trainer(GrpoConfig c, Path dir, Reward reward, PrintStream log) {
    return new GrpoTrainer(
        CPU,
        c,
        dir,
        TOK,
        new FixedTool(),
        PromptTemplate.bare(),
        Set.of(EOT),
        reward,
        CheckpointWriter.Options.defaults(),
        0,
        TrainingListener.printing(log));
  }

  private static List<QaExample> questions(int n) {
    List<QaExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new QaExample("q" + i, "Where is Varemo " + i + "?", List.of("Kesto"), Map.of()));
    }
    return out;
  }

  /** A small, fast run: G = 2, 4 response tokens, β = 0, μ = 1. */
  private static GrpoConfig small(int steps, int questions) {
    return GrpoConfig.paper()
        .withSteps(steps)
        .withBatch(questions, 2)
        .withOptimizer(1e-2f, 0, 0f, 1f)
        .withObjective(0f, 0.2f, 0.2f, LossType.TOKEN_MEAN, true, 1)
        .withRollout(1.0, 4, 1, 16)
        .withRun(3, 1, 0);
  }

  /**
   * Scripted rewards: the {@code k}-th group the trainer scores (counted from 0 across steps and
   * rounds) is flat (reward 0.25 everywhere) where {@code flat[k]}, else its rollouts get 0, 1, 0,
   * ... Groups past the script are flat. The trainer scores a group's G rollouts in a row.
   */
  private static Reward scripted(int g, boolean... flat) {
    AtomicInteger calls = new AtomicInteger();
    return (r, golden) -> {
      int c = calls.getAndIncrement();
      int group = c / g;
      boolean isFlat = group >= flat.length || flat[group];
      return new ReSearchReward.Score(isFlat ? 0.25 : c % 2, 0, 0, NO_FORMAT);
    };
  }

  @Test
  void thePlainOrderIsConsecutiveSlicesOfSeededPasses() {
    // What GrpoTrainer always drew: positions (s-1)q .. sq-1 of passes permuted by seed*7919+pass.
    int n = 7, q = 3;
    long seed = 42;
    QuestionStream s = new QuestionStream(n, seed, false);
    for (int step = 1; step <= 6; step++) {
      QuestionStream.Draw d = s.draw(q);
      assertEquals(0, d.skipped());
      for (int j = 0; j < q; j++) {
        long i = (long) (step - 1) * q + j;
        int[] perm = permutation(n, seed * 7_919L + i / n);
        assertEquals(perm[(int) (i % n)], d.indices().get(j), "step " + step + " slot " + j);
      }
    }
    assertEquals(18, s.cursor());
    // Each pass is a permutation: the first n draws hold every question once.
    Set<Integer> firstPass = new HashSet<>(new QuestionStream(n, seed, false).draw(n).indices());
    assertEquals(n, firstPass.size());
  }

  @Test
  void aRestoredStreamContinuesTheDrawsAndThePassRecords() {
    QuestionStream a = new QuestionStream(5, 9, true);
    List<Integer> first = a.draw(4).indices();
    a.record(first.get(0), 2, 2); // all passed: skipped next time
    a.record(first.get(1), 1, 2);
    ObjectNode state = new ObjectMapper().createObjectNode();
    a.save(state);
    assertEquals(4, state.get("question_cursor").asLong());
    assertEquals(2, state.get("pass_records").size());

    QuestionStream b = new QuestionStream(5, 9, true);
    assertTrue(b.restore(state, 0));
    assertEquals(0.5, b.passRate(first.get(1)), 0);
    assertEquals(Double.NaN, b.passRate(first.get(2)));
    for (int i = 0; i < 4; i++) {
      QuestionStream.Draw da = a.draw(3);
      QuestionStream.Draw db = b.draw(3);
      assertEquals(da.indices(), db.indices(), "draw " + i);
      assertEquals(da.skipped(), db.skipped(), "draw " + i);
    }
    assertFalse(new QuestionStream(6, 9, true).restore(state, 0), "another training set size");
    // An old checkpoint without a cursor resumes where the plain order was.
    QuestionStream old = new QuestionStream(5, 9, false);
    old.restore(new ObjectMapper().createObjectNode(), 6);
    assertEquals(6, old.cursor());
  }

  @Test
  void thePassRateFilterSkipsAMasteredQuestionOncePerPass() {
    int n = 4;
    QuestionStream s = new QuestionStream(n, 5, true);
    QuestionStream plain = new QuestionStream(n, 5, false);
    List<Integer> order = plain.draw(5 * n).indices(); // passes 0..4
    List<Integer> d0 = s.draw(n).indices();
    assertEquals(order.subList(0, n), d0);
    s.record(d0.get(0), 3, 3); // mastered
    s.record(d0.get(1), 2, 3);
    s.record(d0.get(2), 0, 3);
    s.record(d0.get(3), 3, 3); // mastered
    QuestionStream.Draw d1 = s.draw(n);
    assertEquals(2, d1.skipped(), "the two mastered questions are skipped in pass 1");
    List<Integer> want = new ArrayList<>();
    for (int idx : order.subList(n, 2 * n)) if (idx != d0.get(0) && idx != d0.get(3)) want.add(idx);
    want.addAll(order.subList(2 * n, 2 * n + 2));
    assertEquals(want, d1.indices());
    // Skipping cleared the marks: pass 2's remainder and pass 3 come whole.
    QuestionStream.Draw d2 = s.draw(n + 2);
    assertEquals(0, d2.skipped());
    assertEquals(order.subList(2 * n + 2, 4 * n), d2.indices());
  }

  @Test
  void dynamicSamplingDropsFlatGroupsAndDrawsWhatIsMissing(@TempDir Path dir) throws IOException {
    // q = 4. Step 1: round 0 scores groups 0-3 (V V V F): 3 kept of 4 seen, so round 1 draws
    // ceil(1 * 4/3) = 2 questions, groups 4-5 (F V): the 4th group with variance. Step 2: every
    // group flat; each round draws 4, three rounds (the cap), nothing trained, no update.
    GrpoConfig c = small(2, 4).withDynamicSampling(true).withMaxNumGenBatches(3);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(out, true, StandardCharsets.UTF_8);
    Reward reward = scripted(2, false, false, false, true, true, false);
    trainer(c, dir, reward, log)
        .run(() -> Qwen2Model.random(CPU, CONFIG, 11), questions(5), List.of())
        .model()
        .close();
    List<JsonNode> lines = lines(dir.resolve("metrics.jsonl"));
    assertEquals(2, lines.size());
    JsonNode s1 = lines.get(0);
    assertEquals(6, s1.get("groups_seen").asInt());
    assertEquals(2, s1.get("flat_groups_seen").asInt());
    assertEquals(2, s1.get("groups_dropped").asInt());
    assertEquals(1, s1.get("extra_rollout_rounds").asInt());
    assertEquals(4, s1.get("groups_trained").asInt());
    assertEquals(2.0 / 6, s1.get("flat_groups").asDouble(), 1e-12);
    assertEquals(
        (4 * 0.25 + 8 * 0.5) / 12,
        s1.get("reward").asDouble(),
        1e-12,
        "reward averages every rollout of the step, dropped ones included");
    assertTrue(s1.get("grad_norm").asDouble() > 0, "step 1 trains on 4 groups with variance");
    JsonNode s2 = lines.get(1);
    assertEquals(12, s2.get("groups_seen").asInt());
    assertEquals(12, s2.get("flat_groups_seen").asInt());
    assertEquals(12, s2.get("groups_dropped").asInt());
    assertEquals(2, s2.get("extra_rollout_rounds").asInt());
    assertEquals(0, s2.get("groups_trained").asInt());
    assertEquals(0, s2.get("grad_norm").asDouble(), 0);
    assertEquals(18, state(dir, 2).get("question_cursor").asLong(), "6 + 12 questions drawn");
    assertEquals(4, state(dir, 2).get("groups_with_variance").asLong());
    String text = out.toString(StandardCharsets.UTF_8);
    assertFalse(text.contains("step 1: every group"), text);
    assertTrue(
        text.contains(
            "step 2: every group had equal rewards (12 groups in 3 rollout rounds);"
                + " no gradient this step, update skipped"),
        text);
    assertFalse(text.contains("every group of every step"), text);
    // The skipped update left the weights as they were after step 1, exactly.
    try (Qwen2Model w1 = Qwen2Model.load(CPU, dir.resolve("checkpoints/step-00000001/model"));
        Qwen2Model w2 = Qwen2Model.load(CPU, dir.resolve("checkpoints/step-00000002/model"))) {
      List<Parameter> a = w1.parameters().list();
      List<Parameter> b = w2.parameters().list();
      for (int i = 0; i < a.size(); i++) {
        assertArrayEquals(a.get(i).toFloatArray(), b.get(i).toFloatArray(), 0f, a.get(i).name());
      }
    }
  }

  @Test
  void thePlainRecipeTrainsFlatGroupsAndSaysSo(@TempDir Path dir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(out, true, StandardCharsets.UTF_8);
    trainer(small(2, 3), dir, scripted(2), log)
        .run(() -> Qwen2Model.random(CPU, CONFIG, 11), questions(5), List.of())
        .model()
        .close();
    for (JsonNode l : lines(dir.resolve("metrics.jsonl"))) {
      assertEquals(3, l.get("groups_seen").asInt());
      assertEquals(3, l.get("flat_groups_seen").asInt());
      assertEquals(0, l.get("groups_dropped").asInt());
      assertEquals(0, l.get("extra_rollout_rounds").asInt());
      assertEquals(3, l.get("groups_trained").asInt());
      assertEquals(1.0, l.get("flat_groups").asDouble(), 0);
      assertEquals(0, l.get("questions_skipped").asInt());
      assertEquals(0, l.get("pass_rate").asDouble(), 0);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    for (int step = 1; step <= 2; step++) {
      assertTrue(
          text.contains(
              "step "
                  + step
                  + ": every group had equal rewards (3 groups); no"
                  + " policy-gradient signal this step"),
          text);
    }
    assertTrue(text.contains("steps 1-2: every group of every step had equal rewards"), text);
    assertEquals(6, state(dir, 2).get("question_cursor").asLong());
  }

  @Test
  void thePassRateFilterInTheTrainer(@TempDir Path dir) throws IOException {
    // Every rollout passes (F1 1), so each question drawn is mastered. 4 questions, 2 a step:
    // steps 1-2 read pass 0; step 3 skips all of pass 1 (clearing the marks) and reads 2 of pass
    // 2; step 4 the rest of pass 2; step 5 skips pass 3 whole again.
    Reward solved = (r, golden) -> new ReSearchReward.Score(1, 1, 1, NO_FORMAT);
    GrpoConfig c = small(5, 2).withPassRateFilter(true);
    trainer(c, dir, solved, QUIET)
        .run(() -> Qwen2Model.random(CPU, CONFIG, 11), questions(4), List.of())
        .model()
        .close();
    List<JsonNode> lines = lines(dir.resolve("metrics.jsonl"));
    int[] skipped = new int[5];
    for (int i = 0; i < 5; i++) {
      skipped[i] = lines.get(i).get("questions_skipped").asInt();
      assertEquals(1.0, lines.get(i).get("pass_rate").asDouble(), 0);
    }
    assertArrayEquals(new int[] {0, 0, 4, 0, 4}, skipped);
    JsonNode st = state(dir, 5);
    assertEquals(2 + 2 + 6 + 2 + 6, st.get("question_cursor").asLong());
    assertEquals(4, st.get("pass_records").size());
    for (JsonNode r : st.get("pass_records")) {
      assertEquals(2, r.get(2).asInt(), "passed 2 of 2");
      assertEquals(2, r.get(3).asInt());
    }
  }

  @Test
  void aResumedRunWithDynamicSamplingAndTheFilterIsTheUninterruptedOne(@TempDir Path dir)
      throws IOException {
    // Rewards 0/1 by the majority of even token ids (often flat in groups of 3), passing at 1.
    Reward majority =
        (r, golden) -> {
          int even = 0, n = 0;
          for (int i = 0; i < r.response().length; i++) {
            if (!r.trained()[i]) continue;
            n++;
            even += r.response()[i] % 2 == 0 ? 1 : 0;
          }
          double v = 2 * even > n ? 1 : 0;
          return new ReSearchReward.Score(v, v, v, NO_FORMAT);
        };
    GrpoConfig c =
        GrpoConfig.paper()
            .withSteps(4)
            .withBatch(2, 3)
            .withOptimizer(3e-3f, 0, 0f, 1f)
            .withObjective(0f, 0.2f, 0.2f, LossType.TOKEN_MEAN, true, 1)
            .withRollout(1.0, 5, 1, 8)
            .withRun(5, 1, 0)
            .withDynamicSampling(true)
            .withMaxNumGenBatches(3)
            .withPassRateFilter(true);
    List<QaExample> train = questions(5);
    trainer(c, dir.resolve("a"), majority, QUIET)
        .run(() -> Qwen2Model.random(CPU, CONFIG, 13), train, List.of())
        .model()
        .close();
    trainer(c, dir.resolve("b"), majority, QUIET)
        .runUntil(2, () -> Qwen2Model.random(CPU, CONFIG, 13), train, List.of())
        .model()
        .close();
    GrpoTrainer.Result resumed =
        trainer(c, dir.resolve("b"), majority, QUIET)
            .run(() -> Qwen2Model.random(CPU, CONFIG, 13), train, List.of());
    resumed.model().close();
    assertEquals(2, resumed.resumedFrom());
    List<JsonNode> a = lines(dir.resolve("a/metrics.jsonl"));
    List<JsonNode> b = lines(dir.resolve("b/metrics.jsonl"));
    assertEquals(4, b.size());
    int dropped = 0;
    for (int i = 0; i < 4; i++) {
      for (String key :
          List.of(
              "groups_seen",
              "flat_groups_seen",
              "groups_dropped",
              "extra_rollout_rounds",
              "groups_trained",
              "questions_skipped")) {
        assertEquals(
            a.get(i).get(key).asInt(), b.get(i).get(key).asInt(), key + " at step " + (i + 1));
      }
      for (String key : List.of("reward", "pass_rate", "loss", "grad_norm")) {
        double want = a.get(i).get(key).asDouble();
        assertEquals(want, b.get(i).get(key).asDouble(), 1e-4 * Math.abs(want) + 1e-9, key);
      }
      dropped += a.get(i).get("groups_dropped").asInt();
    }
    assertTrue(dropped > 0, "the pattern drops some groups, so the resume covers dynamic draws");
    JsonNode sa = state(dir.resolve("a"), 4);
    JsonNode sb = state(dir.resolve("b"), 4);
    assertEquals(sa.get("question_cursor").asLong(), sb.get("question_cursor").asLong());
    assertEquals(sa.get("pass_records"), sb.get("pass_records"));
  }

  @Test
  void logProbsAreOfTheTemperatureScaledDistribution() {
    double temperature = 2;
    GrpoConfig c = GrpoConfig.paper().withBatch(2, 2).withRollout(temperature, 6, 1, 4);
    try (Qwen2Model model = Qwen2Model.random(CPU, CONFIG, 21);
        Tape tape = new Tape(CPU)) {
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        prompts.add(TOK.encode(PromptTemplate.bare().render("Where is Varemo " + (i / 2) + "?")));
      }
      List<Rollout> rollouts =
          new RolloutEngine(model, TOK, new FixedTool(), Set.of(EOT))
              .run(
                  prompts,
                  new RolloutEngine.Config(6, 1, SamplingConfig.sampling(temperature, 77)));
      double[] zeros = new double[4];
      double[] ones = new double[4];
      Arrays.fill(ones, 1);
      PolicyBatch b = PolicyBatch.of(rollouts, zeros, ones, 0);
      float[] got;
      float[] atOne;
      try (var ignored = tape.noGrad()) {
        got = new PolicyUpdate(c, 0).logProbs(tape, model, b).toFloatArray();
      }
      tape.reset();
      try (var ignored = tape.noGrad()) {
        atOne =
            new PolicyUpdate(c.withRollout(1.0, 6, 1, 4), 0)
                .logProbs(tape, model, b)
                .toFloatArray();
      }
      // Independently: whole sequences one at a time, log softmax(logits / T) in double, and the
      // sampler's own probability of the token at T.
      Sampler sampler = new Sampler(SamplingConfig.sampling(temperature, 0));
      int v = CONFIG.vocabSize();
      int k = 0;
      double differs = 0;
      for (Rollout r : rollouts) {
        int p = r.prompt().length;
        int len = p + r.response().length;
        int[] ids = new int[len];
        System.arraycopy(r.prompt(), 0, ids, 0, p);
        System.arraycopy(r.response(), 0, ids, p, r.response().length);
        tape.reset();
        float[] logits;
        try (var ignored = tape.noGrad()) {
          Ops ops = tape.ops();
          logits = model.logits(ops, tape.ints(ids, 1, len)).toFloatArray();
        }
        for (int i = 0; i < r.response().length; i++) {
          if (!r.trained()[i]) continue;
          float[] row = Arrays.copyOfRange(logits, (p + i - 1) * v, (p + i) * v);
          double max = Double.NEGATIVE_INFINITY;
          for (float x : row) max = Math.max(max, x / temperature);
          double z = 0;
          for (float x : row) z += Math.exp(x / temperature - max);
          double want = row[r.response()[i]] / temperature - max - Math.log(z);
          assertEquals(want, got[k], 1e-5, "token " + k);
          assertEquals(
              Math.log(sampler.distribution(row)[r.response()[i]]),
              got[k],
              1e-5,
              "the sampler's probability of token " + k);
          differs = Math.max(differs, Math.abs(atOne[k] - got[k]));
          k++;
        }
      }
      assertEquals(b.tokens(), k);
      assertTrue(k > 4, "some sampled tokens to check, got " + k);
      assertTrue(differs > 1e-3, "temperature 2 changes the log-probs: " + differs);
    }
  }

  private static JsonNode state(Path dir, int step) throws IOException {
    return new ObjectMapper()
        .readTree(
            dir.resolve(String.format("checkpoints/step-%08d/trainer_state.json", step)).toFile());
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) if (!l.isBlank()) out.add(json.readTree(l));
    return out;
  }
}
