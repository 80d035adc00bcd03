package org.research4j.grpo.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import org.research4j.transformer.generate.SamplingConfig;
import org.research4j.transformer.tokenizer.ChatMessage;

/**
 * One {@code /v1/chat/completions} or {@code /v1/completions} request, read and checked: its
 * prompts as tokens (one per prompt of a completion; a chat has one), {@code n} choices of each,
 * and the sampling every choice uses. Choice {@code c} answers prompt {@code c / n}.
 */
record CompletionRequest(
    boolean chat,
    String model,
    boolean agent,
    List<int[]> prompts,
    int n,
    int maxTokens,
    double temperature,
    double topP,
    long seed,
    List<String> stop,
    boolean stream,
    boolean includeUsage) {

  /** Most stop strings per request (OpenAI's limit). */
  static final int MAX_STOP = 4;

  int choices() {
    return prompts.size() * n;
  }

  int[] prompt(int choice) {
    return prompts.get(choice / n);
  }

  /**
   * Choice {@code c}'s sampling: the request's temperature and top-p, and a seed of its own drawn
   * from the request's seed, so that the n choices differ and a seeded request repeats.
   */
  SamplingConfig sampling(int choice) {
    SplittableRandom r = new SplittableRandom(seed);
    long s = 0;
    for (int i = 0; i <= choice; i++) s = r.nextLong();
    return new SamplingConfig(temperature, topP, 0, s, List.of(), java.util.Set.of());
  }

  /** What the parser needs of the server: names, the templates, the tokenizer and the limits. */
  interface Context {
    String modelName();

    boolean agentAvailable();

    boolean agentOnly();

    /** The prompt text of a chat: its messages through the chat template, agent's or plain. */
    String renderChat(List<ChatMessage> messages, boolean agent);

    /** The prompt text of a completion prompt: as is, or a question in the agent's template. */
    String renderCompletion(String prompt, boolean agent);

    int[] encode(String text);

    int contextLength();

    int defaultMaxTokens();

    int maxBatch();
  }

  static CompletionRequest parse(JsonNode body, boolean chat, Context ctx) throws OpenAiError {
    String model = text(body, "model", ctx.modelName());
    boolean agent;
    if (model.equals(ctx.modelName())) {
      agent = ctx.agentOnly();
    } else if (ctx.agentAvailable() && model.equals(ctx.modelName() + ServeConfig.AGENT_SUFFIX)) {
      agent = true;
    } else {
      throw OpenAiError.unknownModel(
          model,
          "`"
              + ctx.modelName()
              + "`"
              + (ctx.agentAvailable()
                  ? " and `" + ctx.modelName() + ServeConfig.AGENT_SUFFIX + "`"
                  : ""));
    }
    List<String> texts = new ArrayList<>();
    String promptParam = chat ? "messages" : "prompt";
    if (chat) {
      texts.add(ctx.renderChat(messages(body), agent));
    } else {
      for (String p : prompts(body)) texts.add(ctx.renderCompletion(p, agent));
    }
    int n = integer(body, "n", 1, 1, ctx.maxBatch());
    if (texts.size() * n > ctx.maxBatch()) {
      throw OpenAiError.invalid(
          "n",
          texts.size()
              + " prompts x n="
              + n
              + " choices is more than this"
              + " server's batch of "
              + ctx.maxBatch()
              + " sequences");
    }
    List<int[]> prompts = new ArrayList<>();
    int longest = 0;
    for (String t : texts) {
      int[] ids = ctx.encode(t);
      if (ids.length == 0) throw OpenAiError.invalid(promptParam, "the prompt is empty");
      prompts.add(ids);
      longest = Math.max(longest, ids.length);
    }
    int room = ctx.contextLength() - longest;
    if (room < 1) {
      throw OpenAiError.contextOverflow(
          promptParam,
          "This model's maximum context length is "
              + ctx.contextLength()
              + " tokens. However, your prompt is "
              + longest
              + " tokens long,"
              + " which leaves no room for a completion.");
    }
    JsonNode mt =
        body.has("max_completion_tokens")
            ? body.get("max_completion_tokens")
            : body.get("max_tokens");
    String mtName = body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    int maxTokens;
    if (mt == null || mt.isNull()) {
      maxTokens = Math.min(ctx.defaultMaxTokens(), room);
    } else {
      maxTokens = integer(body, mtName, 0, 1, Integer.MAX_VALUE);
      if (maxTokens > room) {
        throw OpenAiError.contextOverflow(
            mtName,
            "This model's maximum context length is "
                + ctx.contextLength()
                + " tokens. However, you requested "
                + ((long) longest + maxTokens)
                + " tokens ("
                + longest
                + " in the prompt, "
                + maxTokens
                + " for the completion)."
                + " Please reduce the length of the messages or the completion.");
      }
    }
    double temperature = number(body, "temperature", 1.0, 0, 2);
    double topP = number(body, "top_p", 1.0, 0, 1);
    if (topP == 0) throw OpenAiError.invalid("top_p", "top_p must lie in (0, 1], got 0");
    JsonNode seedNode = body.get("seed");
    long seed;
    if (seedNode == null || seedNode.isNull()) {
      seed = ThreadLocalRandom.current().nextLong();
    } else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) {
      seed = seedNode.longValue();
    } else {
      throw OpenAiError.invalid("seed", "seed must be an integer, got " + seedNode);
    }
    List<String> stop = stop(body);
    boolean stream = bool(body, "stream");
    JsonNode so = body.get("stream_options");
    boolean usage = so != null && so.isObject() && so.path("include_usage").asBoolean(false);
    return new CompletionRequest(
        chat,
        model,
        agent,
        List.copyOf(prompts),
        n,
        maxTokens,
        temperature,
        topP,
        seed,
        stop,
        stream,
        usage);
  }

  private static List<ChatMessage> messages(JsonNode body) throws OpenAiError {
    JsonNode node = body.get("messages");
    if (node == null || node.isNull())
      throw OpenAiError.invalid(
          "messages", "missing field \"messages\": a list of {\"role\", \"content\"}");
    if (!node.isArray() || node.isEmpty()) {
      throw OpenAiError.invalid(
          "messages", "\"messages\" must be a non-empty list, got " + kind(node));
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode m = node.get(i);
      String where = "messages[" + i + "]";
      if (!m.isObject())
        throw OpenAiError.invalid(where, where + " must be an object, got " + kind(m));
      JsonNode role = m.get("role");
      if (role == null
          || !role.isTextual()
          || !List.of("system", "developer", "user", "assistant", "tool").contains(role.asText())) {
        throw OpenAiError.invalid(
            where + ".role",
            where + ".role must be system, user, assistant or" + " tool, got " + role);
      }
      out.add(
          new ChatMessage(
              role.asText().equals("developer") ? "system" : role.asText(),
              content(m.get("content"), where + ".content")));
    }
    return out;
  }

  /** A string, or a list of parts of which the text parts are joined. */
  private static String content(JsonNode c, String where) throws OpenAiError {
    if (c == null || c.isNull()) return "";
    if (c.isTextual()) return c.asText();
    if (c.isArray()) {
      StringBuilder b = new StringBuilder();
      for (JsonNode part : c) {
        if (!part.isObject()
            || !"text".equals(part.path("type").asText())
            || !part.path("text").isTextual()) {
          throw OpenAiError.invalid(
              where,
              where
                  + ": only text parts ({\"type\": \"text\", \"text\": ...})"
                  + " are understood, got "
                  + part);
        }
        b.append(part.get("text").asText());
      }
      return b.toString();
    }
    throw OpenAiError.invalid(
        where, where + " must be a string or a list of text parts, got " + kind(c));
  }

  private static List<String> prompts(JsonNode body) throws OpenAiError {
    JsonNode p = body.get("prompt");
    if (p == null || p.isNull())
      throw OpenAiError.invalid(
          "prompt", "missing field \"prompt\": a string or a list of strings");
    if (p.isTextual()) return List.of(p.asText());
    if (p.isArray() && !p.isEmpty()) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < p.size(); i++) {
        if (!p.get(i).isTextual()) {
          throw OpenAiError.invalid(
              "prompt",
              "prompt["
                  + i
                  + "] must be a string (token-id prompts are"
                  + " not accepted), got "
                  + kind(p.get(i)));
        }
        out.add(p.get(i).asText());
      }
      return out;
    }
    throw OpenAiError.invalid(
        "prompt", "\"prompt\" must be a string or a non-empty list of strings, got " + kind(p));
  }

  private static List<String> stop(JsonNode body) throws OpenAiError {
    JsonNode s = body.get("stop");
    if (s == null || s.isNull()) return List.of();
    List<String> out = new ArrayList<>();
    if (s.isTextual()) {
      out.add(s.asText());
    } else if (s.isArray()) {
      for (JsonNode e : s) {
        if (!e.isTextual())
          throw OpenAiError.invalid("stop", "stop must hold strings, got " + kind(e));
        out.add(e.asText());
      }
    } else {
      throw OpenAiError.invalid(
          "stop", "stop must be a string or a list of strings, got " + kind(s));
    }
    if (out.size() > MAX_STOP)
      throw OpenAiError.invalid("stop", "at most " + MAX_STOP + " stop strings, got " + out.size());
    for (String x : out)
      if (x.isEmpty()) throw OpenAiError.invalid("stop", "a stop string may not be empty");
    return List.copyOf(out);
  }

  private static String text(JsonNode body, String field, String fallback) throws OpenAiError {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return fallback;
    if (!v.isTextual())
      throw OpenAiError.invalid(field, field + " must be a string, got " + kind(v));
    return v.asText();
  }

  private static int integer(JsonNode body, String field, int fallback, int min, int max)
      throws OpenAiError {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return fallback;
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
      throw OpenAiError.invalid(
          field,
          field
              + " must be an integer in "
              + min
              + ".."
              + (max == Integer.MAX_VALUE ? "" : max)
              + ", got "
              + v);
    }
    return v.intValue();
  }

  private static double number(JsonNode body, String field, double fallback, double min, double max)
      throws OpenAiError {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return fallback;
    if (!v.isNumber() || !(v.doubleValue() >= min && v.doubleValue() <= max)) {
      throw OpenAiError.invalid(
          field, field + " must be a number in [" + min + ", " + max + "], got " + v);
    }
    return v.doubleValue();
  }

  private static boolean bool(JsonNode body, String field) throws OpenAiError {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return false;
    if (!v.isBoolean())
      throw OpenAiError.invalid(field, field + " must be true or false, got " + v);
    return v.booleanValue();
  }

  static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "a list";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      default -> node.getNodeType().toString().toLowerCase(Locale.ROOT);
    };
  }
}
