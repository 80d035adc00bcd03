package org.research4j.grpo.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.PassAtK;
import org.research4j.transformer.checkpoint.AtomicFiles;

/**
 * What one {@code research demo} run found, as {@code summary.json}: the seed and command line, the
 * wall-clock seconds of each stage, per method the table's numbers (overall, per question type, and
 * the hop diagnostics), the pass@k curves, and free-text notes. The demo fills a builder ({@link
 * #begin}) as its stages finish and {@link #write}s it atomically at the end; {@code research
 * seeds} {@link #read}s one per seed and aggregates them ({@link SeedStats}).
 *
 * <pre>{@code
 * {"seed": 42, "command": ["--seed", "42", ...],
 *  "wall_seconds": {"world": s, "pretrain": s, "warm_start": s, "grpo": s, "grpo_search_only": s,
 *                   "supervised_control": s, "evaluation": s, "pass_at_k": s, "judge": s, "total": s},
 *  "methods": {"Naive RAG": {"n": 100, "em": .., "f1": .., "well_formed": .., "searches": .., "tokens": ..,
 *                            "lj": .., "calls": {"search": .., "code": ..},
 *                            "by_type": {"bridge": {same keys}}, "diagnostics": {"hops": .., ...}}},
 *  "pass_at_k": {"ReSearch, GRPO": {"n": 16, "questions": 100, "curve": {"1": .., "2": .., ...}}},
 *  "notes": ["..."]}
 * }</pre>
 *
 * <p>{@code tokens} is {@link Evaluation.Summary#responseTokens} (every token after the prompt, the
 * demo table's column). {@code lj}, the LLM-as-judge score ({@link
 * org.research4j.grpo.judge.JudgedScores}), is there only when the demo ran with a judge; {@code
 * calls}, the calls per response of each tool, only when it ran with more tools than search.
 * Non-finite diagnostics (a rate over no hops) are left out; a non-finite score is written as
 * {@code null} and read back as NaN.
 */
public final class DemoSummary {
  /** The file name the demo writes into its run directory. */
  public static final String FILE = "summary.json";

