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
    int n = prompts.size();
    int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    SamplingConfig sampling = config.sampling()
        .withStopStrings(List.of(tool.callClose())).withStopTokenIds(eos);
    List<List<int[]>> toolSpans = new ArrayList<>(n);
    for (int i = 0; i < n; i++) toolSpans.add(new ArrayList<>());
    int[] calls = new int[n];
    boolean[] finished = new boolean[n];
    boolean[] done = new boolean[n];
    try (Session session = generator.start(prompts, sampling, longest + config.maxResponseTokens())) {
      session.run(config.maxResponseTokens());
      while (true) {
        List<Integer> calling = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        for (int s = 0; s < n; s++) {
          if (done[s]) continue;
          Stop stop = session.stop(s);
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
          session.resume(s);
          calls[s]++;
        }
        session.run(config.maxResponseTokens());
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
