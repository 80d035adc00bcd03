package org.research4j.grpo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.ResponseFormat;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.tool.Tool;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Parameter;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.model.WeightPrecision;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The GRPO trainer on a tiny model: its first update's gradient against the REINFORCE gradient
 * computed another way, that it learns a reward it can reach, and that a resumed run is the
 * uninterrupted one.
 */
class GrpoTrainerTest {
  private static final Kernels CPU = new CpuKernels();
  private static final TrainingListener QUIET = TrainingListener.NONE;
  private static final Tokenizer TOK =
      BpeTrainer.research(300)
          .train(
              List.of(
                  "What is the capital of Kesto? Where is Varemo? who founded Dredrais in 1812",
                  "<|im_start|>user <|im_end|> assistant <search> </search> <result> </result>"));
  private static final int EOT = TOK.idOf("<|im_end|>");
  private static final Qwen2Config CONFIG =
      Qwen2Config.of(TOK.vocabSize(), 32, 64, 2, 2, 1, 128).withTokenIds(null, List.of(EOT));

  /** Answers every search with a fixed passage. */
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

  /** The fraction of a response's trained tokens whose id is even: reachable from any policy. */
  private static final Reward EVEN_TOKENS =
      (r, golden) -> {
        int even = 0, n = 0;
        for (int i = 0; i < r.response().length; i++) {
          if (!r.trained()[i]) continue;
          n++;
          even += r.response()[i] % 2 == 0 ? 1 : 0;
        }
        double v = n == 0 ? 0 : (double) even / n;
        return new ReSearchReward.Score(v, 0, 0, ResponseFormat.check(r.text(), r.finished()));
      };

