package org.research4j.grpo.serve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.research4j.grpo.rollout.Rollout;
import org.research4j.grpo.rollout.RolloutEngine;
import org.research4j.grpo.tool.Tool;
import org.research4j.transformer.generate.Generator;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.generate.Session;
import org.research4j.transformer.generate.Stop;
import org.research4j.transformer.generate.StopReason;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The one thread that uses the model. It takes the first waiting request, gathers more for up to
 * {@code batchWaitMillis} until the batch holds {@code maxBatch} sequences (a request that would
 * overflow it waits for the next), and generates them together: plain requests in one batched
 * session, each sequence with its own sampling, stop strings and token budget; agent requests
 * through the {@link RolloutEngine}, grouped by token budget. Text reaches each request's {@link
 * Job} as it is generated; a cancelled job's sequences are halted at the next step.
 */
final class BatchScheduler implements AutoCloseable {
  private final Tokenizer tokenizer;
  private final Set<Integer> eos;
  private final Generator generator;
  private final RolloutEngine agent;
  private final ServeConfig config;
  private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
  private final Thread thread;
  private volatile boolean closed;

  final AtomicLong batches = new AtomicLong();
  final AtomicLong sequences = new AtomicLong();
  final AtomicInteger largestBatch = new AtomicInteger();
  final AtomicLong cancelledSequences = new AtomicLong();
  final AtomicInteger running = new AtomicInteger();

  BatchScheduler(
      Qwen2Model model, Tokenizer tokenizer, Set<Integer> eos, Tool tool, ServeConfig config) {
    this.tokenizer = tokenizer;
    this.eos = Set.copyOf(eos);
    this.generator = new Generator(model, tokenizer::decode);
    this.agent = tool == null ? null : new RolloutEngine(model, tokenizer, tool, eos);
    this.config = config;
    this.thread = Thread.ofPlatform().name("serve-model-scheduler").daemon().start(this::loop);
  }

  void submit(Job job) throws OpenAiError {
    if (closed) throw OpenAiError.unavailable("the server is shutting down");
    queue.add(job);
  }

  int waiting() {
    return queue.size();
  }

  private void loop() {
    while (!closed) {
      List<Job> batch;
      try {
        batch = gather();
      } catch (InterruptedException e) {
        return;
      }
      int seqs = batch.stream().mapToInt(j -> j.request.choices()).sum();
      batches.incrementAndGet();
      sequences.addAndGet(seqs);
      largestBatch.accumulateAndGet(seqs, Math::max);
      running.set(seqs);
      List<Job> plain = batch.stream().filter(j -> !j.request.agent()).toList();
      Map<Integer, List<Job>> agents = new LinkedHashMap<>();
      for (Job j : batch) {
        if (j.request.agent())
          agents.computeIfAbsent(j.request.maxTokens(), k -> new ArrayList<>()).add(j);
      }
      guarded(plain, () -> generate(plain));
      for (List<Job> group : agents.values()) guarded(group, () -> runAgent(group));
      running.set(0);
    }
  }

