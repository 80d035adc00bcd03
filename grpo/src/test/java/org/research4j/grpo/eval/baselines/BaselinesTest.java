package org.research4j.grpo.eval.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.eval.QaMethod;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The baselines' control flow on a tiny random model (seed {@value #SEED}), greedy: what each
 * method retrieves with, where the passages land in the token sequence, what is marked as drawn by
 * the model, and that a batch generates exactly what each question generates alone.
 */
class BaselinesTest {
  private static final long SEED = 11;
  private static final int MAX_NEW = 12;
  private static final List<QaExample> QUESTIONS =
      List.of(
          new QaExample("q0", "What is the capital of Kesto?", List.of("Varemo"), Map.of()),
          new QaExample(
              "q1", "Who founded the city of Oru in the north?", List.of("Tolan"), Map.of()),
          new QaExample("q2", "Where?", List.of("Kesto"), Map.of()));

  private static Tokenizer tok;
  private static Qwen2Model model;
  private static int eot;

  @BeforeAll
  static void setUp() {
    tok =
        BpeTrainer.research(360)
            .train(
                List.of(
                    "What is the capital of Kesto? Who founded the city of Oru in the north? Where?",
                    "passage of the corpus another passage Doc Answer the question using the documents below",
                    "<|im_start|>system user <|im_end|> assistant"));
    eot = tok.idOf("<|im_end|>");
    // untied and wider-initialised than Hugging Face's 0.02, so that greedy decoding does not just
    // repeat the last token (a tied random model's argmax is its input) and the texts vary
    Qwen2Config cfg =
        new Qwen2Config(
            tok.vocabSize(),
            32,
            64,
            2,
            2,
            1,
            16,
            1024,
            1e6,
            1e-6,
            false,
            null,
            List.of(eot),
            "float32",
            0.3);
    model = Qwen2Model.random(new CpuKernels(), cfg, SEED);
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  private static BaselineModel baseline(PromptStyle style) {
    return new BaselineModel(
        model, tok, Set.of(eot), style, new BaselineModel.Config(MAX_NEW, SamplingConfig.greedy()));
  }

  private static int drawn(Rollout r) {
    int n = 0;
    for (boolean t : r.trained()) n += t ? 1 : 0;
    return n;
  }

  /**
   * The response is {@code prefill} (inserted) followed by what the model drew (at most MAX_NEW).
   */
  private static void assertPrefilled(String prefill, Rollout r) {
    int[] p = tok.encode(prefill);
    for (int i = 0; i < p.length; i++) {
      assertEquals(p[i], r.response()[i], "prefill token " + i + " (seed " + SEED + ")");
      assertFalse(r.trained()[i], "prefill token " + i + " is inserted, not drawn");
    }
    for (int i = p.length; i < r.response().length; i++)
      assertTrue(r.trained()[i], "drawn token " + i);
    assertTrue(r.finished() || drawn(r) == MAX_NEW, "stops at EOS or at the token limit");
    assertTrue(r.text().startsWith(prefill), r.text());
  }

  private static String passages(ScriptedRetriever r, String query) {
    return SearchTool.format(r.retrieve(List.of(query)).getFirst());
  }

  @Test
  void naiveGenerationNeverRetrievesAndOpensTheAnswer() {
    ScriptedRetriever retriever = new ScriptedRetriever(Map.of());
    List<Rollout> out = new NaiveGeneration(baseline(PromptStyle.tags())).respond(QUESTIONS);
    assertEquals(3, out.size());
    for (int i = 0; i < 3; i++) {
      Rollout r = out.get(i);
      assertEquals(
          PromptTemplate.bare().render(QUESTIONS.get(i).question()), tok.decode(r.prompt()));
      assertPrefilled("<answer>", r);
      assertEquals(0, r.toolCalls());
    }
    assertEquals(List.of(), retriever.queries);
  }

  @Test
  void naiveRagRetrievesWithTheQuestionAndPrefillsThePassages() {
    ScriptedRetriever retriever = new ScriptedRetriever(Map.of());
    List<Rollout> out = new NaiveRag(baseline(PromptStyle.tags()), retriever).respond(QUESTIONS);
    assertEquals(QUESTIONS.stream().map(QaExample::question).toList(), retriever.queries);
    for (int i = 0; i < 3; i++) {
      String q = QUESTIONS.get(i).question();
      assertPrefilled(
          "<search>" + q + "</search><result>" + passages(retriever, q) + "</result><answer>",
          out.get(i));
      assertEquals(1, out.get(i).toolCalls());
    }
  }

  @Test
  void instructedNaiveRagPutsThePassagesInTheSystemTurn() {
    ScriptedRetriever retriever = new ScriptedRetriever(Map.of());
    List<Rollout> out =
        new NaiveRag(baseline(PromptStyle.instructed(ChatTemplate.chatml(null))), retriever)
            .respond(QUESTIONS.subList(0, 1));
    String q = QUESTIONS.getFirst().question();
    String expected =
        "<|im_start|>system\n"
            + PromptStyle.ANSWER_FROM_DOCUMENTS
            + passages(retriever, q).stripTrailing()
            + "<|im_end|>\n<|im_start|>user\n"
            + q
            + "<|im_end|>\n<|im_start|>assistant\n";
    Rollout r = out.getFirst();
    assertEquals(expected, tok.decode(r.prompt()));
    assertEquals(r.response().length, drawn(r), "the whole response is the model's");
    assertTrue(r.finished() || drawn(r) == MAX_NEW);
  }

  @Test
  void iterRetGenQueriesTheQuestionThenTheQuestionAndTheLastAnswer() {
    BaselineModel m = baseline(PromptStyle.tags());
    ScriptedRetriever retriever = new ScriptedRetriever(Map.of());
    List<Rollout> out = new IterRetGen(m, retriever, 3).respond(QUESTIONS);
    assertEquals(9, retriever.queries.size(), "three rounds of three queries");
    // round 1 is Naive RAG: same context, so the same greedy generation
    List<Rollout> round1 = new NaiveRag(m, new ScriptedRetriever(Map.of())).respond(QUESTIONS);
    for (int i = 0; i < 3; i++) {
      String q = QUESTIONS.get(i).question();
      assertEquals(q, retriever.queries.get(i));
      assertEquals(
          IterRetGen.query(q, m.generatedText(round1.get(i))), retriever.queries.get(3 + i));
      assertTrue(
          retriever.queries.get(3 + i).startsWith(q + " "),
          "round 2 adds round 1's generation: " + retriever.queries.get(3 + i));
      String third = retriever.queries.get(6 + i);
      assertPrefilled(
          "<search>"
              + third
              + "</search><result>"
              + passages(retriever, third)
              + "</result><answer>",
          out.get(i));
      assertEquals(3, out.get(i).toolCalls());
    }
  }

  @Test
  void iterRetGenQueryDropsTheMarkup() {
    assertEquals("Who? Tolan Ressu", IterRetGen.query(" Who? ", "\\boxed{Tolan  Ressu}</answer>"));
    assertEquals(
        "Who? Oru is north Oru",
        IterRetGen.query("Who?", "<think>Oru is north</think><answer>\\boxed{Oru}"));
    assertEquals("Who?", IterRetGen.query("Who?", "</answer>"));
  }

  @Test
  void aBatchGeneratesWhatEachQuestionGeneratesAlone() {
    for (PromptStyle style :
        List.of(PromptStyle.tags(), PromptStyle.instructed(ChatTemplate.chatml(null)))) {
      BaselineModel m = baseline(style);
      Map<String, Function<Retriever, QaMethod>> methods =
          Map.of(
              "naive-gen",
              r -> new NaiveGeneration(m),
              "naive-rag",
              r -> new NaiveRag(m, r),
              "iter-retgen",
              r -> new IterRetGen(m, r, 2),
              "ircot",
              r -> new Ircot(m, r, 2, 5));
      for (Map.Entry<String, Function<Retriever, QaMethod>> e : methods.entrySet()) {
        Function<Retriever, QaMethod> make = e.getValue();
        List<Rollout> batch = make.apply(new ScriptedRetriever(Map.of())).respond(QUESTIONS);
        for (int i = 0; i < QUESTIONS.size(); i++) {
          Rollout alone =
              make.apply(new ScriptedRetriever(Map.of()))
                  .respond(List.of(QUESTIONS.get(i)))
                  .getFirst();
          String what = style.kind() + " " + e.getKey() + " question " + i + " (seed " + SEED + ")";
          assertEquals(alone.text(), batch.get(i).text(), what);
          assertArrayEquals(alone.response(), batch.get(i).response(), what);
          assertEquals(alone.toolCalls(), batch.get(i).toolCalls(), what);
        }
      }
    }
  }

  @Test
  void ircotWithNoStepsIsNaiveRag() {
    BaselineModel m = baseline(PromptStyle.tags());
    List<Rollout> ircot = new Ircot(m, new ScriptedRetriever(Map.of()), 0, 5).respond(QUESTIONS);
    List<Rollout> rag = new NaiveRag(m, new ScriptedRetriever(Map.of())).respond(QUESTIONS);
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(rag.get(i).response(), ircot.get(i).response(), "question " + i);
      assertArrayEquals(rag.get(i).trained(), ircot.get(i).trained(), "question " + i);
    }
  }

  @Test
  void ircotShowsNoMorePassagesThanTheCap() {
    Ircot ircot = new Ircot(baseline(PromptStyle.tags()), new ScriptedRetriever(Map.of()), 1, 1);
    Rollout r = ircot.respond(QUESTIONS.subList(0, 1)).getFirst();
    // the cap of one passage keeps only the first of the question's two passages
    String q = QUESTIONS.getFirst().question();
    String first =
        SearchTool.format(
            new ScriptedRetriever(Map.of()).retrieve(List.of(q)).getFirst().subList(0, 1));
    assertTrue(
        r.text().startsWith("<search>" + q + "</search><result>" + first + "</result>"), r.text());
  }
}
