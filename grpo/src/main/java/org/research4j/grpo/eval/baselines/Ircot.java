package org.research4j.grpo.eval.baselines;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.research4j.grpo.eval.QaMethod;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Hit;
import org.research4j.transformer.generate.StopReason;

/**
 * IRCoT (Trivedi et al. 2023): retrieve with the question, then reason one step at a time, and
 * after each step retrieve with that step's text; passages already shown are not shown again, and
 * no more are added once {@code maxPassages} have been shown. It ends when the model answers, or
 * after {@code maxSteps} retrievals past the first, when the model is made to answer.
 *
 * <p>Tags: a step is a {@code <think>…</think>} (the method then writes {@code
 * <search>thought</search><result>new passages</result>}) or a {@code <search>…</search>} the model
 * wrote itself (its text is the step; the method writes the result); after the last step the method
 * opens {@code <answer>}. Instructed: a step is a sentence (up to ". " or ".\n"), the passages
 * shown so far are in the system turn and the sentences so far open the assistant turn; a sentence
 * holding a {@code \boxed{}} or "answer is" is the answer; the last step is generated with no
 * sentence stop. Each step is a fresh batched generation from the whole context (the instructed
 * prompt changes with every retrieval; the tag format is fed the same way for one code path).
 */
public final class Ircot implements QaMethod {
  public static final int DEFAULT_MAX_STEPS = 5;
  public static final int DEFAULT_MAX_PASSAGES = 15;

  private static final List<String> TAG_STEPS =
      List.of(PromptStyle.THINK_CLOSE, PromptStyle.SEARCH_CLOSE);
  private static final List<String> SENTENCE_ENDS = List.of(". ", ".\n");
  private static final Pattern ANSWER = Pattern.compile("(?i)\\\\boxed\\{|answer is");
  private static final Pattern TAG = Pattern.compile("</?(think|search|result|answer)>");

  private final BaselineModel model;
  private final Retriever retriever;
  private final int maxSteps;
  private final int maxPassages;

  public Ircot(BaselineModel model, Retriever retriever, int maxSteps, int maxPassages) {
    if (maxSteps < 0 || maxPassages < 1) {
      throw new IllegalArgumentException(
          "IRCoT: need maxSteps >= 0 and maxPassages >= 1, got "
              + maxSteps
              + " and "
              + maxPassages);
    }
    this.model = model;
    this.retriever = retriever;
    this.maxSteps = maxSteps;
    this.maxPassages = maxPassages;
  }

  /** One question's state between steps. */
  private final class State {
    final String question;
    final List<Hit> shown = new ArrayList<>();
    final Set<String> seen = new HashSet<>();
    final BaselineModel.Response response = model.newResponse();
    final StringBuilder sentences = new StringBuilder();
    int[] prompt;
    int drawn;
    int retrievals;
    boolean done;
    boolean finished;

    /**
     * The step text to retrieve with after this step, and whether the model wrote its search tags.
     */
    String query;

    boolean ownSearch;

    State(String question) {
      this.question = question;
    }

    /** Adds the passages not seen before, up to the cap; returns those added. */
    List<Hit> add(List<Hit> hits) {
      List<Hit> added = new ArrayList<>();
      for (Hit h : hits) {
        String key = h.id() == null || h.id().isEmpty() ? h.contents() : h.id();
        if (shown.size() < maxPassages && seen.add(key)) {
          shown.add(h);
          added.add(h);
        }
      }
      return added;
    }
  }

