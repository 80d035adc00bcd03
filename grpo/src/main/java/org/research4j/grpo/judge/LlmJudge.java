package org.research4j.grpo.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * LLM-as-judge, the paper's second metric: a judge model reads the question, the golden answers and
 * the prediction and says whether the prediction is correct (yes or no). Exact match misses correct
 * answers worded differently; the judge does not.
 *
 * <p>Any OpenAI-compatible endpoint ({@code POST <url>/chat/completions}, greedy), {@link
 * JudgeConfig#concurrency} requests at once, retries with exponential backoff on 429, 5xx, a body
 * that is not a chat completion, and timeouts; every verdict cached by its three texts, so that a
 * prediction met twice (two methods, a rerun) is judged once. A reply that is neither yes nor no is
 * {@link Verdict.Kind#UNPARSEABLE}, a request that never got a reply {@link Verdict.Kind#FAILED};
 * both count as not correct, and both are counted ({@link #stats}).
 */
public final class LlmJudge implements AutoCloseable {
  /** The system turn: the judge's task. */
  public static final String SYSTEM = "You are a strict and fair grader of answers to questions.";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One thing to judge. */
  public record Item(String question, List<String> golden, String prediction) {
    public Item {
      golden = List.copyOf(golden);
    }
  }

  /** A verdict and the judge's reply it was read from (null when there was none). */
  public record Verdict(Kind kind, String reply) {
    public enum Kind {
      YES,
      NO,
      UNPARSEABLE,
      FAILED
    }

    public boolean correct() {
      return kind == Kind.YES;
    }
  }

  /** Counts since this judge was made. */
  public record Stats(
      int judged, int requests, int cacheHits, int retries, int unparseable, int failed) {}

  private final JudgeConfig config;
  private final HttpClient client;
  private final URI endpoint;
  private final ConcurrentHashMap<String, Verdict> cache = new ConcurrentHashMap<>();
  private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
  private final Semaphore slots;
  private final AtomicInteger judged = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger hits = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final AtomicInteger unparseable = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();

  public LlmJudge(JudgeConfig config) {
    this.config = config;
    String base =
        config.url().endsWith("/")
            ? config.url().substring(0, config.url().length() - 1)
            : config.url();
    this.endpoint = URI.create(base + "/chat/completions");
    this.client = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    this.slots = new Semaphore(config.concurrency());
  }

  /**
   * The judge prompt: the question, the golden answers (any one of them is correct) and the
   * prediction, and the instruction to answer yes or no only.
   */
  public static String prompt(String question, List<String> golden, String prediction) {
    StringBuilder g = new StringBuilder();
    for (String a : golden) g.append("- ").append(a.strip()).append('\n');
    return "Judge whether the predicted answer to the question is correct. The golden answers are all"
        + " correct answers to the question; the prediction is correct if it means the same as any of"
        + " them, even when worded differently.\n\n"
        + "Question: "
        + question.strip()
        + "\n"
        + "Golden answers:\n"
        + g
        + "Predicted answer: "
        + prediction.strip()
        + "\n\n"
        + "Is the predicted answer correct? Answer with one word: yes or no.";
  }

  /**
   * The verdict in a reply: its first word, case and punctuation aside, yes or no (a reply that is
   * a quoted or bold "Yes." counts); anything else is unparseable.
   */
  public static Verdict.Kind parse(String reply) {
    if (reply == null) return Verdict.Kind.UNPARSEABLE;
    String[] words = reply.strip().toLowerCase(Locale.ROOT).split("[^a-z]+");
    for (String w : words) {
      if (w.isEmpty()) continue;
      return w.equals("yes")
          ? Verdict.Kind.YES
          : w.equals("no") ? Verdict.Kind.NO : Verdict.Kind.UNPARSEABLE;
    }
    return Verdict.Kind.UNPARSEABLE;
  }

  /** Verdicts for {@code items}, in order, {@link JudgeConfig#concurrency} at a time. */
  public List<Verdict> judge(List<Item> items) {
    List<Future<Verdict>> futures = new ArrayList<>(items.size());
    for (Item it : items) futures.add(pool.submit(() -> judge(it)));
    List<Verdict> out = new ArrayList<>(items.size());
    for (Future<Verdict> f : futures) {
      try {
        out.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while judging", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("judging failed: " + e.getCause(), e.getCause());
      }
    }
    return out;
  }

  /** One verdict (from the cache when these three texts were judged before). */
  public Verdict judge(Item item) throws InterruptedException {
    judged.incrementAndGet();
    String key =
        item.question()
            + '\u0000'
            + String.join("\u0001", item.golden())
            + '\u0000'
            + item.prediction();
    Verdict cached = cache.get(key);
    if (cached != null) {
      hits.incrementAndGet();
      count(cached);
      return cached;
    }
    slots.acquire();
    Verdict v;
    try {
      v = ask(prompt(item.question(), item.golden(), item.prediction()));
    } finally {
      slots.release();
    }
    if (v.kind() != Verdict.Kind.FAILED) cache.put(key, v);
    count(v);
    return v;
  }

  private void count(Verdict v) {
    if (v.kind() == Verdict.Kind.UNPARSEABLE) unparseable.incrementAndGet();
    if (v.kind() == Verdict.Kind.FAILED) failed.incrementAndGet();
  }

  private Verdict ask(String prompt) throws InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", config.model());
    var messages = body.putArray("messages");
    messages.addObject().put("role", "system").put("content", SYSTEM);
    messages.addObject().put("role", "user").put("content", prompt);
    body.put("temperature", 0);
    body.put("max_tokens", config.maxTokens());
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(endpoint)
            .timeout(config.timeout())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (config.apiKey() != null && !config.apiKey().isEmpty())
      rb.header("Authorization", "Bearer " + config.apiKey());
    HttpRequest req = rb.build();
    String last = "no reply";
    for (int attempt = 0; attempt <= config.maxRetries(); attempt++) {
      if (attempt > 0) retries.incrementAndGet();
      long waitMillis = config.backoff().toMillis() << Math.min(attempt, 20);
      requests.incrementAndGet();
      HttpResponse<String> resp;
      try {
        resp = client.send(req, HttpResponse.BodyHandlers.ofString());
      } catch (HttpTimeoutException e) {
        last = "no reply within " + config.timeout().toMillis() + " ms";
        sleepBefore(attempt, waitMillis);
        continue;
      } catch (IOException e) {
        last = "request failed: " + e;
        sleepBefore(attempt, waitMillis);
        continue;
      }
      int status = resp.statusCode();
      if (status == 429 || status >= 500) {
        last = "HTTP " + status;
        String after = resp.headers().firstValue("Retry-After").orElse(null);
        if (after != null) {
          try {
            waitMillis =
                Math.max(
                    waitMillis,
                    Math.min(60_000, (long) (Double.parseDouble(after.strip()) * 1000)));
          } catch (NumberFormatException ignored) {
            // an HTTP date: keep the backoff
          }
        }
        sleepBefore(attempt, waitMillis);
        continue;
      }
      if (status != 200) {
        return new Verdict(
            Verdict.Kind.FAILED, "HTTP " + status + ": " + resp.body()); // a 4xx will not change
      }
      String reply;
      try {
        JsonNode content =
            JSON.readTree(resp.body()).path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) throw new IOException("no choices[0].message.content");
        reply = content.asText();
      } catch (IOException e) {
        last = "malformed reply: " + e.getMessage();
        sleepBefore(attempt, waitMillis);
        continue;
      }
      return new Verdict(parse(reply), reply);
    }
    return new Verdict(Verdict.Kind.FAILED, last);
  }

  private void sleepBefore(int attempt, long millis) throws InterruptedException {
    if (attempt < config.maxRetries()) Thread.sleep(millis);
  }

  public Stats stats() {
    return new Stats(
        judged.get(), requests.get(), hits.get(), retries.get(), unparseable.get(), failed.get());
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
