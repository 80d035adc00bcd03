package org.research4j.grpo.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.judge.JudgeConfig;
import org.research4j.grpo.judge.LlmJudge;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * The judge client against this project's own serve-model (a real server on the tiny random model):
 * each reply must be the model's greedy text for the judge's chat, and each verdict that reply read
 * by {@link LlmJudge#parse}.
 */
class JudgeAgainstServeModelTest {

  @Test
  void verdictsAreTheServedModelsRepliesRead() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    ChatTemplate chat = ChatTemplate.chatml(null);
    try (ModelServer s =
            ModelServer.start(
                m.model(),
                m.tokenizer(),
                Set.of(m.eos()),
                chat,
                PromptTemplate.bare(),
                null,
                ServeConfig.defaults("tiny"));
        LlmJudge judge =
            new LlmJudge(
                JudgeConfig.of(s.url() + "/v1", "tiny", null)
                    .withMaxTokens(6)
                    .withConcurrency(4))) {
      List<LlmJudge.Item> items = new ArrayList<>();
      for (String p : List.of("Varemo", "Dask", "Oru", "Kesto", "yes")) {
        items.add(new LlmJudge.Item("Who founded Kesto?", List.of("Varemo"), p));
      }
      List<LlmJudge.Verdict> verdicts = judge.judge(items);
      int unparseable = 0;
      for (int i = 0; i < items.size(); i++) {
        LlmJudge.Item it = items.get(i);
        String want =
            ServeFixtures.greedy(
                m,
                chat.render(
                    List.of(
                        ChatMessage.system(LlmJudge.SYSTEM),
                        ChatMessage.user(
                            LlmJudge.prompt(it.question(), it.golden(), it.prediction()))),
                    true),
                6);
        assertEquals(want, verdicts.get(i).reply(), "reply " + i);
        assertEquals(LlmJudge.parse(want), verdicts.get(i).kind(), "verdict " + i);
        if (verdicts.get(i).kind() == LlmJudge.Verdict.Kind.UNPARSEABLE) unparseable++;
      }
      assertEquals(unparseable, judge.stats().unparseable());
      assertEquals(0, judge.stats().failed());
      assertEquals(5, judge.stats().requests());
    }
  }
}
