package org.research4j.grpo.eval.baselines;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.research4j.grpo.eval.QaMethod;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;

/**
 * Iter-RetGen (Shao et al. 2023): a fixed number of rounds, each retrieving and then answering from
 * the round's passages alone; round 1 retrieves with the question, round i > 1 with the question
 * followed by round i−1's generated text (its tags and box markup removed, which would only be
 * noise to BM25). The last round's answer counts; every round's retrieval is counted.
 */
public final class IterRetGen implements QaMethod {
  /** The paper's and FlashRAG's default. */
  public static final int DEFAULT_ROUNDS = 3;

  private static final Pattern MARKUP =
      Pattern.compile("</?(think|search|result|answer)>|\\\\boxed\\{|[{}]");

  private final BaselineModel model;
  private final Retriever retriever;
  private final int rounds;

  public IterRetGen(BaselineModel model, Retriever retriever, int rounds) {
    if (rounds < 1)
      throw new IllegalArgumentException("Iter-RetGen: rounds must be >= 1, got " + rounds);
    this.model = model;
    this.retriever = retriever;
    this.rounds = rounds;
  }

  @Override
  public List<Rollout> respond(List<QaExample> questions) {
    List<String> queries = questions.stream().map(QaExample::question).toList();
    List<Rollout> answers = List.of();
    for (int round = 1; round <= rounds; round++) {
      answers = model.answer(questions, queries, retriever.retrieve(queries), round);
      List<String> next = new ArrayList<>(questions.size());
      for (int i = 0; i < questions.size(); i++) {
        next.add(query(questions.get(i).question(), model.generatedText(answers.get(i))));
      }
      queries = next;
    }
    return answers;
  }

  /** The next round's query: the question, then the last generation without its markup. */
  static String query(String question, String generated) {
    String plain = MARKUP.matcher(generated).replaceAll(" ").strip().replaceAll("\\s+", " ");
    return plain.isEmpty() ? question.strip() : question.strip() + " " + plain;
  }
}
