package org.research4j.grpo.eval.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.eval.Scoring;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.run.TrainingListener;
import org.research4j.grpo.sft.SftConfig;
import org.research4j.grpo.sft.SftExample;
import org.research4j.grpo.sft.SftTrainer;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Hit;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * IRCoT in the tag format end to end: a tiny model memorises one IRCoT trace (two thoughts, each
 * followed by the method's search of it, then the forced answer), so greedy IRCoT must query the
 * question and then each thought in order, show a passage seen before only once, open the answer
 * after the last allowed step, and reproduce the trace token for token.
 */
class IrcotTraceTest {
  private static final Kernels CPU = new CpuKernels();
  private static final String Q = "What is the capital of Kesto?";
  private static final Hit KESTO = ScriptedRetriever.hit("k1", "Kesto", "Kesto lies in Oru.");
  private static final Hit ORU = ScriptedRetriever.hit("o1", "Oru", "Oru is a land.");
  private static final Hit CAPITAL =
      ScriptedRetriever.hit("o2", "Varemo", "Varemo is the capital of Oru.");

  private static Map<String, List<Hit>> script() {
    return Map.of(
        Q,
        List.of(KESTO, ORU),
        "Kesto is in Oru",
        List.of(ORU, CAPITAL),
        "Kesto is in Oru.",
        List.of(ORU, CAPITAL),
        "Varemo",
        List.of(CAPITAL, KESTO));
  }

  /** The trace: prompt, then inserted and generated parts tokenised apart, as IRCoT does. */
  private static SftExample trace(Tokenizer tok, int eot) {
    List<Integer> ids = new ArrayList<>();
    List<Boolean> trained = new ArrayList<>();
    Map<int[], Boolean> parts = new LinkedHashMap<>();
    parts.put(tok.encode(PromptTemplate.bare().render(Q)), false);
    parts.put(block(tok, Q, List.of(KESTO, ORU)), false);
    parts.put(tok.encode("<think>Kesto is in Oru</think>"), true);
    parts.put(block(tok, "Kesto is in Oru", List.of(CAPITAL)), false);
    parts.put(tok.encode("<think>Varemo</think>"), true);
    parts.put(block(tok, "Varemo", List.of()), false);
    parts.put(tok.encode("<answer>"), false);
    parts.put(tok.encode("\\boxed{Varemo}</answer>"), true);
    parts.put(new int[] {eot}, true);
    parts.forEach(
        (p, t) -> {
          for (int id : p) {
            ids.add(id);
            trained.add(t);
          }
        });
    int[] a = ids.stream().mapToInt(Integer::intValue).toArray();
    boolean[] m = new boolean[a.length];
    for (int i = 0; i < m.length; i++) m[i] = trained.get(i);
    return new SftExample(a, m);
  }

  private static int[] block(Tokenizer tok, String query, List<Hit> hits) {
    return BaselineModel.concat(
        tok.encode("<search>" + query + "</search>"),
        tok.encode("<result>"),
        tok.encode(SearchTool.format(hits), false),
        tok.encode("</result>"));
  }

  private static Tokenizer tokenizer() {
    return BpeTrainer.research(320)
        .train(
            List.of(
                Q + " Kesto is in Oru Varemo So the answer is",
                "Kesto lies in Oru. Oru is a land. Varemo is the capital of Oru.",
                "<|im_start|>system user <|im_end|> assistant"));
  }

  /**
   * A tiny model (seed 5) trained 150 steps on {@code traces}, until it reproduces them greedily.
   */
  private static Qwen2Model memorise(Tokenizer tok, int eot, List<SftExample> traces, Path dir)
      throws IOException {
    int longest = traces.stream().mapToInt(SftExample::length).max().orElseThrow();
    Qwen2Config cfg =
        Qwen2Config.of(tok.vocabSize(), 48, 96, 2, 2, 1, 1024).withTokenIds(null, List.of(eot));
    SftConfig sft =
        SftConfig.defaults()
            .withSteps(150)
            .withBatch(4, longest)
            .withOptimizer(1e-2f, 10, 0f, 1f)
            .withMinLrFraction(0.1f)
            .withRun(5, 1000, 0);
    SftTrainer trainer =
        new SftTrainer(
            CPU, sft, dir, CheckpointWriter.Options.defaults(), 0, TrainingListener.NONE);
    return trainer.run(() -> Qwen2Model.random(CPU, cfg, 5), traces, List.of()).model();
  }

  @Test
  void memorisedTraceIsReproducedWithQueriesInOrderAndPassagesOnce(@TempDir Path dir)
      throws IOException {
    Tokenizer tok = tokenizer();
    int eot = tok.idOf("<|im_end|>");
    SftExample trace = trace(tok, eot);
    try (Qwen2Model model = memorise(tok, eot, List.of(trace), dir)) {
      BaselineModel m =
          new BaselineModel(
              model,
              tok,
              Set.of(eot),
              PromptStyle.tags(),
              new BaselineModel.Config(40, SamplingConfig.greedy()));
      QaExample q = new QaExample("q0", Q, List.of("Varemo"), Map.of());

      ScriptedRetriever retriever = new ScriptedRetriever(script());
      Rollout r = new Ircot(m, retriever, 2, 5).respond(List.of(q)).getFirst();
      assertEquals(List.of(Q, "Kesto is in Oru", "Varemo"), retriever.queries);
      String expected =
          "<search>"
              + Q
              + "</search><result>\n\"Kesto\"\nKesto lies in Oru.\n\"Oru\"\n"
              + "Oru is a land.\n</result><think>Kesto is in Oru</think><search>Kesto is in Oru</search>"
              + "<result>\n\"Varemo\"\nVaremo is the capital of Oru.\n</result><think>Varemo</think>"
              + "<search>Varemo</search><result>\n</result><answer>\\boxed{Varemo}</answer>";
      assertEquals(expected, r.text());
      assertTrue(r.finished());
      assertEquals(3, r.toolCalls());
      int p = r.prompt().length;
      assertEquals(trace.length() - p, r.response().length);
      for (int i = 0; i < r.response().length; i++) {
        assertEquals(trace.tokens()[p + i], r.response()[i], "token " + i);
        assertEquals(
            trace.trained()[p + i], r.trained()[i], "drawn-or-inserted flag of token " + i);
      }
      assertEquals(1.0, Scoring.STRICT.score(r, q.goldenAnswers()).exactMatch());

      // a cap of two passages: the first thought's search shows nothing new
      ScriptedRetriever capped = new ScriptedRetriever(script());
      Rollout c = new Ircot(m, capped, 2, 2).respond(List.of(q)).getFirst();
      assertEquals(List.of(Q, "Kesto is in Oru"), capped.queries.subList(0, 2));
      assertTrue(
          c.text()
              .startsWith(
                  expected.substring(0, expected.indexOf("<result>\n\"Varemo"))
                      + "<result>\n</result>"),
          c.text());
    }
  }

  /**
   * Instructed IRCoT: the model memorises its first sentence under the question's passages and the
   * answer sentence under the passages grown by the first sentence's retrieval; IRCoT must cut the
   * first step at ". ", retrieve with that sentence, and end at the answer.
   */
  @Test
  void instructedStepsAreSentences(@TempDir Path dir) throws IOException {
    Tokenizer tok = tokenizer();
    int eot = tok.idOf("<|im_end|>");
    PromptStyle style = PromptStyle.instructed(ChatTemplate.chatml(null));
    String first = "Kesto is in Oru.";
    int[] prompt0 =
        tok.encode(style.prompt(Q, PromptStyle.REASON_FROM_DOCUMENTS, List.of(KESTO, ORU)));
    int[] prompt1 =
        tok.encode(
            style.prompt(Q, PromptStyle.REASON_FROM_DOCUMENTS, List.of(KESTO, ORU, CAPITAL)));
    SftExample step0 = example(prompt0, tok.encode(first + " So"), new int[0]);
    SftExample step1 =
        example(
            BaselineModel.concat(prompt1, tok.encode(first)),
            tok.encode(" So the answer is \\boxed{Varemo}."),
            new int[] {eot});
    try (Qwen2Model model = memorise(tok, eot, List.of(step0, step1), dir)) {
      BaselineModel m =
          new BaselineModel(
              model,
              tok,
              Set.of(eot),
              style,
              new BaselineModel.Config(40, SamplingConfig.greedy()));
      ScriptedRetriever retriever = new ScriptedRetriever(script());
      QaExample q = new QaExample("q0", Q, List.of("Varemo"), Map.of());
      Rollout r = new Ircot(m, retriever, 3, 5).respond(List.of(q)).getFirst();
      assertEquals(List.of(Q, first), retriever.queries);
      assertEquals(first + " So the answer is \\boxed{Varemo}.", r.text());
      assertTrue(r.finished());
      assertEquals(2, r.toolCalls());
      assertArrayEquals(prompt1, r.prompt(), "the last prompt shows the three passages");
      assertEquals(1.0, Scoring.LENIENT.score(r, q.goldenAnswers()).exactMatch());
    }
  }

  /** {@code context} untrained, then {@code answer} and {@code end} trained. */
  private static SftExample example(int[] context, int[] answer, int[] end) {
    int[] all = BaselineModel.concat(context, answer, end);
    boolean[] trained = new boolean[all.length];
    Arrays.fill(trained, context.length, all.length, true);
    return new SftExample(all, trained);
  }
}
