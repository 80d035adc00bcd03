package org.research4j.grpo.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.research4j.grpo.tool.Tool;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.generate.Stop;
import org.research4j.transformer.generate.StopReason;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Generates tool-interleaved responses for a batch of prompts (docs/ARCHITECTURE.md, "From a
 * question to a gradient"): every sequence generates until the tool's closing call tag or EOS; the
 * sequences that called the tool have their queries served in one batch, the results appended
 * inside the result tags, and generation resumes on the same KV cache; until every sequence has
 * ended or run out of room.
 */
public final class RolloutEngine {

  /**
   * @param maxResponseTokens the response budget, tool results included (the paper's only cap)
   * @param maxToolCalls a cap on calls per response; a call past it ends the response unfinished
   */
  public record Config(int maxResponseTokens, int maxToolCalls, SamplingConfig sampling) {
    public Config {
      if (maxResponseTokens < 1 || maxToolCalls < 0) {
        throw new IllegalArgumentException("rollout: need maxResponseTokens >= 1, maxToolCalls >= 0");
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

    /** The tool answered sequence {@code seq}'s call {@code input} with {@code inserted} (tags included). */
    default void toolResult(int seq, String input, String inserted) {}

    /** True ends sequence {@code seq} now, unfinished (its reader has gone); asked after every step. */
    default boolean cancelled(int seq) {
      return false;
    }
  }

  private final Generator generator;
  private final Tokenizer tokenizer;
  private final Tool tool;
  private final Set<Integer> eos;
  private final int[] resultOpen;
  private final int[] resultClose;

  public RolloutEngine(Qwen2Model model, Tokenizer tokenizer, Tool tool, Set<Integer> eos) {
    this.generator = new Generator(model, ids -> tokenizer.decode(ids));
    this.tokenizer = tokenizer;
    this.tool = tool;
    this.eos = Set.copyOf(eos);
    this.resultOpen = tokenizer.encode(tool.resultOpen());
    this.resultClose = tokenizer.encode(tool.resultClose());
  }

  public List<Rollout> run(List<int[]> prompts, Config config) {
    return run(prompts, null, config, Listener.NONE);
  }

  /**
   * As {@link #run(List, Config)}, with {@code sampling} (when not null, one per prompt: its
   * temperature, top-p, top-k and seed; the stop conditions are the engine's) in place of {@code
   * config.sampling()}, and {@code listener} told of every turn as it ends.
   */
  public List<Rollout> run(List<int[]> prompts, List<SamplingConfig> sampling, Config config,
      Listener listener) {
    int n = prompts.size();
    int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    if (sampling != null && sampling.size() != n) {
      throw new IllegalArgumentException(sampling.size() + " sampling configs for " + n + " prompts");
    }
    List<SamplingConfig> perSequence = new ArrayList<>(n);
    for (int s = 0; s < n; s++) {
      perSequence.add((sampling == null ? config.sampling() : sampling.get(s))
          .withStopStrings(List.of(tool.callClose())).withStopTokenIds(eos));
    }
    int[] told = new int[n];
    List<List<int[]>> toolSpans = new ArrayList<>(n);
    for (int i = 0; i < n; i++) toolSpans.add(new ArrayList<>());
    int[] calls = new int[n];
    boolean[] finished = new boolean[n];
    boolean[] done = new boolean[n];
    Session opened = sampling == null
        ? generator.start(prompts, perSequence.getFirst(), longest + config.maxResponseTokens())
        : generator.start(prompts, perSequence, longest + config.maxResponseTokens());
    try (Session session = opened) {
      session.run(config.maxResponseTokens(), listener::cancelled);
      while (true) {
        List<Integer> calling = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        for (int s = 0; s < n; s++) {
          if (done[s]) continue;
          Stop stop = session.stop(s);
          told[s] = tell(listener, session, s, told[s], stop.reason() == StopReason.EOS);
          if (stop.reason() == StopReason.STOP_STRING && calls[s] < config.maxToolCalls()) {
            calling.add(s);
            queries.add(lastCall(responseText(session, s)));
          } else {
            done[s] = true;
            finished[s] = stop.reason() == StopReason.EOS;
          }
        }
        if (calling.isEmpty()) break;
        List<String> results = tool.call(queries);
        for (int i = 0; i < calling.size(); i++) {
          int s = calling.get(i);
          int[] inserted = concat(resultOpen, tokenizer.encode(results.get(i), true), resultClose);
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
        out.add(new Rollout(prompts.get(s), response, trained, text, finished[s], calls[s]));
      }
      return out;
    }
  }

  /** Tells {@code listener} the text {@code s} wrote since token {@code from}; returns where it ends. */
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

  /** The text of the last call: between the last opening and the closing call tag. */
  private String lastCall(String text) {
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
