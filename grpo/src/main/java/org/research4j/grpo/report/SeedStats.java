package org.research4j.grpo.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The same demo run for several seeds, aggregated: per method the mean, sample standard deviation
 * and range over seeds of EM, F1, the well-formed rate, searches and tokens per response, F1 per
 * question type, and the same for each stage's wall time and each model's pass@k. A method (or
 * question type, or model) that only some seeds report is aggregated over those, and {@code n} says
 * how many; non-finite values are left out the same way.
 *
 * @param seeds the seeds, in the order given
 * @param methods per method, in order of first appearance
 * @param wallSeconds per stage, in order of first appearance
 * @param passAtK per model, k to pass@k over seeds
 */
public record SeedStats(
    List<Long> seeds,
    Map<String, MethodStats> methods,
    Map<String, Stat> wallSeconds,
    Map<String, SortedMap<Integer, Stat>> passAtK) {

  public SeedStats {
    seeds = List.copyOf(seeds);
    methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
    wallSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(wallSeconds));
    passAtK = Collections.unmodifiableMap(new LinkedHashMap<>(passAtK));
  }

  /**
   * Mean, sample standard deviation (n - 1 in the denominator; NaN for fewer than two values), min
   * and max of {@code n} values (all NaN when {@code n} is 0).
   */
  public record Stat(int n, double mean, double sd, double min, double max) {
    public static Stat of(List<Double> values) {
      List<Double> xs = values.stream().filter(v -> v != null && Double.isFinite(v)).toList();
      int n = xs.size();
      if (n == 0) return new Stat(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
      double sum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
      for (double x : xs) {
        sum += x;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      double mean = sum / n;
      double sd = Double.NaN;
      if (n > 1) {
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        sd = Math.sqrt(ss / (n - 1));
      }
      return new Stat(n, mean, sd, min, max);
    }
  }

  /** One method over the seeds that report it ({@code seeds} of them). */
  public record MethodStats(
      int seeds,
      Stat em,
      Stat f1,
      Stat wellFormed,
      Stat searches,
      Stat tokens,
      Map<String, Stat> f1ByType) {
    public MethodStats {
      f1ByType = Collections.unmodifiableMap(new LinkedHashMap<>(f1ByType));
    }
  }

  /** Aggregates the seeds' summaries (a pure function of them). */
  public static SeedStats of(List<DemoSummary.Data> runs) {
    List<Long> seeds = runs.stream().map(DemoSummary.Data::seed).toList();
    Set<String> names = new LinkedHashSet<>();
    Set<String> stages = new LinkedHashSet<>();
    Set<String> models = new LinkedHashSet<>();
    for (DemoSummary.Data r : runs) {
      names.addAll(r.methods().keySet());
      stages.addAll(r.wallSeconds().keySet());
      models.addAll(r.passAtK().keySet());
    }
    Map<String, MethodStats> methods = new LinkedHashMap<>();
    for (String name : names) {
      List<DemoSummary.Method> ms =
          runs.stream().map(r -> r.methods().get(name)).filter(m -> m != null).toList();
      Set<String> types = new LinkedHashSet<>();
      ms.forEach(m -> types.addAll(m.byType().keySet()));
      Map<String, Stat> byType = new LinkedHashMap<>();
      for (String t : types) {
        byType.put(
            t,
            Stat.of(
                ms.stream()
                    .map(m -> m.byType().get(t))
                    .filter(s -> s != null)
                    .map(s -> s.f1())
                    .toList()));
      }
      methods.put(
          name,
          new MethodStats(
              ms.size(),
              over(ms, DemoSummary.Scores::em),
              over(ms, DemoSummary.Scores::f1),
              over(ms, DemoSummary.Scores::wellFormed),
              over(ms, DemoSummary.Scores::searches),
              over(ms, DemoSummary.Scores::tokens),
              byType));
    }
    Map<String, Stat> wall = new LinkedHashMap<>();
    for (String s : stages) {
      wall.put(
          s,
          Stat.of(
              runs.stream()
                  .filter(r -> r.wallSeconds().containsKey(s))
                  .map(r -> r.wallSeconds().get(s))
                  .toList()));
    }
    Map<String, SortedMap<Integer, Stat>> curves = new LinkedHashMap<>();
    for (String model : models) {
      List<DemoSummary.Curve> cs =
          runs.stream().map(r -> r.passAtK().get(model)).filter(c -> c != null).toList();
      SortedMap<Integer, Stat> curve = new TreeMap<>();
      Set<Integer> allK = new TreeSet<>();
      cs.forEach(c -> allK.addAll(c.curve().keySet()));
      for (int k : allK) {
        curve.put(
            k,
            Stat.of(
                cs.stream()
                    .filter(c -> c.curve().containsKey(k))
                    .map(c -> c.curve().get(k))
                    .toList()));
      }
      curves.put(model, curve);
    }
    return new SeedStats(seeds, methods, wall, curves);
  }

  private static Stat over(List<DemoSummary.Method> ms, ToDoubleFunction<DemoSummary.Scores> f) {
    List<Double> xs = new ArrayList<>();
    for (DemoSummary.Method m : ms) xs.add(f.applyAsDouble(m.all()));
    return Stat.of(xs);
  }

  /**
   * The JSON of {@code seeds.json}: every {@link Stat} as {@code {"n","mean","sd","min","max"}},
   * non-finite as null.
   */
  public ObjectNode toJson() {
    ObjectNode root = new ObjectMapper().createObjectNode();
    ArrayNode ss = root.putArray("seeds");
    seeds.forEach(ss::add);
    ObjectNode ms = root.putObject("methods");
    methods.forEach(
        (name, m) -> {
          ObjectNode mn = ms.putObject(name);
          mn.put("seeds", m.seeds());
          put(mn, "em", m.em());
          put(mn, "f1", m.f1());
          put(mn, "well_formed", m.wellFormed());
          put(mn, "searches", m.searches());
          put(mn, "tokens", m.tokens());
          ObjectNode types = mn.putObject("f1_by_type");
          m.f1ByType().forEach((t, s) -> put(types, t, s));
        });
    ObjectNode wall = root.putObject("wall_seconds");
    wallSeconds.forEach((s, st) -> put(wall, s, st));
    ObjectNode pk = root.putObject("pass_at_k");
    passAtK.forEach(
        (model, curve) -> {
          ObjectNode cn = pk.putObject(model);
          curve.forEach((k, st) -> put(cn, Integer.toString(k), st));
        });
    return root;
  }

  private static void put(ObjectNode parent, String key, Stat s) {
    ObjectNode n = parent.putObject(key);
    n.put("n", s.n());
    num(n, "mean", s.mean());
    num(n, "sd", s.sd());
    num(n, "min", s.min());
    num(n, "max", s.max());
  }

  private static void num(ObjectNode n, String key, double v) {
    if (Double.isFinite(v)) n.put(key, v);
    else n.putNull(key);
  }

  /**
   * The tables {@code research seeds} prints: per method mean ± sd [min..max] of EM, F1, format and
   * searches; F1 per question type, mean ± sd; pass@k per model; wall time per stage.
   */
  public String table() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "over %d seeds (%s): mean ± sample sd [min..max]%n",
            seeds.size(),
            String.join(", ", seeds.stream().map(String::valueOf).toList())));
    b.append(
        String.format(
            Locale.ROOT,
            "%-22s %5s  %-29s %-29s %-29s %s%n",
            "method",
            "seeds",
            "EM",
            "F1",
            "format",
            "searches"));
    methods.forEach(
        (name, m) ->
            b.append(
                    String.format(
                        Locale.ROOT,
                        "%-22s %5d  %-29s %-29s %-29s %s",
                        name,
                        m.seeds(),
                        cell(m.em(), 3),
                        cell(m.f1(), 3),
                        cell(m.wellFormed(), 3),
                        cell(m.searches(), 2)))
                .append(System.lineSeparator()));
    Set<String> types = new LinkedHashSet<>();
    methods.values().forEach(m -> types.addAll(m.f1ByType().keySet()));
    if (!types.isEmpty()) {
      b.append(
          String.format(
              Locale.ROOT, "%nF1 by question type, mean ± sd over seeds%n%-22s", "method"));
      for (String t : types) b.append(String.format(Locale.ROOT, " %15s", t));
      b.append(System.lineSeparator());
      methods.forEach(
          (name, m) -> {
            b.append(String.format(Locale.ROOT, "%-22s", name));
            for (String t : types) {
              Stat s = m.f1ByType().get(t);
              b.append(String.format(Locale.ROOT, " %15s", s == null ? "-" : meanSd(s, 3)));
            }
            b.append(System.lineSeparator());
          });
    }
    if (!passAtK.isEmpty()) {
      b.append(String.format(Locale.ROOT, "%npass@k, mean ± sd over seeds%n"));
      passAtK.forEach(
          (model, curve) -> {
            b.append(String.format(Locale.ROOT, "%-22s", model));
            curve.forEach(
                (k, s) -> b.append(String.format(Locale.ROOT, "  k=%d %s", k, meanSd(s, 3))));
            b.append(System.lineSeparator());
          });
    }
    if (!wallSeconds.isEmpty()) {
      List<String> parts = new ArrayList<>();
      wallSeconds.forEach((stage, s) -> parts.add(stage + " " + meanSd(s, 0)));
      b.append(
          String.format(
              Locale.ROOT, "%nwall seconds per seed, mean ± sd: %s%n", String.join(", ", parts)));
    }
    return b.toString();
  }

  private static String fmt(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "-";
  }

  private static String meanSd(Stat s, int digits) {
    return s.n() == 0 ? "-" : fmt(s.mean(), digits) + " ± " + fmt(s.sd(), digits);
  }

  private static String cell(Stat s, int digits) {
    return s.n() == 0
        ? "-"
        : meanSd(s, digits) + " [" + fmt(s.min(), digits) + ".." + fmt(s.max(), digits) + "]";
  }
}
