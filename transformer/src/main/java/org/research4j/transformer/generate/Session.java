package org.research4j.transformer.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntPredicate;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.model.KvCache;
import org.research4j.transformer.model.Qwen2Model;

/**
 * One batch of sequences being generated, with their KV cache on the device.
 *
 * <p>Each sequence is a list of tokens of which the first {@code cached} have their keys and values
 * in the cache. A running sequence always has at least one token not yet cached (its prompt at
 * first, then its last drawn token, or tokens appended by a tool): a {@link #step()} feeds every
 * running sequence's uncached tokens (at most {@code chunk} of them) through the model at their
 * positions, in one batched forward, and draws the next token of each sequence that is then fully
 * cached. Sequences of different lengths share the step: each writes at its own positions, and the
 * rows that pad the shorter ones (and those of stopped sequences) land at positions not yet in use,
 * which the next real token overwrites.
 *
 * <p>A stopped sequence (stop string, stop token, length) stays in the batch; {@link #append} adds
 * tokens to it (a tool's result) and {@link #resume} sets it running again, after which the
 * appended tokens are fed in the next step(s) — the cache is extended, not recomputed.
 */
public final class Session implements AutoCloseable {

  /** Per-sequence state. */
  private static final class Sequence {
    int[] tokens;
    int length;
    final int promptLength;

    /** Tokens whose keys and values are in the cache: {@code tokens[0..cached)}. */
    int cached;

    /** Stop strings are searched in the text of {@code tokens[segmentStart..length)}. */
    int segmentStart;

    boolean running = true;
    Stop stop;

    /** Tokens drawn during the current {@link #run}. */
    int drawnThisRun;

    final SplittableRandom rnd;

    Sequence(int[] prompt, SplittableRandom rnd) {
      this.tokens = prompt.clone();
      this.length = prompt.length;
      this.promptLength = prompt.length;
      this.segmentStart = prompt.length;
      this.rnd = rnd;
    }

    void add(int token) {
      if (length == tokens.length) tokens = Arrays.copyOf(tokens, Math.max(16, 2 * length));
      tokens[length++] = token;
    }
  }

  private final Qwen2Model model;
  private final Function<int[], String> detokenize;
  private final int chunk;

  /** Each sequence's sampling (one shared instance unless started with one per sequence). */
  private final SamplingConfig[] samplings;

  private final Sampler[] samplers;
  private final int capacity;
  private final Sequence[] seqs;
  private final KvCache cache;

  /** The sequence whose keys and values are in cache slot {@code i} (see {@link #compact}). */
  private final int[] seqAt;

  private final Tape tape;
  private LogitsObserver observer;

  Session(
      Qwen2Model model,
      Function<int[], String> detokenize,
      int chunk,
      List<int[]> prompts,
      SamplingConfig sampling,
      int capacity) {
    this(model, detokenize, chunk, prompts, sampling, null, capacity);
  }

  /**
   * As above with {@code perSequence} (one per prompt) when not null: sequence {@code s} then
   * samples and stops by {@code perSequence.get(s)}, drawing from a generator seeded with that
   * config's seed alone, so its draws do not depend on the batch it runs in.
   */
  Session(
      Qwen2Model model,
      Function<int[], String> detokenize,
      int chunk,
      List<int[]> prompts,
      SamplingConfig sampling,
      List<SamplingConfig> perSequence,
      int capacity) {
    if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to generate from");
    int vocab = model.config().vocabSize();
    for (int s = 0; s < prompts.size(); s++) {
      int[] p = prompts.get(s);
      if (p.length == 0) throw new IllegalArgumentException("prompt " + s + " is empty");
      if (p.length >= capacity) {
        throw new IllegalArgumentException(
            "prompt "
                + s
                + " has "
                + p.length
                + " tokens, which leaves no room to generate within capacity "
                + capacity);
      }
      checkIds("prompt " + s, p, vocab);
    }
    this.model = model;
    this.detokenize = detokenize;
    this.chunk = chunk;
    if (perSequence != null && perSequence.size() != prompts.size()) {
      throw new IllegalArgumentException(
          perSequence.size()
              + " sampling configs for "
              + prompts.size()
              + " prompts; give one per prompt");
    }
    this.capacity = capacity;
    this.seqs = new Sequence[prompts.size()];
    this.samplings = new SamplingConfig[seqs.length];
    this.samplers = new Sampler[seqs.length];
    if (perSequence == null) {
      Sampler shared = new Sampler(sampling);
      SplittableRandom root = new SplittableRandom(sampling.seed());
      for (int s = 0; s < seqs.length; s++) {
        seqs[s] = new Sequence(prompts.get(s), root.split());
        samplings[s] = sampling;
        samplers[s] = shared;
      }
    } else {
      for (int s = 0; s < seqs.length; s++) {
        SamplingConfig c = perSequence.get(s);
        seqs[s] = new Sequence(prompts.get(s), new SplittableRandom(c.seed()));
        samplings[s] = c;
        samplers[s] = new Sampler(c);
      }
    }
    this.cache = model.newCache(seqs.length, capacity + chunk);
    this.seqAt = new int[seqs.length];
    for (int i = 0; i < seqAt.length; i++) seqAt[i] = i;
    this.tape = new Tape(model.kernels());
  }

