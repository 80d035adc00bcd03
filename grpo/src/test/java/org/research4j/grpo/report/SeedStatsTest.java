package org.research4j.grpo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SeedStats#of} against means and sample standard deviations worked out by hand. */
class SeedStatsTest {
  private static final double TOL = 1e-12;

  private static final String S42 =
      """
      {"seed": 42, "command": ["--seed", "42"], "wall_seconds": {"grpo": 5, "total": 10},
       "methods": {
         "A": {"n": 10, "em": 0.1, "f1": 0.2, "well_formed": 0.5, "searches": 1.0, "tokens": 100,
               "by_type": {"bridge": {"n": 6, "em": 0, "f1": 0.3, "well_formed": 1, "searches": 1, "tokens": 1},
                           "comparison": {"n": 4, "em": 0, "f1": 0.1, "well_formed": 1, "searches": 1, "tokens": 1}},
               "diagnostics": {"hops": 12}},
         "B": {"n": 10, "em": 0.4, "f1": 0.5, "well_formed": 1.0, "searches": 2.0, "tokens": 80,
               "by_type": {"bridge": {"n": 10, "em": 0, "f1": 0.6, "well_formed": 1, "searches": 1, "tokens": 1}}}},
       "pass_at_k": {"M": {"n": 2, "questions": 10, "curve": {"1": 0.2, "2": 0.3}}},
       "notes": []}
      """;
  private static final String S43 =
      """
      {"seed": 43, "command": [], "wall_seconds": {"total": 20},
       "methods": {
         "A": {"n": 10, "em": 0.2, "f1": 0.4, "well_formed": 0.7, "searches": 1.5, "tokens": 110,
               "by_type": {"bridge": {"n": 6, "em": 0, "f1": 0.5, "well_formed": 1, "searches": 1, "tokens": 1},
                           "comparison": {"n": 4, "em": 0, "f1": 0.2, "well_formed": 1, "searches": 1, "tokens": 1}}},
         "C": {"n": 10, "em": 0.5, "f1": 0.6, "well_formed": 1, "searches": 0, "tokens": 50}},
       "pass_at_k": {}, "notes": ["no GRPO"]}
      """;
  private static final String S44 =
      """
      {"seed": 44, "command": [], "wall_seconds": {"grpo": 9, "total": 60},
       "methods": {
         "A": {"n": 10, "em": 0.3, "f1": 0.3, "well_formed": 0.9, "searches": 2.0, "tokens": 90,
               "by_type": {"bridge": {"n": 10, "em": 0, "f1": 0.4, "well_formed": 1, "searches": 1, "tokens": 1}}},
         "B": {"n": 10, "em": 0.6, "f1": 0.7, "well_formed": 0.8, "searches": 3.0, "tokens": 70,
               "by_type": {"bridge": {"n": 10, "em": 0, "f1": 0.8, "well_formed": 1, "searches": 1, "tokens": 1}}}},
       "pass_at_k": {"M": {"n": 2, "questions": 10, "curve": {"1": 0.4, "2": 0.5}}},
       "notes": []}
      """;