  @Override
  public List<Rollout> respond(List<QaExample> questions) {
    List<State> states = new ArrayList<>(questions.size());
    for (QaExample q : questions) states.add(new State(q.question()));
    List<List<Hit>> first =
        retriever.retrieve(questions.stream().map(QaExample::question).toList());
    boolean tags = model.style().isTags();
    for (int i = 0; i < states.size(); i++) {
      State s = states.get(i);
      List<Hit> added = s.add(first.get(i));
      s.retrievals = 1;
      if (tags) {
        s.prompt = model.encode(model.style().prompt(s.question, null, null));
        s.response.insert(model.searchBlock(s.question, added));
      }
    }
    for (int step = 0; ; step++) {
      boolean last = step == maxSteps;
      if (last && tags) {
        for (State s : states)
          if (!s.done) s.response.insert(model.encode(PromptStyle.ANSWER_OPEN));
      }
      List<State> active = new ArrayList<>();
      for (State s : states) {
        if (!s.done && s.drawn >= model.maxNewTokens()) s.done = true;
        if (!s.done) active.add(s);
      }
      if (active.isEmpty()) break;
      generateStep(active, last);
      List<State> retrieving = new ArrayList<>();
      for (State s : active) if (!s.done) retrieving.add(s);
      if (retrieving.isEmpty()) continue;
      List<List<Hit>> hits = retriever.retrieve(retrieving.stream().map(s -> s.query).toList());
      for (int i = 0; i < retrieving.size(); i++) {
        State s = retrieving.get(i);
        List<Hit> added = s.add(hits.get(i));
        s.retrievals++;
        if (tags)
          s.response.insert(
              s.ownSearch ? model.resultBlock(added) : model.searchBlock(s.query, added));
      }
    }
    List<Rollout> out = new ArrayList<>(states.size());
    for (State s : states) {
      if (!tags) {
        s.prompt =
            model.encode(
                model.style().prompt(s.question, PromptStyle.REASON_FROM_DOCUMENTS, s.shown));
        s.response.generate(model.encode(s.sentences.toString()));
      }
      out.add(s.response.rollout(s.prompt, s.finished, s.retrievals));
    }
    return out;
  }

  /** One step for every active question; marks those that ended and sets the others' queries. */
  private void generateStep(List<State> active, boolean last) {
    boolean tags = model.style().isTags();
    List<int[]> contexts = new ArrayList<>(active.size());
    int[] limits = new int[active.size()];
    for (int i = 0; i < active.size(); i++) {
      State s = active.get(i);
      contexts.add(
          tags
              ? BaselineModel.concat(s.prompt, s.response.tokens())
              : BaselineModel.concat(
                  model.encode(
                      model.style().prompt(s.question, PromptStyle.REASON_FROM_DOCUMENTS, s.shown)),
                  model.encode(s.sentences.toString())));
      limits[i] = model.maxNewTokens() - s.drawn;
    }
    List<String> stops = last ? List.of() : tags ? TAG_STEPS : SENTENCE_ENDS;
    List<BaselineModel.Drawn> drawn = model.generate(contexts, stops, limits);
    for (int i = 0; i < active.size(); i++) {
      State s = active.get(i);
      BaselineModel.Drawn d = drawn.get(i);
      s.drawn += d.tokens().length;
      if (tags) s.response.generate(d.tokens());
      if (d.reason() != StopReason.STOP_STRING) {
        if (!tags) s.sentences.append(model.decode(d.tokens(), true));
        s.done = true;
        s.finished = d.reason() == StopReason.EOS;
        continue;
      }
      String text = model.decode(d.tokens(), false);
      int end = text.indexOf(d.stopString());
      if (tags) {
        String open = d.stopString().replace("/", "");
        int start = text.lastIndexOf(open, end);
        String body =
            start < 0 ? text.substring(0, end) : text.substring(start + open.length(), end);
        s.query = TAG.matcher(body).replaceAll(" ").strip();
        s.ownSearch = d.stopString().equals(PromptStyle.SEARCH_CLOSE);
      } else {
        String sentence = text.substring(0, end + 1);
        s.sentences.append(sentence);
        if (ANSWER.matcher(sentence).find()) {
          s.done = true;
          s.finished = true;
        } else {
          s.query = sentence.strip();
        }
      }
    }
  }
}