  /**
   * Stage names of {@code wall_seconds}, in the demo's order ({@code grpo_search_only}: the second
   * GRPO run of {@code --tools search,code}, with the search tool alone).
   */
  public static final String WORLD = "world",
      PRETRAIN = "pretrain",
      WARM_START = "warm_start",
      GRPO = "grpo",
      GRPO_SEARCH_ONLY = "grpo_search_only",
      SUPERVISED_CONTROL = "supervised_control",
      EVALUATION = "evaluation",
      PASS_AT_K = "pass_at_k",
      JUDGE = "judge",
      TOTAL = "total";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One method's means over a set of questions (the demo table's columns); {@code lj} is the
   * LLM-as-judge score, null when no judge was asked; {@code calls} the calls per response of each
   * of the demo's tools when it ran with more than search ({@code --tools search,code}), else empty
   * (and then not written). {@code searches} counts the calls of every tool.
   */
  public record Scores(
      int n,
      double em,
      double f1,
      double wellFormed,
      double searches,
      double tokens,
      Double lj,
      Map<String, Double> calls) {
    public Scores {
      calls = Collections.unmodifiableMap(new LinkedHashMap<>(calls));
    }

    /** Scores without calls per tool. */
    public Scores(
        int n, double em, double f1, double wellFormed, double searches, double tokens, Double lj) {
      this(n, em, f1, wellFormed, searches, tokens, lj, Map.of());
    }

    /** Scores without an LLM-as-judge score or calls per tool. */
    public Scores(int n, double em, double f1, double wellFormed, double searches, double tokens) {
      this(n, em, f1, wellFormed, searches, tokens, null);
    }

    /** The columns of an {@link Evaluation.Summary}; {@code tokens} is its response tokens. */
    public static Scores of(Evaluation.Summary s) {
      return new Scores(
          s.count(), s.exactMatch(), s.f1(), s.wellFormed(), s.searches(), s.responseTokens());
    }

    /**
     * As {@link #of(Evaluation.Summary)}, with the calls per response of each of {@code tools}
     * ({@link #calls(Evaluation.Summary, List)}); none when {@code tools} is empty.
     */
    public static Scores of(Evaluation.Summary s, List<String> tools) {
      return of(s).withCalls(DemoSummary.calls(s, tools));
    }

    /** These scores with the LLM-as-judge score {@code lj} (null removes it). */
    public Scores withLj(Double lj) {
      return new Scores(n, em, f1, wellFormed, searches, tokens, lj, calls);
    }

    /** These scores with the calls per response of each tool (empty removes them). */
    public Scores withCalls(Map<String, Double> calls) {
      return new Scores(n, em, f1, wellFormed, searches, tokens, lj, calls);
    }
  }

  /**
   * The calls per response of each of {@code tools}, in their order: what the summary's responses
   * attribute to the tool, 0 for a tool they never called. Responses that attribute their calls to
   * no tool (the baselines', whose every retrieval is a search) count them all as {@code search}.
   */
  public static Map<String, Double> calls(Evaluation.Summary s, List<String> tools) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String t : tools) {
      double unattributed = s.callsByTool().isEmpty() && t.equals("search") ? s.searches() : 0;
      out.put(t, s.callsByTool().getOrDefault(t, unattributed));
    }
    return out;
  }

  /**
   * One method: overall, per question type (in the order given), and its hop diagnostics ({@link
   * org.research4j.grpo.eval.HopDiagnostics.Summary#rates}, non-finite values left out).
   */
  public record Method(Scores all, Map<String, Scores> byType, Map<String, Double> diagnostics) {
    public Method {
      byType = Collections.unmodifiableMap(new LinkedHashMap<>(byType));
      Map<String, Double> finite = new LinkedHashMap<>();
      diagnostics.forEach(
          (k, v) -> {
            if (v != null && Double.isFinite(v)) finite.put(k, v);
          });
      diagnostics = Collections.unmodifiableMap(finite);
    }
  }

  /**
   * One model's pass@k: {@code n} samples per question, {@code questions} questions, k to pass@k.
   */
  public record Curve(int n, int questions, SortedMap<Integer, Double> curve) {
    public Curve {
      curve = Collections.unmodifiableSortedMap(new TreeMap<>(curve));
    }

    public static Curve of(PassAtK.Result r) {
      return new Curve(r.n(), r.counts().size(), r.curve());
    }
  }

  /** The whole file. Maps keep their insertion (file) order. */
  public record Data(
      long seed,
      List<String> command,
      Map<String, Double> wallSeconds,
      Map<String, Method> methods,
      Map<String, Curve> passAtK,
      List<String> notes) {
    public Data {
      command = List.copyOf(command);
      wallSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(wallSeconds));
      methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
      passAtK = Collections.unmodifiableMap(new LinkedHashMap<>(passAtK));
      notes = List.copyOf(notes);
    }

    /** The JSON tree written to {@link #FILE}. */
    public ObjectNode toJson() {
      ObjectNode root = JSON.createObjectNode();
      root.put("seed", seed);
      ArrayNode cmd = root.putArray("command");
      command.forEach(cmd::add);
      ObjectNode wall = root.putObject("wall_seconds");
      wallSeconds.forEach((k, v) -> putNumber(wall, k, v));
      ObjectNode ms = root.putObject("methods");
      methods.forEach(
          (name, m) -> {
            ObjectNode mn = ms.putObject(name);
            putScores(mn, m.all());
            ObjectNode types = mn.putObject("by_type");
            m.byType().forEach((t, s) -> putScores(types.putObject(t), s));
            ObjectNode diag = mn.putObject("diagnostics");
            m.diagnostics().forEach(diag::put);
          });
      ObjectNode pk = root.putObject("pass_at_k");
      passAtK.forEach(
          (name, c) -> {
            ObjectNode cn = pk.putObject(name);
            cn.put("n", c.n());
            cn.put("questions", c.questions());
            ObjectNode curve = cn.putObject("curve");
            c.curve().forEach((k, v) -> putNumber(curve, Integer.toString(k), v));
          });
      ArrayNode ns = root.putArray("notes");
      notes.forEach(ns::add);
      return root;
    }
  }

  private final long seed;
  private final List<String> command;
  private final long startNanos = System.nanoTime();
  private final Map<String, Double> wallSeconds = new LinkedHashMap<>();
  private final Map<String, Method> methods = new LinkedHashMap<>();
  private final Map<String, Curve> passAtK = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();

  private DemoSummary(long seed, List<String> command) {
    this.seed = seed;
    this.command = List.copyOf(command);
  }

  /**
   * Starts a summary; the {@code total} wall time counts from here unless {@link #stage} sets it.
   */
  public static DemoSummary begin(long seed, List<String> args) {
    return new DemoSummary(seed, args);
  }

  /** {@link #begin(long, List)} with the command line as picocli passed it. */
  public static DemoSummary begin(long seed, String... args) {
    return new DemoSummary(seed, List.of(args));
  }

  /**
   * Adds {@code seconds} to the wall time of {@code name} (one of {@link #WORLD} ... {@link
   * #TOTAL}; a stage timed in pieces is summed). A stage that was resumed counts only this
   * process's time.
   */
  public synchronized DemoSummary stage(String name, double seconds) {
    wallSeconds.merge(name, seconds, Double::sum);
    return this;
  }

  /** {@link #stage} with the seconds elapsed since {@code startNanos} ({@link System#nanoTime}). */
  public DemoSummary stageSince(String name, long startNanos) {
    return stage(name, (System.nanoTime() - startNanos) / 1e9);
  }

  /** Records one method's results (a second call for the same name replaces the first). */
  public DemoSummary method(
      String name,
      Evaluation.Summary all,
      Map<String, Evaluation.Summary> byType,
      Map<String, Double> diagnostics) {
    return method(name, all, byType, diagnostics, List.of());
  }

  /**
   * As {@link #method(String, Evaluation.Summary, Map, Map)}, with the calls per response of each
   * of {@code tools} overall and per type ({@link #calls(Evaluation.Summary, List)}; none when
   * {@code tools} is empty).
   */
  public synchronized DemoSummary method(
      String name,
      Evaluation.Summary all,
      Map<String, Evaluation.Summary> byType,
      Map<String, Double> diagnostics,
      List<String> tools) {
    Map<String, Scores> types = new LinkedHashMap<>();
    byType.forEach((t, s) -> types.put(t, Scores.of(s, tools)));
    methods.put(
        name,
        new Method(Scores.of(all, tools), types, diagnostics == null ? Map.of() : diagnostics));
    return this;
  }

  /**
   * Adds the LLM-as-judge score of a recorded method: {@code all} over every question, {@code
   * byType} per question type (a type it does not name keeps no score).
   *
   * @throws IllegalStateException if {@link #method} has not recorded {@code name}
   */
  public synchronized DemoSummary judged(String name, double all, Map<String, Double> byType) {
    Method m = methods.get(name);
    if (m == null)
      throw new IllegalStateException("no method " + name + " recorded to add its LJ score to");
    Map<String, Scores> types = new LinkedHashMap<>();
    m.byType().forEach((t, s) -> types.put(t, s.withLj(byType.get(t))));
    methods.put(name, new Method(m.all().withLj(all), types, m.diagnostics()));
    return this;
  }

  /** Records one model's pass@k curve. */
  public synchronized DemoSummary passAtK(String name, PassAtK.Result result) {
    passAtK.put(name, Curve.of(result));
    return this;
  }

  /** Adds a free-text note (what was resumed, skipped, or looked odd). */
  public synchronized DemoSummary note(String text) {
    notes.add(text);
    return this;
  }

  /**
   * A snapshot of what has been recorded; {@code total} is the wall time since {@link #begin}
   * unless {@code stage(TOTAL, s)} was called.
   */
  public synchronized Data data() {
    Map<String, Double> wall = new LinkedHashMap<>(wallSeconds);
    if (!wall.containsKey(TOTAL)) wall.put(TOTAL, (System.nanoTime() - startNanos) / 1e9);
    else wall.put(TOTAL, wall.remove(TOTAL)); // last, whenever it was recorded
    return new Data(seed, command, wall, methods, passAtK, notes);
  }

  /**
   * Writes {@link #data()} to {@code file} atomically (temporary file, fsync, rename) and returns
   * it.
   */
  public Data write(Path file) throws IOException {
    Data d = data();
    write(d, file);
    return d;
  }

  /** Writes {@code data} to {@code file} atomically, pretty-printed. */
  public static void write(Data data, Path file) throws IOException {
    AtomicFiles.writeFile(
        file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(data.toJson()));
  }

  /**
   * Reads a {@code summary.json}; every problem (missing file, bad JSON, a missing or mistyped key)
   * is an {@link IOException} whose message starts with {@code file: }.
   */
  public static Data read(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new IOException(file + ": no such file", e);
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not JSON (" + e.getOriginalMessage() + ")", e);
    }
    try {
      return fromJson(root);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the tree of {@link Data#toJson}; malformed input is an {@link IllegalArgumentException}
   * naming the key.
   */
  public static Data fromJson(JsonNode root) {
    if (root == null || !root.isObject()) throw new IllegalArgumentException("not a JSON object");
    JsonNode seedNode = root.get("seed");
    if (seedNode == null || !seedNode.isIntegralNumber()) throw bad("seed", "an integer");
    List<String> command = new ArrayList<>();
    for (JsonNode a : array(root, "command", "command")) {
      if (!a.isTextual()) throw bad("command", "an array of strings");
      command.add(a.asText());
    }
    Map<String, Double> wall = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : fields(object(root, "wall_seconds", "wall_seconds"))) {
      wall.put(e.getKey(), number(e.getValue(), "wall_seconds." + e.getKey()));
    }
    Map<String, Method> methods = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : fields(object(root, "methods", "methods"))) {
      String at = "methods." + e.getKey();
      JsonNode m = e.getValue();
      if (!m.isObject()) throw bad(at, "an object");
      Map<String, Scores> types = new LinkedHashMap<>();
      JsonNode byType = m.get("by_type");
      if (byType != null) {
        for (Map.Entry<String, JsonNode> t : fields(object(m, "by_type", at + ".by_type"))) {
          types.put(t.getKey(), scores(t.getValue(), at + ".by_type." + t.getKey()));
        }
      }
      Map<String, Double> diag = new LinkedHashMap<>();
      if (m.get("diagnostics") != null) {
        for (Map.Entry<String, JsonNode> d :
            fields(object(m, "diagnostics", at + ".diagnostics"))) {
          diag.put(d.getKey(), number(d.getValue(), at + ".diagnostics." + d.getKey()));
        }
      }
      methods.put(e.getKey(), new Method(scores(m, at), types, diag));
    }
    Map<String, Curve> curves = new LinkedHashMap<>();
    if (root.get("pass_at_k") != null) {
      for (Map.Entry<String, JsonNode> e : fields(object(root, "pass_at_k", "pass_at_k"))) {
        String at = "pass_at_k." + e.getKey();
        JsonNode c = e.getValue();
        if (!c.isObject()) throw bad(at, "an object");
        SortedMap<Integer, Double> curve = new TreeMap<>();
        for (Map.Entry<String, JsonNode> p : fields(object(c, "curve", at + ".curve"))) {
          int k;
          try {
            k = Integer.parseInt(p.getKey());
          } catch (NumberFormatException x) {
            throw bad(at + ".curve." + p.getKey(), "keyed by k (an integer)");
          }
          curve.put(k, number(p.getValue(), at + ".curve." + p.getKey()));
        }
        curves.put(e.getKey(), new Curve(integer(c, "n", at), integer(c, "questions", at), curve));
      }
    }
    List<String> notes = new ArrayList<>();
    if (root.get("notes") != null) {
      for (JsonNode n : array(root, "notes", "notes")) {
        if (!n.isTextual()) throw bad("notes", "an array of strings");
        notes.add(n.asText());
      }
    }
    return new Data(seedNode.asLong(), command, wall, methods, curves, notes);
  }

  private static Scores scores(JsonNode n, String at) {
    if (!n.isObject()) throw bad(at, "an object");
    return new Scores(
        integer(n, "n", at),
        number(n, "em", at),
        number(n, "f1", at),
        number(n, "well_formed", at),
        number(n, "searches", at),
        number(n, "tokens", at),
        n.has("lj") ? number(n, "lj", at) : null,
        calls(n, at));
  }

  /** The {@code calls} object of a scores node, by tool; empty when there is none. */
  private static Map<String, Double> calls(JsonNode n, String at) {
    Map<String, Double> calls = new LinkedHashMap<>();
    if (n.get("calls") == null) return calls;
    for (Map.Entry<String, JsonNode> c : fields(object(n, "calls", at + ".calls"))) {
      calls.put(c.getKey(), number(c.getValue(), at + ".calls." + c.getKey()));
    }
    return calls;
  }

  private static int integer(JsonNode parent, String key, String at) {
    JsonNode v = parent.get(key);
    if (v == null) throw new IllegalArgumentException(at + "." + key + " is missing");
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw bad(at + "." + key, "an integer");
    return v.asInt();
  }

  private static double number(JsonNode parent, String key, String at) {
    JsonNode v = parent.get(key);
    if (v == null) throw new IllegalArgumentException(at + "." + key + " is missing");
    return number(v, at + "." + key);
  }

  private static double number(JsonNode v, String at) {
    if (v.isNumber()) return v.asDouble();
    if (v.isNull()) return Double.NaN;
    if (v.isTextual()) { // Jackson's spelling of non-finite doubles
      switch (v.asText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw bad(at, "a number");
  }

  private static JsonNode object(JsonNode parent, String key, String at) {
    JsonNode v = parent.get(key);
    if (v == null) throw new IllegalArgumentException(at + " is missing");
    if (!v.isObject()) throw bad(at, "an object");
    return v;
  }

  private static JsonNode array(JsonNode parent, String key, String at) {
    JsonNode v = parent.get(key);
    if (v == null) throw new IllegalArgumentException(at + " is missing");
    if (!v.isArray()) throw bad(at, "an array");
    return v;
  }

  private static Iterable<Map.Entry<String, JsonNode>> fields(JsonNode n) {
    return n.properties();
  }

  private static IllegalArgumentException bad(String at, String expected) {
    return new IllegalArgumentException(at + " is not " + expected);
  }

  private static void putNumber(ObjectNode n, String key, double v) {
    if (Double.isFinite(v)) n.put(key, v);
    else n.putNull(key);
  }

  private static void putScores(ObjectNode n, Scores s) {
    n.put("n", s.n());
    putNumber(n, "em", s.em());
    putNumber(n, "f1", s.f1());
    putNumber(n, "well_formed", s.wellFormed());
    putNumber(n, "searches", s.searches());
    putNumber(n, "tokens", s.tokens());
    if (s.lj() != null) putNumber(n, "lj", s.lj());
    if (!s.calls().isEmpty()) {
      ObjectNode calls = n.putObject("calls");
      s.calls().forEach((t, v) -> putNumber(calls, t, v));
    }
  }
}
