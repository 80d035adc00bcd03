package org.research4j.search.server;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.research4j.search.flashrag.Json;
import org.research4j.search.index.CacheStats;
import org.research4j.search.index.Hit;
import org.research4j.search.index.Searcher;

/**
 * Serves a {@link Searcher} over HTTP in the field's protocols.
 *
 * <ul>
 *   <li>Search-R1: {@code POST /retrieve {"queries": [...], "topk": 3, "return_scores": true}} →
 *       {@code {"result": [[{"document": {"id", "contents"}, "score": s}, ...], ...]}}; without
 *       scores each element is the document itself, as in Search-R1's server.
 *   <li>ReSearch (FlashRAG's serving script): {@code POST /search {"query", "top_n": 10,
 *       "return_score": false}} → {@code [{"id", "contents"}, ...]}, or {@code [docs, scores]} with
 *       scores; {@code POST /batch_search {"query": [...], ...}} → a list of those lists, or {@code
 *       [lists, score lists]}; {@code GET /health} → {@code {"status": "healthy", ...}}.
 * </ul>
 *
 * Errors are JSON {@code {"error": code, "detail": sentence}}: 400 for a body that is not JSON, 413
 * for one over the size limit, 422 for JSON that does not fit the endpoint (as FastAPI answers),
 * 404 and 405 for unknown paths and methods, 500 for a fault of the server's own.
 */
public final class RetrievalServer implements AutoCloseable {
  /** Search-R1's default when a request gives no topk. */
  static final int RETRIEVE_DEFAULT_TOPK = 3;

  /** FlashRAG's serving script's default when a request gives no top_n. */
  static final int SEARCH_DEFAULT_TOP_N = 10;

