package org.research4j.grpo.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.research4j.grpo.serve.ServeFixtures.get;
import static org.research4j.grpo.serve.ServeFixtures.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * serve-model over real HTTP on loopback: every reply is checked against the same model run
 * directly (greedy text token for token), streams against the whole reply, the batch against each
 * request alone, the agent against the trace its model was taught; and each refusal's status and
 * OpenAI error object.
 */
class ModelServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ChatTemplate CHAT = ChatTemplate.chatml(null);

  private static ModelServer serve(
      ServeFixtures.Loaded m, ServeConfig config, ServeFixtures.Passages tool) throws Exception {
    return ModelServer.start(
        m.model(), m.tokenizer(), Set.of(m.eos()), CHAT, PromptTemplate.bare(), tool, config);
  }

  private static String chat(String model, String user, String extra) {
    return "{\"model\": \""
        + model
        + "\", \"messages\": [{\"role\": \"user\", \"content\": \""
        + user
        + "\"}]"
        + (extra.isEmpty() ? "" : ", " + extra)
        + "}";
  }

  private static String prompt(String user) {
    return CHAT.render(List.of(ChatMessage.user(user)), true);
  }

  @Test
  void chatAndCompletionsAnswerWhatTheModelGenerates() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s = serve(m, ServeConfig.defaults("tiny"), null)) {
      String want = ServeFixtures.greedy(m, prompt("Where is Kesto?"), 12);
      HttpResponse<String> r =
          post(
              s.url() + "/v1/chat/completions",
              chat("tiny", "Where is Kesto?", "\"max_tokens\": 12, \"temperature\": 0"));
      assertEquals(200, r.statusCode(), r.body());
      JsonNode body = JSON.readTree(r.body());
      assertEquals("chat.completion", body.get("object").asText());
      assertEquals("tiny", body.get("model").asText());
      JsonNode choice = body.get("choices").get(0);
      assertEquals("assistant", choice.get("message").get("role").asText());
      assertEquals(want, choice.get("message").get("content").asText());
      assertEquals("length", choice.get("finish_reason").asText());
      assertEquals(
          m.tokenizer().encode(prompt("Where is Kesto?")).length,
          body.get("usage").get("prompt_tokens").asInt());
      assertEquals(12, body.get("usage").get("completion_tokens").asInt());

      // a stop string cuts the text before its first occurrence
      String stop = want.substring(4, 6);
      r =
          post(
              s.url() + "/v1/chat/completions",
              chat(
                  "tiny",
                  "Where is Kesto?",
                  "\"max_tokens\": 12, \"temperature\": 0, \"stop\": [\""
                      + JSON.writeValueAsString(stop).replace("\"", "")
                      + "\"]"));
      choice = JSON.readTree(r.body()).get("choices").get(0);
      assertEquals(
          want.substring(0, want.indexOf(stop)), choice.get("message").get("content").asText());
      assertEquals("stop", choice.get("finish_reason").asText());

      // completions: the prompt as is
      String raw = "Oru is a country";
      r =
          post(
              s.url() + "/v1/completions",
              "{\"model\": \"tiny\", \"prompt\": \""
                  + raw
                  + "\", \"max_tokens\": 9,"
                  + " \"temperature\": 0}");
      assertEquals(200, r.statusCode(), r.body());
      body = JSON.readTree(r.body());
      assertEquals("text_completion", body.get("object").asText());
      assertEquals(
          ServeFixtures.greedy(m, raw, 9), body.get("choices").get(0).get("text").asText());

      // n samples with a seed: n different choices, the same again for the same seed
      String sampled =
          chat(
              "tiny",
              "Where is Kesto?",
              "\"max_tokens\": 10, \"n\": 3, \"seed\": 11, \"temperature\": 1");
      JsonNode a =
          JSON.readTree(post(s.url() + "/v1/chat/completions", sampled).body()).get("choices");
      JsonNode b =
          JSON.readTree(post(s.url() + "/v1/chat/completions", sampled).body()).get("choices");
      assertEquals(3, a.size());
      assertEquals(a, b, "a seeded request repeats");
      assertNotEquals(
          a.get(0).get("message"), a.get(1).get("message"), "the n choices are drawn apart");
    }
  }

  /** The data lines of a server-sent event stream. */
  private static List<JsonNode> events(String body) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    String[] parts = body.split("\n\n");
    assertEquals("data: [DONE]", parts[parts.length - 1].strip(), "the stream ends with [DONE]");
    for (int i = 0; i < parts.length - 1; i++) {
      assertTrue(parts[i].startsWith("data: "), parts[i]);
      out.add(JSON.readTree(parts[i].substring(6)));
    }
    return out;
  }

  @Test
  void streamsConcatenateToTheWholeReply() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s = serve(m, ServeConfig.defaults("tiny"), null)) {
      String want = ServeFixtures.greedy(m, prompt("Who founded Kesto?"), 20);
      HttpResponse<String> r =
          post(
              s.url() + "/v1/chat/completions",
              chat(
                  "tiny",
                  "Who founded Kesto?",
                  "\"max_tokens\": 20, \"temperature\": 0, \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
      List<JsonNode> ev = events(r.body());
      assertEquals(
          "assistant", ev.getFirst().get("choices").get(0).get("delta").get("role").asText());
      StringBuilder text = new StringBuilder();
      int pieces = 0;
      String finish = null;
      for (JsonNode e : ev) {
        assertEquals("chat.completion.chunk", e.get("object").asText());
        if (e.get("choices").isEmpty()) continue;
        JsonNode c = e.get("choices").get(0);
        if (c.get("delta").has("content") && !c.get("delta").get("content").asText().isEmpty())
          pieces++;
        text.append(c.get("delta").path("content").asText(""));
        if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
      }
      assertEquals(want, text.toString());
      assertTrue(pieces > 3, "the text arrives in pieces, got " + pieces);
      assertEquals("length", finish);
      assertEquals(20, ev.getLast().get("usage").get("completion_tokens").asInt());

      r =
          post(
              s.url() + "/v1/completions",
              "{\"prompt\": \"Dask\", \"max_tokens\": 15, \"temperature\": 0,"
                  + " \"stream\": true}");
      StringBuilder completion = new StringBuilder();
      for (JsonNode e : events(r.body()))
        completion.append(e.get("choices").get(0).get("text").asText());
      assertEquals(ServeFixtures.greedy(m, "Dask", 15), completion.toString());
    }
  }

  @Test
  void concurrentRequestsShareOneBatchAndAnswerAsAlone() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    List<String> questions =
        List.of(
            "Where is Kesto?",
            "Who founded it?",
            "What is Oru?",
            "Dask?",
            "Is Varemo a city?",
            "Kesto Oru Dask");
    try (ModelServer s = serve(m, ServeConfig.defaults("tiny").withLimits(1 << 20, 4, 500), null);
        ExecutorService pool = Executors.newFixedThreadPool(questions.size())) {
      List<Future<HttpResponse<String>>> replies = new ArrayList<>();
      for (String q : questions) {
        replies.add(
            pool.submit(
                () ->
                    post(
                        s.url() + "/v1/chat/completions",
                        chat("tiny", q, "\"max_tokens\": 8, \"temperature\": 0"))));
      }
      for (int i = 0; i < questions.size(); i++) {
        JsonNode body = JSON.readTree(replies.get(i).get().body());
        assertEquals(
            ServeFixtures.greedy(m, prompt(questions.get(i)), 8),
            body.get("choices").get(0).get("message").get("content").asText(),
            questions.get(i));
      }
      JsonNode health = JSON.readTree(get(s.url() + "/health").body());
      assertEquals(6, health.get("sequences").asInt());
      assertEquals(
          4, health.get("largest_batch").asInt(), "the batch bound is 4 sequences: " + health);
      assertTrue(health.get("batches").asInt() <= 3, "6 requests in at most 3 batches: " + health);
    }
  }

  @Test
  void aClientThatLeavesMidStreamFreesItsSlot() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s = serve(m, ServeConfig.defaults("tiny"), null)) {
      String body =
          chat(
              "tiny",
              "Where is Kesto?",
              "\"max_tokens\": 900, \"temperature\": 0, \"stream\": true");
      try (Socket socket = new Socket("127.0.0.1", s.port())) {
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        int data = 0;
        for (String line; data < 3 && (line = in.readLine()) != null; ) {
          if (line.contains("data: ")) data++;
        }
        assertEquals(3, data);
      }
      JsonNode health = null;
      for (int i = 0; i < 200; i++) {
        health = JSON.readTree(get(s.url() + "/health").body());
        if (health.get("cancelled").asInt() == 1 && health.get("running").asInt() == 0) break;
        Thread.sleep(20);
      }
      assertEquals(
          1, health.get("cancelled").asInt(), "the stream's sequence was halted: " + health);
      assertEquals(0, health.get("running").asInt());
      // the server goes on serving
      HttpResponse<String> r =
          post(s.url() + "/v1/chat/completions", chat("tiny", "Dask?", "\"max_tokens\": 3"));
      assertEquals(200, r.statusCode(), r.body());
    }
  }

  private static void assertError(
      HttpResponse<String> r, int status, String param, String code, String inMessage)
      throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = JSON.readTree(r.body()).get("error");
    assertTrue(e.get("message").asText().contains(inMessage), e.toString());
    assertTrue(e.has("type") && e.has("param") && e.has("code"), e.toString());
    assertEquals(param, e.get("param").isNull() ? null : e.get("param").asText(), e.toString());
    assertEquals(code, e.get("code").isNull() ? null : e.get("code").asText(), e.toString());
  }

  @Test
  void refusalsAreOpenAiErrorObjects() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s =
        serve(
            m, ServeConfig.defaults("tiny").withLimits(2000, 8, 0), new ServeFixtures.Passages())) {
      String chatUrl = s.url() + "/v1/chat/completions";
      assertError(post(chatUrl, "{\"messages\": [}"), 400, null, "invalid_json", "not valid JSON");
      assertError(
          post(chatUrl, "[1, 2]"), 400, null, "invalid_json", "must be a JSON object, got a list");
      assertError(
          post(chatUrl, "{\"model\": \"tiny\", \"messages\": \"" + "x".repeat(3000) + "\"}"),
          413,
          null,
          "request_too_large",
          "at most 2000");
      assertError(
          post(chatUrl, chat("gpt-4", "hi", "")),
          404,
          "model",
          "model_not_found",
          "`gpt-4` does not exist");
      assertError(
          post(chatUrl, chat("tiny", "hi", "\"max_tokens\": 5000")),
          400,
          "max_tokens",
          "context_length_exceeded",
          "maximum context length is 1024 tokens");
      assertError(
          post(chatUrl, chat("tiny", "x ".repeat(900), "")),
          400,
          "messages",
          "context_length_exceeded",
          "maximum context length is 1024");
      assertError(
          post(chatUrl, chat("tiny", "hi", "\"temperature\": \"hot\"")),
          400,
          "temperature",
          null,
          "temperature must be a number");
      assertError(
          post(chatUrl, "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}"),
          400,
          "messages[0].role",
          null,
          "got \"wizard\"");
      assertError(
          post(chatUrl, chat("tiny", "hi", "\"n\": 9")),
          400,
          "n",
          null,
          "n must be an integer in 1..8");
      assertError(get(chatUrl), 405, null, "method_not_allowed", "use POST");
      assertError(
          get(s.url() + "/v2/engines"), 404, null, "not_found", "no endpoint GET /v2/engines");

      JsonNode models = JSON.readTree(get(s.url() + "/v1/models").body());
      assertEquals("list", models.get("object").asText());
      assertEquals(List.of("tiny", "tiny-agent"), models.get("data").findValuesAsText("id"));
      assertEquals(1024, models.get("data").get(0).get("max_model_len").asInt());
      JsonNode health = JSON.readTree(get(s.url() + "/health").body());
      assertEquals("ok", health.get("status").asText());
      assertEquals(0, health.get("sequences").asInt(), "no refused request reached the model");
    }
  }

  @Test
  void agentModeRunsTheSearchLoopAndReturnsTheTrace() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.taught();
    ServeFixtures.Passages tool = new ServeFixtures.Passages();
    try (ModelServer s = serve(m, ServeConfig.defaults("taught"), tool)) {
      String body =
          chat("taught-agent", ServeFixtures.QUESTION, "\"max_tokens\": 64, \"temperature\": 0");
      HttpResponse<String> r = post(s.url() + "/v1/chat/completions", body);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
      assertEquals(ServeFixtures.TRACE, choice.get("message").get("content").asText());
      assertEquals("stop", choice.get("finish_reason").asText());
      assertEquals(List.of("Kesto"), tool.calls);
      JsonNode research = choice.get("research");
      assertEquals("Varemo", research.get("answer").asText());
      assertEquals(List.of("Kesto"), List.of(research.get("searches").get(0).asText()));
      assertEquals(
          List.of("think", "search", "result", "think", "answer"),
          research.get("turns").findValuesAsText("type"));

      // streamed: the turns arrive one by one and add up to the same trace
      r = post(s.url() + "/v1/chat/completions", body.replace("}]", "}], \"stream\": true"));
      StringBuilder text = new StringBuilder();
      int pieces = 0;
      JsonNode last = null;
      for (JsonNode e : events(r.body())) {
        JsonNode c = e.get("choices").get(0);
        String d = c.get("delta").path("content").asText("");
        if (!d.isEmpty()) pieces++;
        text.append(d);
        if (!c.get("finish_reason").isNull()) last = c;
      }
      assertEquals(ServeFixtures.TRACE, text.toString());
      assertEquals(3, pieces, "model text to the search, the result, model text to the answer");
      assertEquals("Varemo", last.get("research").get("answer").asText());

      // the plain model name generates without the tool
      tool.calls.clear();
      r =
          post(
              s.url() + "/v1/chat/completions",
              chat("taught", ServeFixtures.QUESTION, "\"max_tokens\": 12, \"temperature\": 0"));
      assertEquals(
          ServeFixtures.greedy(m, PromptTemplate.bare().render(ServeFixtures.QUESTION), 12),
          JSON.readTree(r.body()).get("choices").get(0).get("message").get("content").asText());
      assertEquals(List.of(), tool.calls);
    }
  }
}
