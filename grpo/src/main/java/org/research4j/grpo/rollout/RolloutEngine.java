package org.research4j.grpo.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.generate.Stop;
import org.research4j.transformer.generate.StopReason;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Generates tool-interleaved responses for a batch of prompts (docs/ARCHITECTURE.md, "From a
 * question to a gradient"): every sequence generates until a registered tool's closing call tag or
 * EOS; the sequences that called a tool have their inputs served in one batch per tool, the results
 * appended inside that tool's result tags, and generation resumes on the same KV cache; until every
 * sequence has ended or run out of room. The engine knows tools only through {@link Tools}: a new
 * tool needs no change here.
 */
public final class RolloutEngine {

  /**
   * @param maxResponseTokens the response budget, tool results included (the paper's only cap)
   * @param maxToolCalls a cap on calls per response, all tools together; a call past it ends the
   *     response unfinished
   */
  public record Config(int maxResponseTokens, int maxToolCalls, SamplingConfig sampling) {
    public Config {
      if (maxResponseTokens < 1 || maxToolCalls < 0) {
        throw new IllegalArgumentException(
            "rollout: need maxResponseTokens >= 1, maxToolCalls >= 0");
      }
    }
  }

  /**
   * Watches rollouts as they are generated, turn by turn (a server streaming a trace, a person
   * watching {@code research ask}). Called on the generating thread.
   */
  public interface Listener {
    /** A listener that watches nothing. */
    Listener NONE = new Listener() {};

    /**
     * Sequence {@code seq} wrote {@code text} (up to and including a closing call tag, or to its
     * end; the EOS token is not part of it).
     */
    default void generated(int seq, String text) {}

    /**
     * A tool (any registered one) answered sequence {@code seq}'s call {@code input} with {@code
     * inserted} (that tool's result tags included).
     */
    default void toolResult(int seq, String input, String inserted) {}

    /**
     * True ends sequence {@code seq} now, unfinished (its reader has gone); asked after every step.
     */
    default boolean cancelled(int seq) {
      return false;
    }
  }

  private final Generator generator;
  private final Tokenizer tokenizer;
  private final Tools tools;
  private final Set<Integer> eos;
  private final Map<Tool, int[]> resultOpen = new LinkedHashMap<>();
  private final Map<Tool, int[]> resultClose = new LinkedHashMap<>();

  /** The paper's engine: one tool (search). */
  public RolloutEngine(Qwen2Model model, Tokenizer tokenizer, Tool tool, Set<Integer> eos) {
    this(model, tokenizer, Tools.of(tool), eos);
  }

  public RolloutEngine(Qwen2Model model, Tokenizer tokenizer, Tools tools, Set<Integer> eos) {
    this.generator = new Generator(model, ids -> tokenizer.decode(ids));
    this.tokenizer = tokenizer;
    this.tools = tools;
    this.eos = Set.copyOf(eos);
    for (Tool t : tools.list()) {
      resultOpen.put(t, tokenizer.encode(t.resultOpen()));
      resultClose.put(t, tokenizer.encode(t.resultClose()));
    }
  }

  /** The registered tools. */
  public Tools tools() {
    return tools;
  }

  public List<Rollout> run(List<int[]> prompts, Config config) {
    return run(prompts, null, config, Listener.NONE);
  }

  /**
   * As {@link #run(List, Config)}, with {@code sampling} (when not null, one per prompt: its
   * temperature, top-p, top-k and seed; the stop conditions are the engine's) in place of {@code
   * config.sampling()}, and {@code listener} told of every turn as it ends.
   */
  public List<Rollout> run(
      List<int[]> prompts, List<SamplingConfig> sampling, Config config, Listener listener) {
    int n = prompts.size();
    int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    if (sampling != null && sampling.size() != n) {
      throw new IllegalArgumentException(
          sampling.size() + " sampling configs for " + n + " prompts");
    }
    List<String> callCloses = tools.callCloses();
    List<SamplingConfig> perSequence = new ArrayList<>(n);
    for (int s = 0; s < n; s++) {
      perSequence.add(
          (sampling == null ? config.sampling() : sampling.get(s))
              .withStopStrings(callCloses)
              .withStopTokenIds(eos));
    }
    int[] told = new int[n];
    List<List<int[]>> toolSpans = new ArrayList<>(n);
    for (int i = 0; i < n; i++) toolSpans.add(new ArrayList<>());
    int[] calls = new int[n];
    int[][] callsByTool = new int[n][tools.size()];
    boolean[] finished = new boolean[n];
    boolean[] done = new boolean[n];
    Session opened =
        sampling == null
            ? generator.start(prompts, perSequence.getFirst(), longest + config.maxResponseTokens())
            : generator.start(prompts, perSequence, longest + config.maxResponseTokens());
    try (Session session = opened) {
      session.run(config.maxResponseTokens(), listener::cancelled);
      while (true) {
        List<Integer> calling = new ArrayList<>();
        List<Integer> calledTool = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        for (int s = 0; s < n; s++) {
          if (done[s]) continue;
          Stop stop = session.stop(s);
          told[s] = tell(listener, session, s, told[s], stop.reason() == StopReason.EOS);
          if (stop.reason() == StopReason.STOP_STRING && calls[s] < config.maxToolCalls()) {
            Tool tool = tools.byCallClose(stop.stopString());
            calling.add(s);
            calledTool.add(tools.list().indexOf(tool));
            queries.add(lastCall(responseText(session, s), tool));
          } else {
            done[s] = true;
            finished[s] = stop.reason() == StopReason.EOS;
          }
        }
        if (calling.isEmpty()) break;
        List<String> results = dispatch(calledTool, queries);
        for (int i = 0; i < calling.size(); i++) {
          int s = calling.get(i);
          Tool tool = tools.list().get(calledTool.get(i));
          int[] inserted =
              concat(
                  resultOpen.get(tool),
                  tokenizer.encode(results.get(i), true),
                  resultClose.get(tool));
          if (session.room(s) <= inserted.length) {
            done[s] = true; // no room for the result and an answer after it: cut off
            continue;
          }
          int at = session.length(s) - session.promptLength(s);
          toolSpans.get(s).add(new int[] {at, at + inserted.length});
          session.append(s, inserted);
          listener.toolResult(s, queries.get(i), tokenizer.decode(inserted));
          told[s] = session.length(s);
          session.resume(s);
          calls[s]++;
          callsByTool[s][calledTool.get(i)]++;
        }
        session.run(config.maxResponseTokens(), listener::cancelled);
      }
      List<Rollout> out = new ArrayList<>(n);
      for (int s = 0; s < n; s++) {
        int[] all = session.tokens(s);
        int[] response = Arrays.copyOfRange(all, session.promptLength(s), all.length);
        boolean[] trained = new boolean[response.length];
        Arrays.fill(trained, true);
        for (int[] span : toolSpans.get(s)) Arrays.fill(trained, span[0], span[1], false);
        int textEnd = finished[s] ? response.length - 1 : response.length;
        String text = tokenizer.decode(Arrays.copyOf(response, textEnd));
        Map<String, Integer> byTool = new LinkedHashMap<>();
        for (int t = 0; t < tools.size(); t++) byTool.put(tools.names().get(t), callsByTool[s][t]);
        out.add(
            new Rollout(prompts.get(s), response, trained, text, finished[s], calls[s], byTool));
      }
      return out;
    }
  }

  /**
   * Tells {@code listener} the text {@code s} wrote since token {@code from}; returns where it
   * ends.
   */
  private int tell(Listener listener, Session session, int s, int from, boolean endsInEos) {
    int[] all = session.tokens(s);
    int start = Math.max(from, session.promptLength(s));
    int end = endsInEos ? all.length - 1 : all.length;
    if (end > start) listener.generated(s, tokenizer.decode(Arrays.copyOfRange(all, start, end)));
    return all.length;
  }

  private String responseText(Session session, int s) {
    int[] all = session.tokens(s);
    return tokenizer.decode(Arrays.copyOfRange(all, session.promptLength(s), all.length));
  }

  /**
   * Serves the calls of one round: the inputs of each tool go to it in one batch (tools in
   * registration order); the outputs come back in the order of the calls.
   */
  private List<String> dispatch(List<Integer> calledTool, List<String> inputs) {
    String[] out = new String[inputs.size()];
    for (int t = 0; t < tools.size(); t++) {
      List<Integer> mine = new ArrayList<>();
      List<String> batch = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        if (calledTool.get(i) == t) {
          mine.add(i);
          batch.add(inputs.get(i));
        }
      }
      if (batch.isEmpty()) continue;
      Tool tool = tools.list().get(t);
      List<String> results = tool.call(batch);
      if (results.size() != batch.size()) {
        throw new IllegalStateException(
            "tool "
                + tool.name()
                + " answered "
                + results.size()
                + " of "
                + batch.size()
                + " calls");
      }
      for (int k = 0; k < mine.size(); k++) out[mine.get(k)] = results.get(k);
    }
    return List.of(out);
  }

  /** The text of the last call: between the last opening and the closing call tag. */
  private static String lastCall(String text, Tool tool) {
    int close = text.lastIndexOf(tool.callClose());
    int open = text.lastIndexOf(tool.callOpen(), close);
    return open < 0 || close < 0 ? "" : text.substring(open + tool.callOpen().length(), close);
  }

  private static int[] concat(int[]... parts) {
    int len = 0;
    for (int[] p : parts) len += p.length;
    int[] out = new int[len];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
