package org.research4j.search.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.flashrag.CorpusWriter;
import org.research4j.search.flashrag.Json;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Hit;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.search.index.Searcher;

class RetrievalServerTest {
  private static final int MAX_BODY = 4096;
  @TempDir static Path tmp;
  private static Searcher searcher;
  private static RetrievalServer server;
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws IOException {
    Path corpus = tmp.resolve("corpus.jsonl");
    try (CorpusWriter out = new CorpusWriter(corpus)) {
      for (int i = 0; i < 40; i++) {
        out.write(
            Passage.of(
                "p" + i,
                "City " + i,
                "City " + i + " is a city in Velor. Its mayor was person" + i + "."));
      }
    }
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    searcher = Searcher.open(tmp.resolve("idx"));
    server =
        RetrievalServer.start(
            searcher,
            ServerOptions.defaults().withAddress("127.0.0.1", 0).withMaxBodyBytes(MAX_BODY));
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
    searcher.close();
  }

  private record Reply(int status, JsonNode json, HttpResponse<String> raw) {}

  private static Reply post(String path, String body) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(server.url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), Json.MAPPER.readTree(r.body()), r);
  }

  private static Reply get(String path) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), Json.MAPPER.readTree(r.body()), r);
  }

  private static void assertDocument(JsonNode doc, Hit expected) {
    assertEquals(2, doc.size(), "a document is exactly {id, contents}: " + doc);
    assertEquals(expected.id(), doc.get("id").asText());
    assertEquals(expected.contents(), doc.get("contents").asText());
  }

  @Test
  void retrieveAnswersInSearchR1Shape() throws Exception {
    Reply r =
        post(
            "/retrieve",
            "{\"queries\": [\"mayor person7\", \"City 12 Velor\"], \"topk\": 2, \"return_scores\": true}");
    assertEquals(200, r.status());
    assertEquals("application/json", r.raw().headers().firstValue("Content-Type").orElse(""));
    JsonNode result = r.json().get("result");
    assertEquals(2, result.size());
    List<List<Hit>> want = searcher.search(List.of("mayor person7", "City 12 Velor"), 2);
    for (int q = 0; q < 2; q++) {
      assertEquals(2, result.get(q).size());
      for (int i = 0; i < 2; i++) {
        JsonNode item = result.get(q).get(i);
        assertDocument(item.get("document"), want.get(q).get(i));
        assertEquals(want.get(q).get(i).score(), item.get("score").floatValue(), 0f);
      }
    }
    assertEquals("p7", result.get(0).get(0).get("document").get("id").asText());

    Reply plain = post("/retrieve", "{\"queries\": [\"person3\"]}");
    assertEquals(200, plain.status());
    JsonNode docs = plain.json().get("result").get(0);
    assertEquals(1, docs.size(), "only one passage mentions person3");
    assertDocument(docs.get(0), searcher.search("person3", 3).getFirst());
    Reply defaults = post("/retrieve", "{\"queries\": [\"city\"], \"topk\": null}");
    assertEquals(3, defaults.json().get("result").get(0).size(), "Search-R1's default topk is 3");
  }

  @Test
  void searchAndBatchSearchAnswerInReSearchShape() throws Exception {
    Reply one = post("/search", "{\"query\": \"Velor city\"}");
    assertEquals(200, one.status());
    assertTrue(one.json().isArray());
    assertEquals(10, one.json().size(), "FlashRAG's default top_n is 10");
    List<Hit> want = searcher.search("Velor city", 10);
    for (int i = 0; i < 10; i++) {
      assertDocument(one.json().get(i), want.get(i));
    }
    Reply scored =
        post("/search", "{\"query\": \"person5\", \"top_n\": 3, \"return_score\": true}");
    assertEquals(2, scored.json().size(), "[documents, scores]");
    assertEquals(1, scored.json().get(0).size());
    assertEquals("p5", scored.json().get(0).get(0).get("id").asText());
    assertEquals(
        searcher.search("person5", 3).getFirst().score(),
        scored.json().get(1).get(0).floatValue(),
        0f);

    Reply batch =
        post("/batch_search", "{\"query\": [\"person1\", \"person2\", \"city\"], \"top_n\": 4}");
    assertEquals(3, batch.json().size());
    assertEquals("p1", batch.json().get(0).get(0).get("id").asText());
    assertEquals("p2", batch.json().get(1).get(0).get("id").asText());
    assertEquals(4, batch.json().get(2).size());
    Reply batchScored =
        post(
            "/batch_search",
            "{\"query\": [\"person1\", \"city\"], \"top_n\": 4, \"return_score\": true}");
    assertEquals(2, batchScored.json().size(), "[document lists, score lists]");
    assertEquals(2, batchScored.json().get(1).size());
    assertEquals(4, batchScored.json().get(1).get(1).size());
  }

  @Test
  void healthReportsTheIndex() throws Exception {
    Reply h = get("/health");
    assertEquals(200, h.status());
    assertEquals("healthy", h.json().get("status").asText());
    assertEquals(40, h.json().get("passages").asInt());
    assertEquals(0.9, h.json().get("k1").asDouble(), 1e-6);
  }

  private static void assertError(Reply r, int status, String code, String... phrases) {
    assertEquals(status, r.status(), r.raw().body());
    assertEquals("application/json", r.raw().headers().firstValue("Content-Type").orElse(""));
    assertEquals(code, r.json().get("error").asText(), r.raw().body());
    String detail = r.json().get("detail").asText();
    for (String p : phrases) {
      assertTrue(detail.contains(p), "\"" + detail + "\" should mention " + p);
    }
  }

  @Test
  void everyKindOfBadRequestGetsA4xxJsonErrorAndTheServerKeepsServing() throws Exception {
    assertError(post("/retrieve", "{\"queries\": ["), 400, "bad_request", "invalid JSON");
    assertError(post("/retrieve", ""), 400, "bad_request", "empty body");
    assertError(post("/retrieve", "[\"q\"]"), 400, "bad_request", "JSON object");
    assertError(post("/retrieve", "{}"), 422, "invalid_request", "missing field \"queries\"");
    assertError(
        post("/retrieve", "{\"queries\": \"q\"}"), 422, "invalid_request", "\"queries\"", "list");
    assertError(post("/retrieve", "{\"queries\": []}"), 422, "invalid_request", "empty list");
    assertError(
        post("/retrieve", "{\"queries\": [\"ok\", \"  \"]}"),
        422,
        "invalid_request",
        "queries[1]",
        "empty");
    assertError(
        post("/retrieve", "{\"queries\": [\"ok\", 7]}"),
        422,
        "invalid_request",
        "queries[1]",
        "string");
    assertError(
        post("/retrieve", "{\"queries\": [\"q\"], \"topk\": 0}"),
        422,
        "invalid_request",
        "topk",
        "between 1 and 100");
    assertError(
        post("/retrieve", "{\"queries\": [\"q\"], \"topk\": 101}"), 422, "invalid_request", "topk");
    assertError(
        post("/retrieve", "{\"queries\": [\"q\"], \"topk\": \"3\"}"),
        422,
        "invalid_request",
        "topk");
    assertError(
        post("/retrieve", "{\"queries\": [\"q\"], \"topk\": 2.5}"), 422, "invalid_request", "topk");
    assertError(
        post("/retrieve", "{\"queries\": [\"q\"], \"topk\": 1e30}"),
        422,
        "invalid_request",
        "topk");
    assertError(
        post("/retrieve", "{\"queries\": [\"q\"], \"return_scores\": \"yes\"}"),
        422,
        "invalid_request",
        "return_scores");
    assertError(
        post("/search", "{\"top_n\": 3}"), 422, "invalid_request", "missing field \"query\"");
    assertError(post("/search", "{\"query\": \"\"}"), 422, "invalid_request", "empty");
    assertError(
        post("/search", "{\"query\": \"" + "w ".repeat(6000) + "\"}"),
        413,
        "payload_too_large",
        "at most " + MAX_BODY);
    assertError(
        post("/batch_search", "{\"query\": \"not a list\"}"), 422, "invalid_request", "list");
    assertError(get("/retrieve"), 405, "method_not_allowed", "POST");
    assertEquals("POST", get("/retrieve").raw().headers().firstValue("Allow").orElse(""));
    assertError(post("/health", "{}"), 405, "method_not_allowed", "GET");
    assertError(get("/nope"), 404, "not_found", "/retrieve", "/batch_search");

    assertEquals(200, get("/health").status());
    assertEquals(
        "p9",
        post("/retrieve", "{\"queries\": [\"person9\"]}")
            .json()
            .get("result")
            .get(0)
            .get(0)
            .get("id")
            .asText());
  }

  @Test
  void aBodyLargerThanTheLimitIsRefusedBeforeItIsRead() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /retrieve HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 1000000000\r\n\r\n{\"queries\": [")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", head);
    }
    assertEquals(200, get("/health").status());
  }

  @Test
  void concurrentRequestsAllSucceed() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      inFlight.add(
          client.sendAsync(
              HttpRequest.newBuilder(URI.create(server.url() + "/retrieve"))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"queries\": [\"person" + (i % 40) + "\"]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 64; i++) {
      HttpResponse<String> r = inFlight.get(i).join();
      assertEquals(200, r.statusCode());
      assertEquals(
          "p" + (i % 40),
          Json.MAPPER.readTree(r.body()).get("result").get(0).get(0).get("id").asText());
    }
  }
}