  private static List<DemoSummary.Data> runs() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<DemoSummary.Data> runs = new ArrayList<>();
    for (String s : List.of(S42, S43, S44)) runs.add(DemoSummary.fromJson(json.readTree(s)));
    return runs;
  }

  private static void stat(
      SeedStats.Stat s, int n, double mean, double sd, double min, double max) {
    assertEquals(n, s.n());
    assertEquals(mean, s.mean(), TOL);
    if (Double.isNaN(sd)) assertTrue(Double.isNaN(s.sd()), "sd of one value is NaN, got " + s.sd());
    else assertEquals(sd, s.sd(), TOL);
    assertEquals(min, s.min(), TOL);
    assertEquals(max, s.max(), TOL);
  }

  @Test
  void meansAndSampleDeviationsOverSeeds() throws IOException {
    SeedStats st = SeedStats.of(runs());
    assertEquals(List.of(42L, 43L, 44L), st.seeds());
    assertEquals(List.of("A", "B", "C"), List.copyOf(st.methods().keySet()));

    SeedStats.MethodStats a = st.methods().get("A");
    assertEquals(3, a.seeds());
    // 0.1, 0.2, 0.3: mean 0.2, squared deviations 0.01 + 0 + 0.01 over n - 1 = 2: sd 0.1
    stat(a.em(), 3, 0.2, 0.1, 0.1, 0.3);
    stat(a.f1(), 3, 0.3, 0.1, 0.2, 0.4);
    stat(a.wellFormed(), 3, 0.7, 0.2, 0.5, 0.9);
    stat(a.searches(), 3, 1.5, 0.5, 1.0, 2.0);
    stat(a.tokens(), 3, 100, 10, 90, 110);
    assertEquals(List.of("bridge", "comparison"), List.copyOf(a.f1ByType().keySet()));
    stat(a.f1ByType().get("bridge"), 3, 0.4, 0.1, 0.3, 0.5);
    // 0.1, 0.2 (seed 44 has no comparison question): mean 0.15, sd sqrt(2 * 0.05^2 / 1)
    stat(a.f1ByType().get("comparison"), 2, 0.15, Math.sqrt(0.005), 0.1, 0.2);

    SeedStats.MethodStats b = st.methods().get("B");
    assertEquals(2, b.seeds(), "B is in seeds 42 and 44 only");
    stat(b.em(), 2, 0.5, Math.sqrt(0.02), 0.4, 0.6);
    stat(b.f1(), 2, 0.6, Math.sqrt(0.02), 0.5, 0.7);
    stat(b.wellFormed(), 2, 0.9, Math.sqrt(0.02), 0.8, 1.0);
    stat(b.searches(), 2, 2.5, Math.sqrt(0.5), 2.0, 3.0);
    stat(b.tokens(), 2, 75, Math.sqrt(50), 70, 80);
    stat(b.f1ByType().get("bridge"), 2, 0.7, Math.sqrt(0.02), 0.6, 0.8);

    SeedStats.MethodStats c = st.methods().get("C");
    assertEquals(1, c.seeds());
    stat(c.em(), 1, 0.5, Double.NaN, 0.5, 0.5);
    assertTrue(c.f1ByType().isEmpty());

    // 10, 20, 60: mean 30, deviations -20, -10, 30: sd sqrt(1400 / 2)
    stat(st.wallSeconds().get("total"), 3, 30, Math.sqrt(700), 10, 60);
    stat(st.wallSeconds().get("grpo"), 2, 7, Math.sqrt(8), 5, 9);
    stat(st.passAtK().get("M").get(1), 2, 0.3, Math.sqrt(0.02), 0.2, 0.4);
    stat(st.passAtK().get("M").get(2), 2, 0.4, Math.sqrt(0.02), 0.3, 0.5);
  }

  @Test
  void jsonAndTableCarryTheSameNumbers() throws IOException {
    SeedStats st = SeedStats.of(runs());
    var json = st.toJson();
    assertEquals(3, json.at("/methods/A/seeds").asInt());
    assertEquals(0.2, json.at("/methods/A/em/mean").asDouble(), TOL);
    assertEquals(0.1, json.at("/methods/A/em/sd").asDouble(), TOL);
    assertEquals(0.1, json.at("/methods/A/em/min").asDouble(), TOL);
    assertEquals(0.3, json.at("/methods/A/em/max").asDouble(), TOL);
    assertEquals(2, json.at("/methods/A/f1_by_type/comparison/n").asInt());
    assertTrue(json.at("/methods/C/em/sd").isNull(), "sd of one seed is null");
    assertEquals(30, json.at("/wall_seconds/total/mean").asDouble(), TOL);
    assertEquals(0.3, json.at("/pass_at_k/M/1/mean").asDouble(), TOL);

    String table = st.table();
    assertTrue(table.contains("0.200 ± 0.100 [0.100..0.300]"), table);
    assertTrue(table.contains("1.50 ± 0.50 [1.00..2.00]"), table);
    assertTrue(table.contains("0.500 ± - [0.500..0.500]"), table);
    assertTrue(table.contains("0.150 ± 0.071"), table);
  }

  @Test
  void noValuesIsNaN() {
    SeedStats.Stat s = SeedStats.Stat.of(List.of(Double.NaN));
    assertEquals(0, s.n());
    assertTrue(Double.isNaN(s.mean()));
    assertNull(SeedStats.of(List.of()).methods().get("A"));
  }
}