  private static GrpoTrainer trainer(GrpoConfig c, Path dir, Reward reward) {
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
        QUIET);
  }

  private static List<QaExample> questions(int n) {
    List<QaExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new QaExample("q" + i, "Where is Varemo " + i + "?", List.of("Kesto"), Map.of()));
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(LossType.class)
  void firstUpdateIsTheReinforceGradient(LossType lossType) {
    // At the first update the policy is the sampler and the reference (ratio 1, KL 0), so the
    // GRPO gradient is that of -Σ_t w_t·A_t·log p(token t): computed here on whole sequences with
    // ignore-masked targets, one sequence at a time, instead of the trainer's picked rows packed
    // into micro-batches of 2.
    long seed = 20251122L;
    Random rnd = new Random(seed);
    int g = 3;
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < 2 * g; i++) {
      int[] prompt = TOK.encode(PromptTemplate.bare().render("Where is Varemo " + (i / g) + "?"));
      int len = 3 + rnd.nextInt(9);
      int[] resp = new int[len];
      boolean[] trained = new boolean[len];
      for (int t = 0; t < len; t++) {
        resp[t] = rnd.nextInt(TOK.vocabSize());
        trained[t] = t < 2 || t >= len - 2 || rnd.nextInt(3) > 0; // inner spans play tool results
      }
      rollouts.add(new Rollout(prompt, resp, trained, "", true, 0));
    }
    double[] rewards = {1, 0.1, 0, 0.5, 0.2, 0.2};
    GrpoConfig c =
        GrpoConfig.paper()
            .withBatch(2, g)
            .withObjective(0.04f, 0.2f, 0.2f, lossType, true, 1)
            .withRollout(1.0, 16, 2, 2);
    double[] adv = Advantages.grouped(rewards, g, true);
    int total = 0;
    for (Rollout r : rollouts) total += PolicyBatch.trainedTokens(r);

    try (Qwen2Model policy = Qwen2Model.random(CPU, CONFIG, 7);
        Qwen2Model reference = Qwen2Model.random(CPU, CONFIG, 7);
        Qwen2Model twin = Qwen2Model.random(CPU, CONFIG, 7);
        Tape tape = new Tape(CPU);
        AdamW opt = new AdamW(policy.parameters(), AdamW.Config.of(1e-3f))) {
      PolicyUpdate.Result u =
          trainer(c, null, Reward.RESEARCH)
              .update(1, policy, reference, tape, opt, rollouts, rewards);

      double expectedLoss = 0;
      Tape t2 = new Tape(CPU);
      for (int s = 0; s < rollouts.size(); s++) {
        Rollout r = rollouts.get(s);
        int p = r.prompt().length;
        int len = p + r.response().length;
        int[] ids = new int[len];
        System.arraycopy(r.prompt(), 0, ids, 0, p);
        System.arraycopy(r.response(), 0, ids, p, r.response().length);
        int[] targets = new int[len];
        float[] coef = new float[len];
        java.util.Arrays.fill(targets, Ops.IGNORE_INDEX);
        double w = lossType.weight(PolicyBatch.trainedTokens(r), total, rollouts.size(), 16);
        for (int i = 0; i < r.response().length; i++) {
          if (!r.trained()[i]) continue;
          targets[p + i - 1] = r.response()[i];
          coef[p + i - 1] = (float) (-adv[s] * w);
          expectedLoss += -adv[s] * w;
        }
        t2.reset();
        Ops ops = t2.ops();
        Tensor logp =
            ops.tokenLogProbs(
                twin.logits(ops, t2.ints(ids, 1, len)), t2.ints(targets, len), Ops.IGNORE_INDEX);
        t2.backward(ops.sum(ops.mul(logp, t2.tensor(coef, len))));
      }
      t2.close();
      assertEquals(expectedLoss, u.loss(), 1e-6, "loss at ratio 1 and KL 0 is -Σ w·A");
      assertEquals(0, u.kl(), 1e-7, "the policy is its own reference at the first update");
      assertEquals(0, u.clipFraction(), 0);
      double worst = 0;
      double scale = 0;
      for (Parameter q : twin.parameters()) {
        for (float v : q.gradToFloatArray()) scale = Math.max(scale, Math.abs(v));
      }
      for (Parameter q : twin.parameters()) {
        float[] want = q.gradToFloatArray();
        float[] got = policy.parameters().get(q.name()).gradToFloatArray();
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
      }
      assertTrue(scale > 0, "the reference gradient is not zero");
      assertTrue(
          worst <= 2e-5 * scale,
          "worst gradient difference "
              + worst
              + " vs largest gradient "
              + scale
              + " (seed "
              + seed
              + ")");
    }
  }

  @Test
  void learnsARewardItCanReach(@TempDir Path dir) throws IOException {
    // A random policy writes even token ids half the time; GRPO must push that well above 0.5.
    GrpoConfig c =
        GrpoConfig.paper()
            .withSteps(30)
            .withBatch(4, 4)
            .withOptimizer(1e-2f, 0, 0f, 1f)
            .withObjective(0f, 0.2f, 0.2f, LossType.TOKEN_MEAN, true, 1)
            .withRollout(1.0, 6, 1, 16)
            .withRun(3, 100, 0);
    GrpoTrainer.Result r;
    try (Qwen2Model m =
        trainer(c, dir, EVEN_TOKENS)
            .run(() -> Qwen2Model.random(CPU, CONFIG, 11), questions(8), List.of())
            .model()) {
      List<JsonNode> lines = lines(dir.resolve("metrics.jsonl"));
      assertEquals(30, lines.size());
      double early = 0, late = 0;
      for (int i = 0; i < 5; i++) {
        early += lines.get(i).get("reward").asDouble() / 5;
        late += lines.get(lines.size() - 1 - i).get("reward").asDouble() / 5;
      }
      assertTrue(early < 0.7, "a random policy starts near 0.5, got " + early);
      assertTrue(
          late > early + 0.2, "reward of the first 5 steps " + early + ", of the last 5 " + late);
    }
  }

  @Test
  void aResumedRunIsTheUninterruptedOne(@TempDir Path dir) throws IOException {
    GrpoConfig c =
        GrpoConfig.paper()
            .withSteps(3)
            .withBatch(2, 3)
            .withOptimizer(3e-3f, 1, 0.01f, 1f)
            .withObjective(0.01f, 0.2f, 0.28f, LossType.TOKEN_MEAN, true, 2)
            .withRollout(1.0, 8, 1, 4)
            .withRun(5, 1, 0);
    List<QaExample> train = questions(5);
    float[][] straight;
    try (Qwen2Model m =
        trainer(c, dir.resolve("a"), EVEN_TOKENS)
            .run(() -> Qwen2Model.random(CPU, CONFIG, 13), train, List.of())
            .model()) {
      straight = weights(m);
    }
    trainer(c, dir.resolve("b"), EVEN_TOKENS)
        .runUntil(2, () -> Qwen2Model.random(CPU, CONFIG, 13), train, List.of())
        .model()
        .close();
    GrpoTrainer.Result resumed =
        trainer(c, dir.resolve("b"), EVEN_TOKENS)
            .run(() -> Qwen2Model.random(CPU, CONFIG, 13), train, List.of());
    assertEquals(2, resumed.resumedFrom());
    float[][] after = weights(resumed.model());
    resumed.model().close();
    // Equal up to float rounding, not bit for bit: under load, runs were seen to differ by ~1e-6
    // relative. The Vector API leaves the order of a float reduceLanes unspecified, so
    // interpreted and JIT-compiled code may sum lanes differently; the rollouts' decode path leans
    // on such reductions. (The supervised trainer, without generation, resumes bit-exactly.)
    for (int i = 0; i < straight.length; i++) {
      float scale = 0;
      for (float v : straight[i]) scale = Math.max(scale, Math.abs(v));
      assertArrayEquals(straight[i], after[i], 1e-5f * (1 + scale), "parameter " + i);
    }
    List<JsonNode> a = lines(dir.resolve("a/metrics.jsonl"));
    List<JsonNode> b = lines(dir.resolve("b/metrics.jsonl"));
    assertEquals(3, b.size());
    for (String key : List.of("reward", "loss", "kl", "clip_fraction", "grad_norm")) {
      double want = a.get(2).get(key).asDouble();
      assertEquals(want, b.get(2).get(key).asDouble(), 1e-4 * Math.abs(want) + 1e-9, key);
    }
    assertTrue(
        a.get(2).get("kl").asDouble() > 0,
        "μ = 2 and a few steps move the policy off the reference");
  }

  @Test
  void aBf16ReferenceGivesTheRoundingKlOnly(@TempDir Path dir) throws IOException {
    // Step 1 updates the initial policy itself: against a float32 reference its KL is exactly 0;
    // against the same weights rounded to bfloat16 it is the rounding's KL, small but not 0. The
    // rollouts come before the update and do not depend on the reference: same reward.
    GrpoConfig c =
        GrpoConfig.paper()
            .withSteps(1)
            .withBatch(2, 3)
            .withOptimizer(1e-3f, 0, 0f, 1f)
            .withObjective(0.01f, 0.2f, 0.2f, LossType.TOKEN_MEAN, true, 1)
            .withRollout(1.0, 8, 1, 8)
            .withRun(7, 100, 0);
    List<QaExample> train = questions(4);
    trainer(c, dir.resolve("f32"), EVEN_TOKENS)
        .run(() -> Qwen2Model.random(CPU, CONFIG, 17), train, List.of())
        .model()
        .close();
    trainer(c, dir.resolve("bf16"), EVEN_TOKENS)
        .withReference(
            () -> {
              try (Qwen2Model f32 = Qwen2Model.random(CPU, CONFIG, 17)) {
                return Qwen2Model.copyOf(f32, WeightPrecision.BF16);
              }
            })
        .run(() -> Qwen2Model.random(CPU, CONFIG, 17), train, List.of())
        .model()
        .close();
    JsonNode a = lines(dir.resolve("f32/metrics.jsonl")).getFirst();
    JsonNode b = lines(dir.resolve("bf16/metrics.jsonl")).getFirst();
    assertEquals(a.get("reward").asDouble(), b.get("reward").asDouble(), 0.0);
    assertEquals(0.0, a.get("kl").asDouble(), 1e-12);
    double kl = b.get("kl").asDouble();
    assertTrue(kl > 0 && kl < 1e-4, "KL to the bf16-rounded reference: " + kl);
  }

  private static float[][] weights(Qwen2Model m) {
    List<Parameter> ps = m.parameters().list();
    float[][] out = new float[ps.size()][];
    for (int i = 0; i < out.length; i++) out[i] = ps.get(i).toFloatArray();
    return out;
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) if (!l.isBlank()) out.add(json.readTree(l));
    return out;
  }
}