  private List<Job> gather() throws InterruptedException {
    List<Job> batch = new ArrayList<>();
    Job first = queue.take();
    batch.add(first);
    int seqs = first.request.choices();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.batchWaitMillis());
    while (seqs < config.maxBatch()) {
      long left = deadline - System.nanoTime();
      Job next = left > 0 ? queue.pollFirst(left, TimeUnit.NANOSECONDS) : queue.pollFirst();
      if (next == null) break;
      if (seqs + next.request.choices() > config.maxBatch()) {
        queue.addFirst(next);
        break;
      }
      batch.add(next);
      seqs += next.request.choices();
    }
    batch.removeIf(
        j -> {
          if (!j.cancelled()) return false;
          j.fail("cancelled before it ran");
          return true;
        });
    return batch;
  }

  private void guarded(List<Job> jobs, Runnable work) {
    if (jobs.isEmpty()) return;
    try {
      work.run();
    } catch (RuntimeException e) {
      System.err.println("serve-model: a batch of " + jobs.size() + " requests failed");
      e.printStackTrace();
      for (Job j : jobs) j.fail("generation failed: " + e);
    }
  }

  /** A plain sequence: which job and choice it answers, and how much of its text went out. */
  private static final class Seq {
    final Job job;
    final int choice;
    int emitted;
    boolean done;

    Seq(Job job, int choice) {
      this.job = job;
      this.choice = choice;
    }
  }

  private void generate(List<Job> jobs) {
    List<Seq> seqs = new ArrayList<>();
    List<int[]> prompts = new ArrayList<>();
    List<SamplingConfig> sampling = new ArrayList<>();
    int capacity = 0;
    for (Job j : jobs) {
      for (int c = 0; c < j.request.choices(); c++) {
        seqs.add(new Seq(j, c));
        prompts.add(j.request.prompt(c));
        sampling.add(j.request.sampling(c).withStopTokenIds(eos));
        capacity = Math.max(capacity, j.request.prompt(c).length + j.request.maxTokens());
      }
    }
    try (Session session = generator.start(prompts, sampling, capacity)) {
      while (session.runningCount() > 0) {
        session.step();
        for (int i = 0; i < seqs.size(); i++) {
          if (!seqs.get(i).done) update(session, i, seqs.get(i));
        }
      }
      for (int i = 0; i < seqs.size(); i++) {
        if (!seqs.get(i).done) update(session, i, seqs.get(i));
      }
    }
  }

  /**
   * Sends sequence {@code i}'s new text, and ends it at a stop string, its budget or its client's
   * leaving.
   */
  private void update(Session session, int i, Seq q) {
    CompletionRequest r = q.job.request;
    int[] all = session.tokens(i);
    int p = session.promptLength(i);
    Stop stop = session.isRunning(i) ? null : session.stop(i);
    boolean eosStop = stop != null && stop.reason() == StopReason.EOS;
    int generated = all.length - p;
    String text =
        tokenizer.decode(Arrays.copyOfRange(all, p, eosStop ? all.length - 1 : all.length));
    String finish = null;
    int longestStop = 0;
    int cut = -1;
    for (String s : r.stop()) {
      longestStop = Math.max(longestStop, s.length());
      int at = text.indexOf(s, Math.max(0, q.emitted - s.length()));
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      text = text.substring(0, cut);
      finish = "stop";
    } else if (eosStop) {
      finish = "stop";
    } else if (stop != null || generated >= r.maxTokens()) {
      finish = "length";
    }
    if (finish == null && (q.job.cancelled() || closed)) finish = "cancelled";
    if (finish != null && session.isRunning(i)) session.halt(i);
    int safe = text.length();
    if (finish == null) {
      // hold back what may be the start of a stop string, or half of a character
      safe = Math.max(q.emitted, text.length() - Math.max(0, longestStop - 1));
      while (safe > q.emitted
          && (text.charAt(safe - 1) == '\uFFFD'
              || Character.isHighSurrogate(text.charAt(safe - 1)))) {
        safe--;
      }
    }
    if (safe > q.emitted) {
      q.job.delta(q.choice, text.substring(q.emitted, safe));
      q.emitted = safe;
    }
    if (finish != null) {
      q.done = true;
      if (finish.equals("cancelled")) cancelledSequences.incrementAndGet();
      q.job.finish(q.choice, text, finish, generated, 0);
    }
  }

  private void runAgent(List<Job> jobs) {
    List<Job> owner = new ArrayList<>();
    List<Integer> choice = new ArrayList<>();
    List<int[]> prompts = new ArrayList<>();
    List<SamplingConfig> sampling = new ArrayList<>();
    for (Job j : jobs) {
      for (int c = 0; c < j.request.choices(); c++) {
        owner.add(j);
        choice.add(c);
        prompts.add(j.request.prompt(c));
        sampling.add(j.request.sampling(c));
      }
    }
    RolloutEngine.Listener listener =
        new RolloutEngine.Listener() {
          @Override
          public void generated(int seq, String text) {
            owner.get(seq).delta(choice.get(seq), text);
          }

          @Override
          public void toolResult(int seq, String input, String inserted) {
            owner.get(seq).delta(choice.get(seq), inserted);
          }

          @Override
          public boolean cancelled(int seq) {
            return owner.get(seq).cancelled() || closed;
          }
        };
    int maxTokens = jobs.getFirst().request.maxTokens();
    List<Rollout> out =
        agent.run(
            prompts,
            sampling,
            new RolloutEngine.Config(maxTokens, config.maxSearches(), SamplingConfig.greedy()),
            listener);
    for (int s = 0; s < out.size(); s++) {
      Rollout r = out.get(s);
      Job j = owner.get(s);
      String finish = r.finished() ? "stop" : j.cancelled() ? "cancelled" : "length";
      if (finish.equals("cancelled")) cancelledSequences.incrementAndGet();
      j.finish(choice.get(s), r.text(), finish, r.response().length, r.toolCalls());
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(60_000); // the batch in hand halts at its next step
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Job j; (j = queue.poll()) != null; ) j.fail("the server is shutting down");
  }
}
