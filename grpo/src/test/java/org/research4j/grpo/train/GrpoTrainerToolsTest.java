package org.research4j.grpo.train;

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
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Calls per tool in the trainer's metrics and in evaluation summaries: one {@code calls_TOOL} key
 * per registered tool, summing to {@code searches} (the calls of all tools), and per-tool means
 * over outcomes worked out by hand.
 */
class GrpoTrainerToolsTest {
  private static final Tokenizer TOK =
      BpeTrainer.research(300)
          .train(
              List.of(
                  "Where is Varemo? <search> </search> <result> </result>",
                  "<|im_start|>user <|im_end|> assistant"));
  private static final int EOT = TOK.idOf("<|im_end|>");
  private static final CpuKernels CPU = new CpuKernels();

  private static Tool tool(String call, String result) {
    return new Tool() {
      public String callOpen() {
        return "<" + call + ">";
      }

      public String callClose() {
        return "</" + call + ">";
      }

      public String resultOpen() {
        return "<" + result + ">";
      }

      public String resultClose() {
        return "</" + result + ">";
      }

      public List<String> call(List<String> inputs) {
        return inputs.stream().map(q -> " Varemo ").toList();
      }
    };
  }

  @Test
  void everyStepLogsTheCallsOfEachTool(@TempDir Path dir) throws IOException {
    Tools tools = Tools.of(tool("search", "result"), tool("upper", "output"));
    GrpoConfig c =
        GrpoConfig.paper()
            .withSteps(3)
            .withBatch(4, 4)
            .withOptimizer(1e-3f, 0, 0f, 1f)
            .withObjective(0f, 0.2f, 0.2f, LossType.TOKEN_MEAN, true, 1)
            .withRollout(1.5, 24, 4, 16)
            .withRun(7, 100, 0);
    List<QaExample> train = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      train.add(new QaExample("q" + i, "Where is Varemo " + i + "?", List.of("Kesto"), Map.of()));
    }
    Qwen2Config cfg =
        Qwen2Config.of(TOK.vocabSize(), 32, 64, 2, 2, 1, 128).withTokenIds(null, List.of(EOT));
    GrpoTrainer trainer =
        new GrpoTrainer(
            CPU,
            c,
            dir,
            TOK,
            tools,
            PromptTemplate.bare(),
            Set.of(EOT),
            Reward.research(0.1, FormatRule.of(tools)),
            CheckpointWriter.Options.defaults(),
            0,
            TrainingListener.NONE);
    try (Qwen2Model m =
        trainer.run(() -> Qwen2Model.random(CPU, cfg, 3), train, List.of()).model()) {
      ObjectMapper json = new ObjectMapper();
      List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
      assertEquals(3, lines.size());
      double searchCalls = 0;
      for (String l : lines) {
        JsonNode n = json.readTree(l);
        assertTrue(n.has("calls_search") && n.has("calls_upper"), l);
        assertEquals(
            n.get("searches").asDouble(),
            n.get("calls_search").asDouble() + n.get("calls_upper").asDouble(),
            1e-12,
            l);
        searchCalls += n.get("calls_search").asDouble();
      }
      // </search> is one token of this tokenizer: a random policy at temperature 1.5 draws it.
      assertTrue(searchCalls > 0, "no search call in 3 steps of 16 rollouts of 24 tokens");
    }
  }

  @Test
  void summariesAverageTheCallsOfEachTool() {
    QaExample q = new QaExample("q", "Q?", List.of("a"), Map.of());
    ReSearchReward.Score s = ReSearchReward.score("", false, List.of("a"));
    List<Evaluation.Outcome> outcomes =
        List.of(
            new Evaluation.Outcome(q, rollout(3, Map.of("search", 2, "code", 1)), s),
            new Evaluation.Outcome(q, rollout(1, Map.of("search", 0, "code", 1)), s),
            new Evaluation.Outcome(q, rollout(0, Map.of("search", 0, "code", 0)), s),
            new Evaluation.Outcome(q, rollout(4, Map.of("search", 4, "code", 0)), s));
    Evaluation.Summary sum = Evaluation.summary(outcomes);
    assertEquals(2.0, sum.searches(), 1e-12);
    assertEquals(1.5, sum.callsByTool().get("search"), 1e-12);
    assertEquals(0.5, sum.callsByTool().get("code"), 1e-12);
  }

  private static Rollout rollout(int calls, Map<String, Integer> byTool) {
    return new Rollout(new int[] {1}, new int[0], new boolean[0], "", false, calls, byTool);
  }
}