  private static void checkIds(String what, int[] ids, int vocab) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new IllegalArgumentException(
            what + ": token " + i + " is " + ids[i] + ", outside the vocabulary 0.." + (vocab - 1));
      }
    }
  }

  /** Calls {@code observer} with the logits of every draw from now on (null to stop). */
  public void observeLogits(LogitsObserver observer) {
    this.observer = observer;
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding.

  /**
   * One batched forward: feeds each running sequence's uncached tokens (up to the chunk size) and
   * draws one token for each sequence that is then up to date. Returns the sequences that stopped
   * in this step (empty when none is running).
   */
  public List<Stop> step() {
    List<Stop> stops = new ArrayList<>();
    int width = compact();
    if (width == 0) return stops;
    int[] feed = new int[width];
    int tn = 0;
    for (int slot = 0; slot < width; slot++) {
      Sequence q = seqs[seqAt[slot]];
      if (q.running) feed[slot] = Math.min(q.length - q.cached, chunk);
      tn = Math.max(tn, feed[slot]);
    }
    if (tn == 0) return stops;

    int[] ids = new int[width * tn];
    int[] start = new int[width];
    int[] drawing = new int[width];
    int[] rows = new int[width];
    int draws = 0;
    for (int slot = 0; slot < width; slot++) {
      Sequence q = seqs[seqAt[slot]];
      start[slot] = q.cached;
      System.arraycopy(q.tokens, q.cached, ids, slot * tn, feed[slot]);
      if (q.running && q.cached + feed[slot] == q.length) {
        drawing[draws] = seqAt[slot];
        rows[draws++] = slot * tn + feed[slot] - 1;
      }
    }

    // A step in which every running sequence is still catching up draws nothing, but the forward
    // still runs for its cache writes; row 0 stands in so the LM head has a row to compute.
    int[] rowIds = draws == 0 ? new int[] {0} : Arrays.copyOf(rows, draws);
    tape.reset();
    Tensor idsT = tape.ints(ids, width, tn);
    KvCache view = cache.leading(width);
    float[] logits = model.logitsCached(tape.ops(), idsT, start, view, rowIds).toFloatArray();
    for (int slot = 0; slot < width; slot++) seqs[seqAt[slot]].cached += feed[slot];

    int vocab = model.config().vocabSize();
    float[] row = new float[vocab];
    for (int j = 0; j < draws; j++) {
      int s = drawing[j];
      Sequence q = seqs[s];
      System.arraycopy(logits, j * vocab, row, 0, vocab);
      if (observer != null) observer.observe(s, q.length - 1, row);
      int token = samplers[s].sample(row, q.rnd);
      q.add(token);
      q.drawnThisRun++;
      Stop stop = stopAfterDraw(s, q, token);
      if (stop != null) {
        q.running = false;
        q.stop = stop;
        stops.add(stop);
      }
    }
    return stops;
  }

  /**
   * Moves the running sequences to the first cache slots (exchanging their keys and values with
   * those of stopped sequences, which keep theirs for a later {@link #resume}) and returns how many
   * run: a step then computes rows for those only, not for the whole batch. Each sequence's rows
   * are computed alone (nothing in a forward mixes sequences), so which slot holds it does not
   * change what it computes.
   */
  private int compact() {
    int running = runningCount();
    int lo = 0;
    int hi = seqs.length - 1;
    while (true) {
      while (lo < running && seqs[seqAt[lo]].running) lo++;
      while (hi >= running && !seqs[seqAt[hi]].running) hi--;
      if (lo >= running || hi < running) break;
      int a = seqAt[lo];
      int b = seqAt[hi];
      cache.swap(lo, hi, Math.max(seqs[a].cached, seqs[b].cached));
      seqAt[lo] = b;
      seqAt[hi] = a;
    }
    return running;
  }

  /**
   * The end of the text {@code q} has written since its segment started, long enough to hold any of
   * {@code stops} ending in its last token: the check runs after every draw and found none before,
   * so an occurrence must end in the newest characters. Decoding only the tail keeps the check's
   * cost per draw constant instead of growing with the response. The window of tokens doubles until
   * its text is {@code TAIL_MARGIN} characters longer than the longest stop string (tokens that
   * decode to nothing, or to parts of a character, cannot shorten what is checked) or it reaches
   * the segment's start.
   */
  private String tail(Sequence q, java.util.Collection<String> stops) {
    int longest = 0;
    for (String stop : stops) longest = Math.max(longest, stop.length());
    int need = longest + TAIL_MARGIN;
    for (int window = need; ; window *= 2) {
      int from = Math.max(q.segmentStart, q.length - window);
      String text = detokenize.apply(Arrays.copyOfRange(q.tokens, from, q.length));
      if (from == q.segmentStart || text.length() >= need) return text;
    }
  }

  /** Characters beyond the longest stop string that {@link #tail} decodes. */
  private static final int TAIL_MARGIN = 8;

  private Stop stopAfterDraw(int s, Sequence q, int token) {
    SamplingConfig sampling = samplings[s];
    if (sampling.stopTokenIds().contains(token)) return new Stop(s, StopReason.EOS, null);
    if (!sampling.stopStrings().isEmpty()) {
      String text = tail(q, sampling.stopStrings());
      for (String stop : sampling.stopStrings()) {
        if (text.contains(stop)) return new Stop(s, StopReason.STOP_STRING, stop);
      }
    }
    if (q.length >= capacity) return new Stop(s, StopReason.LENGTH, null);
    return null;
  }

  /**
   * Steps until no sequence is running, stopping with {@link StopReason#LENGTH} any sequence that
   * has drawn {@code maxNewTokens} tokens in this call. Returns every stop of this call, in order.
   */
  public List<Stop> run(int maxNewTokens) {
    return run(maxNewTokens, s -> false);
  }

  /**
   * As {@link #run(int)}, and after every step {@link #halt}s each running sequence for which
   * {@code halt} is true (a client that went away, say).
   */
  public List<Stop> run(int maxNewTokens, IntPredicate halt) {
    if (maxNewTokens <= 0) {
      throw new IllegalArgumentException("maxNewTokens must be positive, got " + maxNewTokens);
    }
    for (Sequence q : seqs) q.drawnThisRun = 0;
    List<Stop> stops = new ArrayList<>();
    while (runningCount() > 0) {
      stops.addAll(step());
      for (int s = 0; s < seqs.length; s++) {
        Sequence q = seqs[s];
        if (q.running && halt.test(s)) {
          stops.add(halt(s));
        } else if (q.running && q.drawnThisRun >= maxNewTokens) {
          q.running = false;
          q.stop = new Stop(s, StopReason.LENGTH, null);
          stops.add(q.stop);
        }
      }
    }
    return stops;
  }

  /**
   * Stops running sequence {@code seq} from outside ({@link StopReason#HALTED}): it takes no part
   * in later steps, so the batch's work shrinks to the sequences still wanted.
   */
  public Stop halt(int seq) {
    Sequence q = sequence(seq);
    if (!q.running) throw new IllegalStateException("sequence " + seq + " is not running");
    q.running = false;
    q.stop = new Stop(seq, StopReason.HALTED, null);
    return q.stop;
  }

  // ---------------------------------------------------------------------------------------------
  // Tool results.

  /**
   * Appends {@code tokens} (e.g. a tool's result) to stopped sequence {@code seq}; they are fed to
   * the model after {@link #resume}. The sequence must stay within the capacity.
   */
  public void append(int seq, int[] tokens) {
    Sequence q = sequence(seq);
    if (q.running) {
      throw new IllegalStateException(
          "sequence " + seq + " is running; tokens can be appended only to a stopped sequence");
    }
    if (q.length + tokens.length > capacity) {
      throw new IllegalArgumentException(
          "sequence "
              + seq
              + " has "
              + q.length
              + " tokens; appending "
              + tokens.length
              + " would exceed the capacity "
              + capacity
              + " (room left: "
              + room(seq)
              + ")");
    }
    checkIds("tokens appended to sequence " + seq, tokens, model.config().vocabSize());
    for (int t : tokens) q.add(t);
  }

  /**
   * Sets stopped sequence {@code seq} running again; stop strings are then searched only in the
   * text it generates from here on.
   */
  public void resume(int seq) {
    Sequence q = sequence(seq);
    if (q.running) throw new IllegalStateException("sequence " + seq + " is already running");
    if (q.length >= capacity) {
      throw new IllegalStateException(
          "sequence " + seq + " is full (" + q.length + " tokens, capacity " + capacity + ")");
    }
    q.running = true;
    q.stop = null;
    q.segmentStart = q.length;
  }

  // ---------------------------------------------------------------------------------------------
  // State.

  public int batchSize() {
    return seqs.length;
  }

  public int capacity() {
    return capacity;
  }

  public int runningCount() {
    int n = 0;
    for (Sequence q : seqs) if (q.running) n++;
    return n;
  }

  public boolean isRunning(int seq) {
    return sequence(seq).running;
  }

  /** Why {@code seq} stopped last, or null while it runs (or before it first stopped). */
  public Stop stop(int seq) {
    return sequence(seq).stop;
  }

  /** All tokens of {@code seq}: prompt, then generated and appended ones, in order. */
  public int[] tokens(int seq) {
    Sequence q = sequence(seq);
    return Arrays.copyOf(q.tokens, q.length);
  }

  public int length(int seq) {
    return sequence(seq).length;
  }

  public int promptLength(int seq) {
    return sequence(seq).promptLength;
  }

  /** Tokens {@code seq} may still grow by. */
  public int room(int seq) {
    return capacity - sequence(seq).length;
  }

  private Sequence sequence(int seq) {
    if (seq < 0 || seq >= seqs.length) {
      throw new IndexOutOfBoundsException(
          "sequence " + seq + " of a session of " + seqs.length + " sequences");
    }
    return seqs[seq];
  }

  /** Frees the KV cache and the step memory. */
  @Override
  public void close() {
    tape.close();
    cache.close();
  }
}
