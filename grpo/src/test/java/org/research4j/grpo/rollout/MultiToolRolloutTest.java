package org.research4j.grpo.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import it.unimi.dsi.fastutil.booleans.BooleanArrayList;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.grpo.reward.ReSearchReward;
import org.research4j.grpo.reward.ResponseFormat;
import org.research4j.grpo.reward.Reward;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.sft.SftConfig;
import org.research4j.grpo.sft.SftExample;
import org.research4j.grpo.sft.SftTrainer;
import org.research4j.grpo.tool.CodeTool;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Three tools in one rollout: search, the code interpreter and a toy third tool that exists only in
 * this test (it upper-cases its input and answers in a result tag of its own). A tiny model taught
 * one trace that calls all three must, rolled out greedily, stop at each tool's closing tag, have
 * each call served by that tool, get each answer inserted and masked, and finish; the format rule
 * and the reward of the three tools accept the response. Neither the engine nor the reward knows
 * the third tool: it is registered and nothing else.
 */
class MultiToolRolloutTest {
  private static final Kernels CPU = new CpuKernels();

  /** The paper's tool, answering from a fixed passage. */
  private static final class Search implements Tool {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());

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
      calls.addAll(inputs);
      return inputs.stream().map(q -> "\n" + q.strip() + " was founded in 1871\n").toList();
    }
  }

  /** The toy third tool: {@code <upper>text</upper>} → {@code <output>TEXT</output>}. */
  static final class Upper implements Tool {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    public String callOpen() {
      return "<upper>";
    }

    public String callClose() {
      return "</upper>";
    }

    public String resultOpen() {
      return "<output>";
    }

    public String resultClose() {
      return "</output>";
    }

    public List<String> call(List<String> inputs) {
      calls.addAll(inputs);
      return inputs.stream().map(s -> s.strip().toUpperCase(java.util.Locale.ROOT)).toList();
    }
  }

  @Test
  void threeToolsInOneRollout(@TempDir Path dir) throws IOException {
    String model1 = "<think>Kesto</think><search>Kesto</search>";
    String model2 = "<code>console.log(2025 - 1871)</code>";
    String model3 = "<upper>kesto</upper>";
    String model4 = "<answer>\\boxed{154}</answer>";
    String question = "How many years ago was Kesto founded?";
    Tokenizer tok =
        BpeTrainer.research(340)
            .train(
                List.of(
                    question
                        + " "
                        + model1
                        + " Kesto was founded in 1871 "
                        + model2
                        + " 154 "
                        + model3
                        + " KESTO "
                        + model4,
                    "<|im_start|>user <|im_end|> assistant"));
    int eot = tok.idOf("<|im_end|>");
    Search search = new Search();
    Upper upper = new Upper();
    try (CodeTool code = new CodeTool(CodeTool.Limits.defaults().withParallelism(1))) {
      Tools tools = Tools.of(search, code, upper);
      PromptTemplate template = PromptTemplate.bare();
      int[] prompt = tok.encode(template.render(question));

      // The trace, built as the engine builds a rollout: model text trained, tool answers not.
      IntArrayList ids = new IntArrayList(prompt);
      BooleanArrayList trained = new BooleanArrayList(new boolean[prompt.length]);
      String[] said = {model1, model2, model3, model4};
      Tool[] answering = {search, code, upper};
      String[] answers = {"\nKesto was founded in 1871\n", "\n154\n", "KESTO"};
      for (int i = 0; i < said.length; i++) {
        for (int id : tok.encode(said[i])) {
          ids.add(id);
          trained.add(true);
        }
        if (i == answering.length) break;
        Tool t = answering[i];
        for (int[] part :
            new int[][] {
              tok.encode(t.resultOpen()), tok.encode(answers[i], true), tok.encode(t.resultClose())
            }) {
          for (int id : part) {
            ids.add(id);
            trained.add(false);
          }
        }
      }
      ids.add(eot);
      trained.add(true);
      SftExample trace = new SftExample(ids.toIntArray(), trained.toBooleanArray());

      Qwen2Config cfg =
          Qwen2Config.of(tok.vocabSize(), 48, 96, 2, 2, 1, 256).withTokenIds(null, List.of(eot));
      SftConfig sft =
          SftConfig.defaults()
              .withSteps(200)
              .withBatch(4, trace.length())
              .withOptimizer(1e-2f, 10, 0f, 1f)
              .withMinLrFraction(0.1f)
              .withRun(5, 1000, 0);
      SftTrainer trainer =
          new SftTrainer(
              CPU, sft, dir, CheckpointWriter.Options.defaults(), 0, TrainingListener.NONE);
      try (Qwen2Model model =
          trainer.run(() -> Qwen2Model.random(CPU, cfg, 5), List.of(trace), List.of()).model()) {
        RolloutEngine engine = new RolloutEngine(model, tok, tools, Set.of(eot));
        Rollout r =
            engine
                .run(List.of(prompt), new RolloutEngine.Config(160, 5, SamplingConfig.greedy()))
                .getFirst();

        assertEquals(List.of("Kesto"), search.calls, "search gets the text between its tags");
        assertEquals(
            List.of("kesto"), upper.calls, "the third tool gets the text between its tags");
        String expected =
            model1
                + "<result>\nKesto was founded in 1871\n</result>"
                + model2
                + "<result>\n154\n</result>"
                + model3
                + "<output>KESTO</output>"
                + model4;
        assertEquals(expected, r.text(), "the code tool ran the program: 2025 - 1871 = 154");
        assertTrue(r.finished());
        assertEquals(3, r.toolCalls());
        assertEquals(Map.of("search", 1, "code", 1, "upper", 1), r.callsByTool());
        assertEquals(
            List.of("search", "code", "upper"),
            List.copyOf(r.callsByTool().keySet()),
            "calls by tool in registration order");
        int p = prompt.length;
        assertEquals(trace.length() - p, r.response().length);
        for (int i = 0; i < r.response().length; i++) {
          assertEquals(trace.tokens()[p + i], r.response()[i], "token " + i);
          assertEquals(trace.trained()[p + i], r.trained()[i], "mask of token " + i);
        }

        FormatRule rule = FormatRule.of(tools);
        ResponseFormat.Verdict v = rule.check(r.text(), r.finished());
        assertTrue(v.wellFormed(), v.problem());
        assertEquals(Map.of("search", 1, "code", 1, "upper", 1), v.calls());
        ReSearchReward.Score s = Reward.research(0.1, rule).score(r, List.of("154"));
        assertEquals(1.0, s.reward(), 0.0);
        // The paper's rule does not know <code> or <upper>: their text sits outside any tag.
        ResponseFormat.Verdict paper = ResponseFormat.check(r.text(), r.finished());
        assertFalse(paper.wellFormed());
        assertEquals("text outside a tag before <result>", paper.problem());

        // With a listener and per-sequence sampling: every tool's result is told, the turns add up
        // to the response, and a sequence its listener cancels halts, unfinished, mid-rollout.
        List<List<String>> told = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<String>> inputs = List.of(new ArrayList<>(), new ArrayList<>());
        int[] results = new int[2];
        RolloutEngine.Listener listener =
            new RolloutEngine.Listener() {
              @Override
              public void generated(int seq, String text) {
                told.get(seq).add(text);
              }

              @Override
              public void toolResult(int seq, String input, String inserted) {
                told.get(seq).add(inserted);
                inputs.get(seq).add(input);
                results[seq]++;
              }

              @Override
              public boolean cancelled(int seq) {
                return seq == 1 && results[1] >= 2; // gone once the code tool has answered it
              }
            };
        search.calls.clear();
        upper.calls.clear();
        List<Rollout> both =
            engine.run(
                List.of(prompt, prompt),
                List.of(SamplingConfig.greedy(), SamplingConfig.greedy().withSeed(7)),
                new RolloutEngine.Config(160, 5, SamplingConfig.greedy()),
                listener);
        Rollout whole = both.get(0);
        assertEquals(expected, whole.text());
        assertTrue(whole.finished());
        assertEquals(
            List.of("Kesto", "console.log(2025 - 1871)", "kesto"),
            inputs.get(0),
            "each tool's call is told with its input");
        assertEquals(
            List.of(
                "<result>\nKesto was founded in 1871\n</result>",
                "<result>\n154\n</result>",
                "<output>KESTO</output>"),
            told.get(0).stream()
                .filter(t -> t.startsWith("<result>") || t.startsWith("<output>"))
                .toList(),
            "each tool's result is told with its own tags");
        assertEquals(expected, String.join("", told.get(0)), "the told turns make the response");

        Rollout cut = both.get(1);
        assertFalse(cut.finished(), "a cancelled sequence ends unfinished");
        assertEquals(Map.of("search", 1, "code", 1, "upper", 0), cut.callsByTool());
        assertTrue(
            cut.text()
                .startsWith(
                    model1
                        + "<result>\nKesto was founded in 1871\n</result>"
                        + model2
                        + "<result>\n154\n</result>"),
            cut.text());
        assertTrue(cut.text().length() < expected.length(), "halted before its third call");
        assertEquals(List.of("kesto"), upper.calls, "only the uncancelled sequence calls upper");
      }
    }
  }
}
