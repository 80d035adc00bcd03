package org.research4j.grpo.eval.baselines;

import it.unimi.dsi.fastutil.booleans.BooleanArrayList;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.grpo.tool.ToolTags;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Hit;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.generate.StopReason;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The model as the baselines use it: batched generation from fresh contexts with stop strings and a
 * per-sequence token limit, the prompt style, and the direct answer that Naive Generation, Naive
 * RAG and every Iter-RetGen round share.
 */
public final class BaselineModel {

  /**
   * @param maxNewTokens the most tokens the model may draw for one question, over all of a method's
   *     steps (IRCoT's sentences share it); inserted passages do not count
   * @param sampling how tokens are drawn (greedy for evaluation); its stop settings are replaced
   */
  public record Config(int maxNewTokens, SamplingConfig sampling) {
    public Config {
      if (maxNewTokens < 1) throw new IllegalArgumentException("baselines: need maxNewTokens >= 1");
    }
  }

  /** What one sequence drew in a {@link #generate} call, up to where and why it stopped. */
  record Drawn(int[] tokens, StopReason reason, String stopString) {}

  private final Generator generator;
  private final Tokenizer tokenizer;
  private final Set<Integer> eos;
  private final PromptStyle style;
  private final Config config;

  public BaselineModel(
      Qwen2Model model, Tokenizer tokenizer, Set<Integer> eos, PromptStyle style, Config config) {
    if (eos.isEmpty())
      throw new IllegalArgumentException("baselines: no end-of-sequence token ids");
    this.generator = new Generator(model, ids -> tokenizer.decode(ids));
    this.tokenizer = tokenizer;
    this.eos = Set.copyOf(eos);
    this.style = style;
    this.config = config;
  }

  PromptStyle style() {
    return style;
  }

  int maxNewTokens() {
    return config.maxNewTokens();
  }

  /**
   * Generates from every context (each at least one token; {@code limits[i] >= 1}) in one session
   * until EOS, a stop string, or {@code limits[i]} drawn tokens. The limit is applied to each
   * sequence exactly, whatever the others in the batch, so a batch draws what each context alone
   * would.
   */
  List<Drawn> generate(List<int[]> contexts, List<String> stopStrings, int[] limits) {
    int capacity = 0;
    int most = 0;
    for (int i = 0; i < contexts.size(); i++) {
      capacity = Math.max(capacity, contexts.get(i).length + limits[i]);
      most = Math.max(most, limits[i]);
    }
    SamplingConfig sampling = config.sampling().withStopStrings(stopStrings).withStopTokenIds(eos);
    List<Drawn> out = new ArrayList<>(contexts.size());
    try (Session session = generator.start(contexts, sampling, capacity)) {
      session.run(most);
      for (int i = 0; i < contexts.size(); i++) {
        int[] all = session.tokens(i);
        int[] drawn = Arrays.copyOfRange(all, session.promptLength(i), all.length);
        if (drawn.length > limits[i]) {
          out.add(new Drawn(Arrays.copyOf(drawn, limits[i]), StopReason.LENGTH, null));
        } else {
          out.add(new Drawn(drawn, session.stop(i).reason(), session.stop(i).stopString()));
        }
      }
    }
    return out;
  }

  /**
   * One direct answer per question (Naive Generation, Naive RAG, an Iter-RetGen round), from the
   * passages retrieved with {@code queries} ({@code passages} null: none retrieved). Tags: the
   * response is prefilled with the search and result blocks (when there are passages) and an open
   * {@code <answer>}; instructed: the passages are in the prompt. {@code retrievals} is what each
   * response reports as its tool calls.
   */
  List<Rollout> answer(
      List<QaExample> questions, List<String> queries, List<List<Hit>> passages, int retrievals) {
    int n = questions.size();
    List<int[]> prompts = new ArrayList<>(n);
    List<Response> responses = new ArrayList<>(n);
    List<int[]> contexts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String q = questions.get(i).question();
      Response r = newResponse();
      int[] prompt;
      if (style.isTags()) {
        prompt = encode(style.prompt(q, null, null));
        if (passages != null) r.insert(searchBlock(queries.get(i), passages.get(i)));
        r.insert(encode(PromptStyle.ANSWER_OPEN));
      } else {
        prompt =
            passages == null
                ? encode(style.prompt(q, PromptStyle.ANSWER, null))
                : encode(style.prompt(q, PromptStyle.ANSWER_FROM_DOCUMENTS, passages.get(i)));
      }
      prompts.add(prompt);
      responses.add(r);
      contexts.add(concat(prompt, r.tokens()));
    }
    int[] limits = new int[n];
    Arrays.fill(limits, config.maxNewTokens());
    List<Drawn> drawn = generate(contexts, List.of(), limits);
    List<Rollout> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Drawn d = drawn.get(i);
      responses.get(i).generate(d.tokens());
      out.add(responses.get(i).rollout(prompts.get(i), d.reason() == StopReason.EOS, retrievals));
    }
    return out;
  }

  Response newResponse() {
    return new Response();
  }

  /** The text the model drew in {@code r}, special tokens (EOS) left out. */
  String generatedText(Rollout r) {
    IntArrayList ids = new IntArrayList();
    for (int i = 0; i < r.response().length; i++) if (r.trained()[i]) ids.add(r.response()[i]);
    return tokenizer.decode(ids.toIntArray(), true);
  }

  /**
   * {@code <search>query</search><result>passages</result>}, tokenised as the rollout engine does.
   */
  int[] searchBlock(String query, List<Hit> passages) {
    return concat(
        encode(PromptStyle.SEARCH_OPEN + query.strip() + PromptStyle.SEARCH_CLOSE),
        resultBlock(passages));
  }

  /**
   * {@code <result>passages</result>}: tags and passages encoded apart, as the rollout engine does.
   */
  int[] resultBlock(List<Hit> passages) {
    return concat(
        encode(PromptStyle.RESULT_OPEN),
        tokenizer.encode(SearchTool.format(passages), true),
        encode(PromptStyle.RESULT_CLOSE));
  }

  int[] encode(String text) {
    return tokenizer.encode(text);
  }

  String decode(int[] ids, boolean skipSpecialTokens) {
    return tokenizer.decode(ids, skipSpecialTokens);
  }

  static int[] concat(int[]... parts) {
    IntArrayList out = new IntArrayList();
    for (int[] p : parts) out.addElements(out.size(), p);
    return out.toIntArray();
  }

  /** A response under construction: tokens after the prompt, each inserted or drawn. */
  final class Response {
    private final IntArrayList tokens = new IntArrayList();
    private final BooleanArrayList drawn = new BooleanArrayList();

    void insert(int[] ids) {
      add(ids, false);
    }

    void generate(int[] ids) {
      add(ids, true);
    }

    private void add(int[] ids, boolean byModel) {
      for (int id : ids) {
        tokens.add(id);
        drawn.add(byModel);
      }
    }

    int[] tokens() {
      return tokens.toIntArray();
    }

    /**
     * As the rollout engine reports it: the text leaves out the final EOS of a finished response.
     */
    Rollout rollout(int[] prompt, boolean finished, int retrievals) {
      int[] response = tokens.toIntArray();
      int textEnd =
          finished && response.length > 0 && eos.contains(response[response.length - 1])
              ? response.length - 1
              : response.length;
      String text = tokenizer.decode(Arrays.copyOf(response, textEnd));
      return new Rollout(
          prompt,
          response,
          drawn.toBooleanArray(),
          text,
          finished,
          retrievals,
          Map.of(ToolTags.SEARCH.name(), retrievals));
    }
  }
}
