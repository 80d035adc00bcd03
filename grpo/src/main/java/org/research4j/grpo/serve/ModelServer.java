package org.research4j.grpo.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.rollout.TraceTurns;
import org.research4j.grpo.tool.Tool;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * A checkpoint served over HTTP in the OpenAI API that vLLM serves: {@code POST
 * /v1/chat/completions} (messages through the chat template), {@code POST /v1/completions}, {@code
 * GET /v1/models}, {@code GET /health}, and {@code GET /} (a page where a person asks the agent a
 * question and watches its turns arrive, and opens the charts of a run directory, {@code GET
 * /charts/...}, when {@link ServeConfig#runDir} names one).
 *
 * <p>Requests take {@code max_tokens} (or {@code max_completion_tokens}), {@code temperature},
 * {@code top_p}, {@code seed}, {@code stop}, {@code n} and {@code stream} (server-sent events, with
 * {@code stream_options.include_usage}). Concurrent requests are generated together by a {@link
 * BatchScheduler}. With a search tool, the model name {@code <name>-agent} (or every name, with
 * {@link ServeConfig#agentOnly}) runs the ReSearch loop on the server: the search calls are served
 * and the reply is the whole trace (think, search, result, answer), with its turns, answer and
 * searches in a {@code research} field of each choice.
 *
 * <p>Refusals are OpenAI's error object {@code {"error": {"message", "type", "param", "code"}}}:
 * 400 for a malformed body, a bad field or a context overflow ({@code context_length_exceeded}),
 * 404 for an unknown model ({@code model_not_found}) or path, 405 for a wrong method, 413 for a
 * body over the size limit.
 */
public final class ModelServer implements AutoCloseable, CompletionRequest.Context {
  static {
    // As the retrieval server: no Nagle delay on small SSE writes, many idle keep-alive
    // connections.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Qwen2Model model;
  private final Tokenizer tokenizer;
  private final ChatTemplate chat;
  private final PromptTemplate agentPrompt;
  private final boolean agentAvailable;
  private final ServeConfig config;
  private final BatchScheduler scheduler;
  private final HttpServer server;
  private final ExecutorService executor;
  private final RunCharts charts;
  private final long created = System.currentTimeMillis() / 1000;

  private ModelServer(
      Qwen2Model model,
      Tokenizer tokenizer,
      Set<Integer> eos,
      ChatTemplate chat,
      PromptTemplate agentPrompt,
      Tool tool,
      ServeConfig config)
      throws IOException {
    if (config.agentOnly() && tool == null) {
      throw new IllegalArgumentException(
          "agent mode needs a search tool (an index or a retrieval server URL)");
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.chat = chat;
    this.agentPrompt = agentPrompt;
    this.agentAvailable = tool != null;
    this.config = config;
    this.charts = config.runDir() == null ? null : new RunCharts(config.runDir());
    this.scheduler = new BatchScheduler(model, tokenizer, eos, tool, config);
    this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
    this.executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Binds and starts serving {@code model}; the model stays the caller's to close, after this
   * server. {@code tool} (null for none) enables agent mode; {@code agentPrompt} is how a question
   * becomes the agent's prompt, {@code chat} how messages become a plain prompt.
   */
  public static ModelServer start(
      Qwen2Model model,
      Tokenizer tokenizer,
      Set<Integer> eos,
      ChatTemplate chat,
      PromptTemplate agentPrompt,
      Tool tool,
      ServeConfig config)
      throws IOException {
    ModelServer s = new ModelServer(model, tokenizer, eos, chat, agentPrompt, tool, config);
    s.server.start();
    return s;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String url() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return "http://" + host + ":" + port();
  }

  // ---------------------------------------------------------------------------------------------
  // CompletionRequest.Context

  @Override
  public String modelName() {
    return config.modelName();
  }

  @Override
  public boolean agentAvailable() {
    return agentAvailable;
  }

  @Override
  public boolean agentOnly() {
    return config.agentOnly();
  }

  @Override
  public String renderChat(List<ChatMessage> messages, boolean agent) {
    if (!agent) return chat.render(messages, true);
    List<ChatMessage> turns = new ArrayList<>(messages);
    if (agentPrompt.system() != null && !turns.getFirst().role().equals("system")) {
      turns.addFirst(ChatMessage.system(agentPrompt.system()));
    }
    return agentPrompt.chat().render(turns, true);
  }

  @Override
  public String renderCompletion(String prompt, boolean agent) {
    return agent ? agentPrompt.render(prompt) : prompt;
  }

  @Override
  public int[] encode(String text) {
    return tokenizer.encode(text);
  }

  @Override
  public int contextLength() {
    return model.config().maxPositionEmbeddings();
  }

  @Override
  public int defaultMaxTokens() {
    return config.defaultMaxTokens();
  }

  @Override
  public int maxBatch() {
    return config.maxBatch();
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  private void handle(HttpExchange ex) {
    try {
      try {
        route(ex);
      } catch (OpenAiError e) {
        if (e.status == 405)
          ex.getResponseHeaders().set("Allow", allowed(ex.getRequestURI().getPath()));
        sendJson(ex, e.status, error(e.getMessage(), e.type, e.param, e.code));
      } catch (RuntimeException e) {
        System.err.println(
            "serve-model: " + ex.getRequestMethod() + " " + ex.getRequestURI() + " failed");
        e.printStackTrace();
        sendJson(
            ex, 500, error("the server failed on this request: " + e, "server_error", null, null));
      }
    } catch (IOException | RuntimeException e) {
      // the client went away mid-response
    } finally {
      ex.close();
    }
  }

  private static String allowed(String path) {
    return path.startsWith("/v1/") && path.endsWith("completions") ? "POST" : "GET, HEAD";
  }

  private void route(HttpExchange ex) throws OpenAiError, IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    switch (path) {
      case "/health" -> {
        requireGet(method, path);
        sendJson(ex, 200, health());
      }
      case "/v1/models" -> {
        requireGet(method, path);
        sendJson(ex, 200, models());
      }
      case "/", "/index.html" -> {
        requireGet(method, path);
        sendBytes(
            ex,
            200,
            "text/html; charset=utf-8",
            AskPage.html(
                config.modelName(), agentAvailable, charts == null ? List.of() : charts.list()));
      }
      case "/v1/chat/completions", "/v1/completions" -> {
        if (!method.equals("POST"))
          throw OpenAiError.methodNotAllowed(method + " " + path + ": use POST with a JSON body");
        complete(
            ex, CompletionRequest.parse(readJson(ex), path.equals("/v1/chat/completions"), this));
      }
      default -> {
        if (path.startsWith(RunCharts.PREFIX)) {
          requireGet(method, path);
          byte[] png =
              charts == null ? null : charts.read(path.substring(RunCharts.PREFIX.length()));
          if (png == null) {
            throw OpenAiError.notFound(
                "no chart "
                    + path
                    + (charts == null
                        ? " (serve-model was started" + " without --run)"
                        : "; the run's charts are listed on the page at /"));
          }
          sendBytes(ex, 200, "image/png", png);
          return;
        }
        String models =
            path.startsWith("/v1/models/") ? path.substring("/v1/models/".length()) : null;
        if (models != null && method.equals("GET")) {
          ObjectNode m = model(models);
          if (m == null) throw OpenAiError.unknownModel(models, config.modelName());
          sendJson(ex, 200, m);
          return;
        }
        throw OpenAiError.notFound(
            "no endpoint "
                + method
                + " "
                + path
                + "; this server has POST"
                + " /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health and GET /");
      }
    }
  }

  private static void requireGet(String method, String path) throws OpenAiError {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw OpenAiError.methodNotAllowed(method + " " + path + ": use GET");
    }
  }

  private JsonNode readJson(HttpExchange ex) throws OpenAiError, IOException {
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long n;
      try {
        n = Long.parseLong(declared.strip());
      } catch (NumberFormatException e) {
        throw OpenAiError.malformed("Content-Length \"" + declared + "\" is not a number");
      }
      if (n > config.maxBodyBytes()) throw tooLarge(Long.toString(n));
    }
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(config.maxBodyBytes() + 1);
    }
    if (bytes.length > config.maxBodyBytes()) throw tooLarge("more than " + config.maxBodyBytes());
    if (bytes.length == 0) throw OpenAiError.malformed("empty body; send a JSON object");
    JsonNode node;
    try {
      node = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw OpenAiError.malformed(
          "the body is not valid JSON: "
              + e.getOriginalMessage()
              + " (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ")");
    }
    if (node == null || !node.isObject()) {
      throw OpenAiError.malformed(
          "the body must be a JSON object, got "
              + (node == null ? "nothing" : CompletionRequest.kind(node)));
    }
    return node;
  }

  private OpenAiError tooLarge(String size) {
    return OpenAiError.tooLarge(
        "the request body is "
            + size
            + " bytes; this server reads at most "
            + config.maxBodyBytes()
            + " (start it with a larger --max-body)");
  }

  private ObjectNode health() {
    ObjectNode n = JSON.createObjectNode();
    n.put("status", "ok");
    n.put("model", config.modelName());
    n.put("agent", agentAvailable);
    n.put("batches", scheduler.batches.get());
    n.put("sequences", scheduler.sequences.get());
    n.put("largest_batch", scheduler.largestBatch.get());
    n.put("running", scheduler.running.get());
    n.put("waiting", scheduler.waiting());
    n.put("cancelled", scheduler.cancelledSequences.get());
    return n;
  }

  private ObjectNode models() {
    ObjectNode n = JSON.createObjectNode();
    n.put("object", "list");
    ArrayNode data = n.putArray("data");
    data.add(model(config.modelName()));
    if (agentAvailable) data.add(model(config.modelName() + ServeConfig.AGENT_SUFFIX));
    return n;
  }

  private ObjectNode model(String id) {
    if (!id.equals(config.modelName())
        && !(agentAvailable && id.equals(config.modelName() + ServeConfig.AGENT_SUFFIX))) {
      return null;
    }
    ObjectNode m = JSON.createObjectNode();
    m.put("id", id);
    m.put("object", "model");
    m.put("created", created);
    m.put("owned_by", "research4j");
    m.put("max_model_len", contextLength());
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // Completions

  private void complete(HttpExchange ex, CompletionRequest req) throws OpenAiError, IOException {
    Job job = new Job(req);
    scheduler.submit(job);
    String id =
        (req.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    if (req.stream()) {
      stream(ex, job, id);
      return;
    }
    Job.Event e;
    try {
      do {
        e = job.events.take();
      } while (!e.end());
    } catch (InterruptedException ie) {
      job.cancel();
      Thread.currentThread().interrupt();
      return;
    }
    if (e.error() != null) {
      sendJson(ex, 500, error(e.error(), "server_error", null, null));
      return;
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", id);
    out.put("object", req.chat() ? "chat.completion" : "text_completion");
    out.put("created", System.currentTimeMillis() / 1000);
    out.put("model", req.model());
    ArrayNode choices = out.putArray("choices");
    for (int c = 0; c < req.choices(); c++) {
      ObjectNode ch = choices.addObject();
      ch.put("index", c);
      if (req.chat()) {
        ObjectNode msg = ch.putObject("message");
        msg.put("role", "assistant");
        msg.put("content", job.text[c]);
      } else {
        ch.put("text", job.text[c]);
        ch.putNull("logprobs");
      }
      ch.put("finish_reason", job.finish[c]);
      if (req.agent()) research(ch.putObject("research"), job.text[c], job.searches[c]);
    }
    out.set("usage", usage(req, job));
    sendJson(ex, 200, out);
  }

  /** The agent's trace read back: its turns, final answer and search queries. */
  static void research(ObjectNode n, String trace, int searches) {
    String answer = TraceTurns.answer(trace);
    if (answer == null) n.putNull("answer");
    else n.put("answer", answer);
    n.put("search_calls", searches);
    ArrayNode q = n.putArray("searches");
    TraceTurns.searches(trace).forEach(q::add);
    ArrayNode turns = n.putArray("turns");
    for (TraceTurns.Turn t : TraceTurns.of(trace)) {
      ObjectNode tn = turns.addObject();
      tn.put("type", t.kind());
      tn.put("text", t.text());
      if (!t.closed()) tn.put("closed", false);
    }
  }

  private static ObjectNode usage(CompletionRequest req, Job job) {
    int prompt = 0;
    for (int[] p : req.prompts()) prompt += p.length;
    int completion = 0;
    for (int t : job.completionTokens) completion += t;
    ObjectNode u = JSON.createObjectNode();
    u.put("prompt_tokens", prompt);
    u.put("completion_tokens", completion);
    u.put("total_tokens", prompt + completion);
    return u;
  }

  /** Server-sent events: a chunk per piece of text, a last chunk per choice, usage, [DONE]. */
  private void stream(HttpExchange ex, Job job, String id) throws IOException {
    CompletionRequest req = job.request;
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    long now = System.currentTimeMillis() / 1000;
    try {
      if (req.chat()) {
        for (int c = 0; c < req.choices(); c++) {
          ObjectNode delta = JSON.createObjectNode();
          delta.put("role", "assistant");
          delta.put("content", "");
          event(out, chunk(req, id, now, c, delta, null, null));
        }
      }
      while (true) {
        Job.Event e = job.events.take();
        if (e.end()) {
          if (e.error() != null) {
            event(out, error(e.error(), "server_error", null, null));
          } else if (req.includeUsage()) {
            ObjectNode u = chunkHead(req, id, now);
            u.putArray("choices");
            u.set("usage", usage(req, job));
            event(out, u);
          }
          out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          return;
        }
        if (e.finish() != null) {
          ObjectNode research = null;
          if (req.agent()) {
            research = JSON.createObjectNode();
            research(research, job.text[e.choice()], job.searches[e.choice()]);
          }
          event(
              out,
              chunk(
                  req,
                  id,
                  now,
                  e.choice(),
                  req.chat() ? JSON.createObjectNode() : null,
                  e.finish(),
                  research));
        } else {
          ObjectNode delta = null;
          if (req.chat()) {
            delta = JSON.createObjectNode();
            delta.put("content", e.delta());
          }
          ObjectNode c = chunk(req, id, now, e.choice(), delta, null, null);
          if (!req.chat()) ((ObjectNode) c.get("choices").get(0)).put("text", e.delta());
          event(out, c);
        }
      }
    } catch (IOException gone) {
      job.cancel(); // the client left: its sequences are halted at the next step
      throw gone;
    } catch (InterruptedException ie) {
      job.cancel();
      Thread.currentThread().interrupt();
    }
  }

  private static ObjectNode chunkHead(CompletionRequest req, String id, long created) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", id);
    n.put("object", req.chat() ? "chat.completion.chunk" : "text_completion");
    n.put("created", created);
    n.put("model", req.model());
    return n;
  }

  private static ObjectNode chunk(
      CompletionRequest req,
      String id,
      long created,
      int choice,
      ObjectNode delta,
      String finish,
      ObjectNode research) {
    ObjectNode n = chunkHead(req, id, created);
    ObjectNode ch = n.putArray("choices").addObject();
    ch.put("index", choice);
    if (req.chat()) {
      ch.set("delta", delta);
    } else {
      ch.put("text", "");
      ch.putNull("logprobs");
    }
    if (finish == null) ch.putNull("finish_reason");
    else ch.put("finish_reason", finish);
    if (research != null) ch.set("research", research);
    return n;
  }

  private static void event(OutputStream out, ObjectNode n) throws IOException {
    out.write(("data: " + JSON.writeValueAsString(n) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  static ObjectNode error(String message, String type, String param, String code) {
    ObjectNode n = JSON.createObjectNode();
    ObjectNode e = n.putObject("error");
    e.put("message", message);
    e.put("type", type);
    if (param == null) e.putNull("param");
    else e.put("param", param);
    if (code == null) e.putNull("code");
    else e.put("code", code);
    return n;
  }

  private static void sendJson(HttpExchange ex, int status, ObjectNode body) throws IOException {
    sendBytes(ex, status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static void sendBytes(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().toUpperCase(Locale.ROOT).equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * Stops accepting requests, halts the batch in hand, and frees the threads; the model stays open.
   */
  @Override
  public void close() {
    server.stop(0);
    scheduler.close();
    executor.shutdownNow();
  }
}
