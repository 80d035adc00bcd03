package org.research4j.grpo.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The search tool served by a retrieval server ({@code research serve}, or FlashRAG's serving
 * script): a batch of queries goes to {@code POST <url>/batch_search {"query": [...], "top_n": k}},
 * whose lists of {@code {"id", "contents"}} become the {@code <result>} text as {@link
 * SearchTool#format} writes it, so the model reads the same text from either tool.
 */
public final class RemoteSearchTool implements Tool {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI endpoint;
  private final int topK;
  private final HttpClient client;
  private final Duration timeout;

  /** {@code baseUrl} like {@code http://127.0.0.1:8000}; a trailing slash is allowed. */
  public RemoteSearchTool(String baseUrl, int topK, Duration timeout) {
    if (topK < 1) throw new IllegalArgumentException("search top-k must be >= 1, got " + topK);
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    try {
      this.endpoint = URI.create(base + "/batch_search");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "retrieval server URL '" + baseUrl + "' is not a URL: " + e.getMessage());
    }
    if (endpoint.getScheme() == null || !endpoint.getScheme().startsWith("http")) {
      throw new IllegalArgumentException(
          "retrieval server URL '" + baseUrl + "' must start with http:// or https://");
    }
    this.topK = topK;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public String callOpen() {
    return "<search>";
  }

  @Override
  public String callClose() {
    return "</search>";
  }

  @Override
  public String resultOpen() {
    return "<result>";
  }

  @Override
  public String resultClose() {
    return "</result>";
  }

  /** As {@link SearchTool}'s: the instructed prompt reads the same for either search tool. */
  @Override
  public String activity() {
    return SearchTool.ACTIVITY;
  }

  @Override
  public String instruction() {
    return SearchTool.INSTRUCTION;
  }

  /**
   * One batch request for all queries; a blank query gets no passages (the server refuses blank
   * queries). Fails with the server's status and body when it refuses.
   */
  @Override
  public List<String> call(List<String> queries) {
    List<String> asked = new ArrayList<>();
    for (String q : queries) if (!q.isBlank()) asked.add(q.strip());
    List<String> answers = asked.isEmpty() ? List.of() : fetch(asked);
    List<String> out = new ArrayList<>(queries.size());
    int next = 0;
    for (String q : queries) out.add(q.isBlank() ? "\n" : answers.get(next++));
    return out;
  }

  private List<String> fetch(List<String> queries) {
    ObjectNode body = JSON.createObjectNode();
    body.putPOJO("query", queries);
    body.put("top_n", topK);
    HttpRequest req =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    HttpResponse<String> resp;
    try {
      resp = client.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("retrieval server " + endpoint + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + endpoint, e);
    }
    if (resp.statusCode() != 200) {
      throw new IllegalStateException(
          "retrieval server " + endpoint + " answered " + resp.statusCode() + ": " + resp.body());
    }
    JsonNode lists;
    try {
      lists = JSON.readTree(resp.body());
    } catch (IOException e) {
      throw new IllegalStateException(
          "retrieval server " + endpoint + " sent invalid JSON: " + e.getMessage());
    }
    if (!lists.isArray() || lists.size() != queries.size()) {
      throw new IllegalStateException(
          "retrieval server "
              + endpoint
              + " sent "
              + lists.getNodeType()
              + " of "
              + lists.size()
              + " entries for "
              + queries.size()
              + " queries; expected one list per query");
    }
    List<String> out = new ArrayList<>(queries.size());
    for (JsonNode docs : lists) {
      StringBuilder b = new StringBuilder("\n");
      for (JsonNode d : docs) b.append(d.path("contents").asText().strip()).append('\n');
      out.add(b.toString());
    }
    return out;
  }
}