  static {
    // Read once by the JDK server's configuration class, so set before the first server exists.
    // Nagle's algorithm would hold back the body segment behind the headers until the client's
    // delayed ACK, 40 ms per request on keep-alive connections.
    setIfAbsent("sun.net.httpserver.nodelay", "true");
    // The default keeps at most 200 idle keep-alive connections and closes the rest, which a
    // client holding 200 or more connections sees as resets.
    setIfAbsent("sun.net.httpserver.maxIdleConnections", "8192");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private final Searcher searcher;
  private final ServerOptions options;
  private final HttpServer server;
  private final ExecutorService executor;

  private RetrievalServer(Searcher searcher, ServerOptions options) throws IOException {
    this.searcher = searcher;
    this.options = options;
    this.server =
        HttpServer.create(new InetSocketAddress(options.host(), options.port()), options.backlog());
    this.executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /** Binds and starts serving; the searcher stays the caller's to close, after this server. */
  public static RetrievalServer start(Searcher searcher, ServerOptions options) throws IOException {
    RetrievalServer s = new RetrievalServer(searcher, options);
    s.server.start();
    return s;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  public String url() {
    return "http://" + options.host() + ":" + port();
  }

  private void handle(HttpExchange ex) {
    try {
      byte[] body;
      int status = 200;
      try {
        body = route(ex);
      } catch (ApiError e) {
        status = e.status;
        body = error(e.code, e.getMessage());
        if (e.status == 405) {
          ex.getResponseHeaders()
              .set("Allow", ex.getRequestURI().getPath().equals("/health") ? "GET, HEAD" : "POST");
        }
      } catch (RuntimeException | IOException e) {
        status = 500;
        body = error("internal_error", "the server failed on this request: " + e);
        System.err.println(
            "retrieval server: " + ex.getRequestMethod() + " " + ex.getRequestURI() + " failed");
        e.printStackTrace();
      }
      send(ex, status, body);
    } catch (IOException | RuntimeException e) {
      // The client went away mid-response; nothing to tell it, and nothing else is affected.
    } finally {
      ex.close();
    }
  }

  private byte[] route(HttpExchange ex) throws ApiError, IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    switch (path) {
      case "/health" -> {
        if (!method.equals("GET") && !method.equals("HEAD")) {
          throw ApiError.methodNotAllowed(method + " /health: use GET");
        }
        return health();
      }
      case "/retrieve", "/search", "/batch_search" -> {
        if (!method.equals("POST")) {
          throw ApiError.methodNotAllowed(method + " " + path + ": use POST with a JSON body");
        }
        RequestFields fields = new RequestFields(readJson(ex), options);
        return switch (path) {
          case "/retrieve" -> retrieve(fields);
          case "/search" -> search(fields);
          default -> batchSearch(fields);
        };
      }
      default ->
          throw ApiError.notFound(
              "no endpoint "
                  + path
                  + "; this server has POST /retrieve,"
                  + " POST /search, POST /batch_search and GET /health");
    }
  }

  private JsonNode readJson(HttpExchange ex) throws ApiError, IOException {
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.strip()) > options.maxBodyBytes()) {
          throw tooLarge(declared.strip());
        }
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("Content-Length \"" + declared + "\" is not a number");
      }
    }
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(options.maxBodyBytes() + 1);
    }
    if (bytes.length > options.maxBodyBytes()) {
      throw tooLarge("more than " + options.maxBodyBytes());
    }
    if (bytes.length == 0) {
      throw ApiError.badRequest("empty body; send a JSON object");
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest(
          "invalid JSON: "
              + e.getOriginalMessage()
              + " (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ")");
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest(
          "the body must be a JSON object, got "
              + (node == null
                  ? "nothing"
                  : node.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    return node;
  }

  private ApiError tooLarge(String size) {
    return ApiError.tooLarge(
        "body of "
            + size
            + " bytes; this server reads at most "
            + options.maxBodyBytes()
            + " (split the batch, or start it with a larger --max-body)");
  }

  private byte[] retrieve(RequestFields fields) throws ApiError, IOException {
    List<String> queries = fields.queries("queries");
    int k = fields.topk("topk", RETRIEVE_DEFAULT_TOPK);
    boolean scores = fields.flag("return_scores");
    List<List<Hit>> results = searcher.search(queries, k);
    return json(
        g -> {
          g.writeStartObject();
          g.writeArrayFieldStart("result");
          for (List<Hit> hits : results) {
            g.writeStartArray();
            for (Hit h : hits) {
              if (scores) {
                g.writeStartObject();
                g.writeFieldName("document");
                document(g, h);
                g.writeNumberField("score", h.score());
                g.writeEndObject();
              } else {
                document(g, h);
              }
            }
            g.writeEndArray();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  private byte[] search(RequestFields fields) throws ApiError, IOException {
    String query = fields.query("query");
    int k = fields.topk("top_n", SEARCH_DEFAULT_TOP_N);
    boolean scores = fields.flag("return_score");
    List<Hit> hits = searcher.search(query, k);
    return json(
        g -> {
          if (scores) {
            g.writeStartArray();
          }
          documents(g, hits);
          if (scores) {
            scoreList(g, hits);
            g.writeEndArray();
          }
        });
  }

  private byte[] batchSearch(RequestFields fields) throws ApiError, IOException {
    List<String> queries = fields.queries("query");
    int k = fields.topk("top_n", SEARCH_DEFAULT_TOP_N);
    boolean scores = fields.flag("return_score");
    List<List<Hit>> results = searcher.search(queries, k);
    return json(
        g -> {
          if (scores) {
            g.writeStartArray();
          }
          g.writeStartArray();
          for (List<Hit> hits : results) {
            documents(g, hits);
          }
          g.writeEndArray();
          if (scores) {
            g.writeStartArray();
            for (List<Hit> hits : results) {
              scoreList(g, hits);
            }
            g.writeEndArray();
            g.writeEndArray();
          }
        });
  }

  private byte[] health() throws IOException {
    CacheStats cache = searcher.cacheStats();
    return json(
        g -> {
          g.writeStartObject();
          g.writeStringField("status", "healthy");
          g.writeNumberField("passages", searcher.size());
          g.writeNumberField("k1", searcher.k1());
          g.writeNumberField("b", searcher.b());
          g.writeObjectFieldStart("retrievers");
          g.writeNumberField("total", 1);
          g.writeNumberField("available", 1);
          g.writeEndObject();
          g.writeObjectFieldStart("cache");
          g.writeNumberField("entries", cache.entries());
          g.writeNumberField("hits", cache.hits());
          g.writeNumberField("misses", cache.misses());
          g.writeEndObject();
          g.writeEndObject();
        });
  }

  private static void document(JsonGenerator g, Hit h) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", h.id());
    g.writeStringField("contents", h.contents());
    g.writeEndObject();
  }

  private static void documents(JsonGenerator g, List<Hit> hits) throws IOException {
    g.writeStartArray();
    for (Hit h : hits) {
      document(g, h);
    }
    g.writeEndArray();
  }

  private static void scoreList(JsonGenerator g, List<Hit> hits) throws IOException {
    g.writeStartArray();
    for (Hit h : hits) {
      g.writeNumber(h.score());
    }
    g.writeEndArray();
  }

  private static byte[] error(String code, String detail) {
    try {
      return json(
          g -> {
            g.writeStartObject();
            g.writeStringField("error", code);
            g.writeStringField("detail", detail);
            g.writeEndObject();
          });
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to memory cannot fail", e);
    }
  }

  @FunctionalInterface
  private interface JsonBody {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] json(JsonBody body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      body.write(g);
    }
    return out.toByteArray();
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops accepting, lets requests in flight finish for up to a second, then stops. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
