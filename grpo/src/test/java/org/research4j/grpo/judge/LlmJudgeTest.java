package org.research4j.grpo.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.judge.LlmJudge.Item;
import org.research4j.grpo.judge.LlmJudge.Verdict.Kind;

/**
 * The judge client against a local server that misbehaves on purpose (by the prediction it is
 * sent): slow past the timeout once, 429 twice, a body that is not JSON once, a reply neither yes
 * nor no, always 503; with the cache, the concurrency bound and the prompt checked at the server.
 */
class LlmJudgeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Counts the tries of each prediction and the most requests in flight at once. */
  private static final class Misbehaving implements AutoCloseable {
    final HttpServer server;
    final Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();
    final Set<String> prompts = ConcurrentHashMap.newKeySet();
    final Set<String> auth = ConcurrentHashMap.newKeySet();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();

    /** Whether the handler thread's current request still counts in {@link #inFlight}. */
    private final ThreadLocal<Boolean> counted = ThreadLocal.withInitial(() -> Boolean.FALSE);

    Misbehaving() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.createContext("/v1/chat/completions", this::handle);
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    private void handle(HttpExchange ex) throws IOException {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      // A request stops counting as in flight before its reply is sent: once the client has the
      // reply it may start the next request before this thread gets past the reply.
      counted.set(Boolean.TRUE);
      try {
        JsonNode body = JSON.readTree(ex.getRequestBody());
        String prompt = body.get("messages").get(1).get("content").asText();
        prompts.add(prompt);
        auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
        String prediction =
            prompt.substring(
                prompt.indexOf("Predicted answer: ") + 18, prompt.indexOf("\n\nIs the"));
        int n = tries.computeIfAbsent(prediction, k -> new AtomicInteger()).incrementAndGet();
        switch (prediction) {
          case "slow" -> {
            if (n == 1) sleep(1500);
            reply(ex, 200, completion("Yes"));
          }
          case "rate" -> {
            if (n <= 2) {
              ex.getResponseHeaders().set("Retry-After", "0");
              reply(ex, 429, "{\"error\": {\"message\": \"slow down\"}}");
            } else {
              reply(ex, 200, completion("No."));
            }
          }
          case "garbled" ->
              reply(ex, 200, n == 1 ? "{\"choices\": [{\"mess" : completion("**yes**"));
          case "maybe" -> reply(ex, 200, completion("Perhaps, it depends."));
          case "down" -> reply(ex, 503, "busy");
          default -> {
            sleep(100);
            reply(ex, 200, completion(prediction.startsWith("right") ? "yes" : "no"));
          }
        }
      } finally {
        done(ex);
      }
    }

    private void done(HttpExchange ex) {
      if (counted.get()) {
        counted.set(Boolean.FALSE);
        inFlight.decrementAndGet();
      }
    }

    private static String completion(String content) {
      return "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": "
          + JSON.valueToTree(content)
          + "}, \"finish_reason\": \"stop\"}]}";
    }

    private void reply(HttpExchange ex, int status, String body) throws IOException {
      done(ex);
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      } catch (IOException gone) {
        // the client timed out and left
      }
    }

    private static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void retriesTimesOutCountsUnparseableAndCaches() throws Exception {
    try (Misbehaving srv = new Misbehaving();
        LlmJudge judge =
            new LlmJudge(
                JudgeConfig.of(srv.url(), "judge", "k")
                    .withRetries(3, Duration.ofMillis(10))
                    .withTimeout(Duration.ofMillis(700))
                    .withConcurrency(2))) {
      List<Item> items =
          List.of(
              new Item("Who founded Kesto?", List.of("Varemo", "Varemo the Elder"), "slow"),
              new Item("q", List.of("a"), "rate"),
              new Item("q", List.of("a"), "garbled"),
              new Item("q", List.of("a"), "maybe"),
              new Item("q", List.of("a"), "down"));
      List<LlmJudge.Verdict> v = judge.judge(items);
      assertEquals(
          List.of(Kind.YES, Kind.NO, Kind.YES, Kind.UNPARSEABLE, Kind.FAILED),
          v.stream().map(LlmJudge.Verdict::kind).toList());
      assertEquals(2, srv.tries.get("slow").get(), "one timeout, then the answer");
      assertEquals(3, srv.tries.get("rate").get(), "two 429s, then the answer");
      assertEquals(2, srv.tries.get("garbled").get(), "a body that is not JSON is retried");
      assertEquals(
          1, srv.tries.get("maybe").get(), "an unparseable verdict is an answer, not retried");
      assertEquals(4, srv.tries.get("down").get(), "the first try and 3 retries");
      assertEquals("Perhaps, it depends.", v.get(3).reply());
      assertTrue(v.get(4).reply().contains("HTTP 503"), v.get(4).reply());
      LlmJudge.Stats s = judge.stats();
      assertEquals(1, s.unparseable());
      assertEquals(1, s.failed());
      assertEquals(1 + 2 + 1 + 0 + 3, s.retries());
      assertEquals(Set.of("Bearer k"), srv.auth);
      assertTrue(
          srv.prompts.contains(
              LlmJudge.prompt(
                  "Who founded Kesto?", List.of("Varemo", "Varemo the Elder"), "slow")));

      // the same three texts again: from the cache, no request; a failure is not cached
      int before = srv.tries.values().stream().mapToInt(AtomicInteger::get).sum();
      assertEquals(Kind.NO, judge.judge(items.get(1)).kind());
      assertEquals(before, srv.tries.values().stream().mapToInt(AtomicInteger::get).sum());
      assertEquals(1, judge.stats().cacheHits());
      assertEquals(Kind.FAILED, judge.judge(items.get(4)).kind());
      assertEquals(8, srv.tries.get("down").get());
    }
  }

  @Test
  void keepsToItsConcurrency() throws Exception {
    try (Misbehaving srv = new Misbehaving();
        LlmJudge judge =
            new LlmJudge(JudgeConfig.of(srv.url() + "/", "judge", null).withConcurrency(3))) {
      List<Item> items = new java.util.ArrayList<>();
      for (int i = 0; i < 9; i++)
        items.add(new Item("q" + i, List.of("a"), (i % 2 == 0 ? "right " : "wrong ") + i));
      List<LlmJudge.Verdict> v = judge.judge(items);
      for (int i = 0; i < 9; i++) assertEquals(i % 2 == 0, v.get(i).correct(), "item " + i);
      assertEquals(3, srv.maxInFlight.get(), "3 requests in flight at most, and the pool filled");
      assertEquals(Set.of("null"), srv.auth, "no key, no Authorization header");
    }
  }

  @Test
  void readsTheFirstWordAsTheVerdict() {
    assertEquals(Kind.YES, LlmJudge.parse("Yes."));
    assertEquals(Kind.YES, LlmJudge.parse("  **YES** the prediction matches"));
    assertEquals(Kind.NO, LlmJudge.parse("no"));
    assertEquals(Kind.NO, LlmJudge.parse("\"No\", because..."));
    assertEquals(Kind.UNPARSEABLE, LlmJudge.parse("The answer is yes"));
    assertEquals(Kind.UNPARSEABLE, LlmJudge.parse("noted"));
    assertEquals(Kind.UNPARSEABLE, LlmJudge.parse(""));
  }
}
