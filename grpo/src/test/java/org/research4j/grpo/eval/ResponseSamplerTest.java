package org.research4j.grpo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.tool.Tool;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The agent sampled at temperature 1 on a tiny random model (seed {@value #SEED}): n different
 * responses per question, the same ones again for the same seed whatever else is asked, other ones
 * for another seed.
 */
class ResponseSamplerTest {
  private static final long SEED = 5;
  private static final int MAX_NEW = 10;
  private static final QaExample KESTO =
      new QaExample("q0", "What is the capital of Kesto?", List.of("Varemo"), Map.of());
  private static final QaExample ORU =
      new QaExample("q1", "Who founded Oru?", List.of("Tolan"), Map.of());

  private static Tokenizer tok;
  private static Qwen2Model model;
  private static RolloutEngine engine;

  /** A tool that answers every query with the same passage. */
  private static final Tool TOOL =
      new Tool() {
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
          return inputs.stream().map(q -> "Varemo is the capital").toList();
        }
      };

  @BeforeAll
  static void setUp() {
    tok =
        BpeTrainer.research(320)
            .train(
                List.of(
                    "What is the capital of Kesto? Who founded Oru?",
                    "<|im_start|>system user <|im_end|> assistant <answer> \\boxed{Varemo}"));
    int eot = tok.idOf("<|im_end|>");
    // wider-initialised than Hugging Face's 0.02 so that temperature-1 draws differ visibly
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
    engine = new RolloutEngine(model, tok, TOOL, Set.of(eot));
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  private static List<String> texts(long seed, QaExample q, int n) {
    List<Rollout> out =
        ResponseSampler.agent(engine, MAX_NEW, 2, PromptTemplate.bare(), tok, seed).sample(q, n);
    assertEquals(n, out.size());
    for (Rollout r : out)
      assertEquals(PromptTemplate.bare().render(q.question()), tok.decode(r.prompt()));
    return out.stream().map(Rollout::text).toList();
  }

  @Test
  void drawsAreReproducibleAndDependOnlyOnTheSeedAndTheQuestion() {
    List<String> first = texts(SEED, KESTO, 6);
    assertTrue(new HashSet<>(first).size() > 1, "temperature 1 draws differ: " + first);
    texts(SEED, ORU, 6);
    assertEquals(first, texts(SEED, KESTO, 6), "same seed, same question: same draws");
    assertNotEquals(first, texts(SEED + 1, KESTO, 6), "another seed: other draws");
  }
}
