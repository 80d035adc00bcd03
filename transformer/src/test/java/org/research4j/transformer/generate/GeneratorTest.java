package org.research4j.transformer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.tensor.Tape;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;

/**
 * Generation against full forward passes of the same model: the KV cache (chunked prefill of
 * prompts of different lengths, decode steps, appended tool results) must give the logits of a full
 * forward over the same tokens to within {@link #LOGITS_TOLERANCE} absolute, and greedy decoding
 * must repeat the argmax of full forwards. The tiny random model uses initializer range 0.3, so
 * that its logits spread over several units and attention is far from uniform.
 */
class GeneratorTest {
  static final double LOGITS_TOLERANCE = 1e-4;
  static final Kernels CPU = new CpuKernels();
  static final Qwen2Config CONFIG =
      new Qwen2Config(
          128, 64, 96, 2, 4, 2, 16, 256, 10000.0, 1e-6, false, null, List.of(0), "float32", 0.3);
  static final Qwen2Model MODEL = Qwen2Model.random(CPU, CONFIG, 2024);

  /**
   * The same weights with the KV cache in bfloat16: each key and value rounded (relative error at
   * most 2^-9). On this model (weights of standard deviation 0.3, logits up to 10.3 in magnitude)
   * that moves the logits by up to 0.11 and 0.13 in the two tests below (measured, about 1 % of the
   * largest logit); a key or value of another position or sequence moves them by whole units.
   */
  static final Qwen2Model MODEL_BF16_CACHE = Qwen2Model.random(CPU, CONFIG, 2024).bf16Caches(true);

  static final double BF16_CACHE_TOLERANCE = 0.25;

  /** Each token reads as its id in angle brackets, so stop strings can span tokens. */
  static final Function<int[], String> TEXT =
      ids -> Arrays.stream(ids).mapToObj(i -> "<" + i + ">").collect(Collectors.joining());

  static final List<int[]> PROMPTS =
      List.of(
          new int[] {5, 17, 33, 2, 90},
          new int[] {7, 1, 64, 99, 12, 3, 45, 8, 70, 21, 11},
          new int[] {42});

  @AfterAll
  static void freeModel() {
    MODEL.close();
    MODEL_BF16_CACHE.close();
  }

  /** Logits of every position of {@code tokens} from one full forward (no cache). */
  static float[][] fullLogits(int[] tokens) {
    try (Tape tape = new Tape(CPU)) {
      float[] flat = MODEL.logits(tape.ops(), tape.ints(tokens, 1, tokens.length)).toFloatArray();
      int v = CONFIG.vocabSize();
      float[][] rows = new float[tokens.length][];
      for (int i = 0; i < tokens.length; i++)
        rows[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
      return rows;
    }
  }

  /** Records the logits of every draw, by sequence and position. */
  static Map<Integer, Map<Integer, float[]>> record(Session s) {
    Map<Integer, Map<Integer, float[]>> seen = new HashMap<>();
    s.observeLogits(
        (seq, pos, logits) ->
            seen.computeIfAbsent(seq, x -> new HashMap<>()).put(pos, logits.clone()));
    return seen;
  }

  @ParameterizedTest(name = "bf16 cache: {0}")
  @ValueSource(booleans = {false, true})
  void cachedLogitsEqualFullForwardAcrossChunksStepsAndAppends(boolean bf16Cache) {
    Generator gen =
        new Generator(
            bf16Cache ? MODEL_BF16_CACHE : MODEL,
            TEXT,
            4); // chunk 4: prompts and appends take several steps
    try (Session s = gen.start(PROMPTS, SamplingConfig.sampling(1.0, 99), 64)) {
      Map<Integer, Map<Integer, float[]>> seen = record(s);
      List<Stop> stops = s.run(6);
      assertEquals(3, stops.size());
      for (Stop stop : stops) assertEquals(StopReason.LENGTH, stop.reason());
      // A tool result longer than the chunk for sequence 1, a short one for sequence 2; sequence 0
      // stays stopped while the others go on.
      s.append(1, new int[] {3, 1, 4, 1, 5, 9, 2, 6, 5});
      s.append(2, new int[] {27});
      s.resume(1);
      s.resume(2);
      s.run(5);
      assertEquals(PROMPTS.get(0).length + 6, s.length(0));
      assertEquals(PROMPTS.get(1).length + 6 + 9 + 5, s.length(1));
      assertEquals(PROMPTS.get(2).length + 6 + 1 + 5, s.length(2));

      double worst = 0;
      int compared = 0;
      for (int seq = 0; seq < 3; seq++) {
        int[] tokens = s.tokens(seq);
        float[][] full = fullLogits(tokens);
        for (Map.Entry<Integer, float[]> e : seen.get(seq).entrySet()) {
          float[] cached = e.getValue();
          for (int j = 0; j < cached.length; j++) {
            worst = Math.max(worst, Math.abs(cached[j] - full[e.getKey()][j]));
          }
          compared++;
        }
      }
      System.out.printf(
          "KV cache (bf16: %b) vs full forward: %d draws, max |logit difference| %.2e%n",
          bf16Cache, compared, worst);
      assertEquals(6 * 3 + 5 * 2, compared, "draws observed");
      double tolerance = bf16Cache ? BF16_CACHE_TOLERANCE : LOGITS_TOLERANCE;
      assertTrue(worst <= tolerance, "max |cached - full| logit difference " + worst);
      assertTrue(!bf16Cache || worst > LOGITS_TOLERANCE / 100, "bf16 cache in use: " + worst);
    }
  }

  /**
   * Sequences that stop leave the batch (the running ones move to the first cache slots, their keys
   * and values exchanged with the stopped ones'); a stopped sequence keeps its cache and, resumed
   * in another slot, must still draw from the logits of a full forward.
   */
  @ParameterizedTest(name = "bf16 cache: {0}")
  @ValueSource(booleans = {false, true})
  void stoppedSequencesLeaveTheBatchAndKeepTheirCacheWhenResumed(boolean bf16Cache) {
    List<int[]> prompts =
        List.of(
            new int[] {5, 17, 33},
            new int[] {7, 1, 64, 99, 12, 3, 45},
            new int[] {42},
            new int[] {8, 9},
            new int[] {100, 101, 102, 103, 104, 105});
    int[] haltAfter = {2, 4, 99, 1, 99};
    Generator gen = new Generator(bf16Cache ? MODEL_BF16_CACHE : MODEL, TEXT, 4);
    try (Session s = gen.start(prompts, SamplingConfig.sampling(1.0, 7), 64)) {
      Map<Integer, Map<Integer, float[]>> seen = record(s);
      s.run(6, q -> s.length(q) - prompts.get(q).length >= haltAfter[q]);
      s.append(3, new int[] {3, 1, 4, 1, 5, 9, 2, 6, 5});
      s.append(0, new int[] {27});
      s.resume(3);
      s.resume(0);
      s.run(3);
      s.append(1, new int[] {11, 12});
      s.resume(1);
      s.run(2);

      double worst = 0;
      int compared = 0;
      for (int seq = 0; seq < prompts.size(); seq++) {
        float[][] full = fullLogits(s.tokens(seq));
        for (Map.Entry<Integer, float[]> e : seen.get(seq).entrySet()) {
          float[] cached = e.getValue();
          for (int j = 0; j < cached.length; j++) {
            worst = Math.max(worst, Math.abs(cached[j] - full[e.getKey()][j]));
          }
          compared++;
        }
      }
      System.out.printf(
          "KV cache (bf16: %b) with sequences leaving and rejoining the batch vs full forward:"
              + " %d draws, max |logit difference| %.2e%n",
          bf16Cache, compared, worst);
      assertEquals((2 + 4 + 6 + 1 + 6) + (3 + 3) + 2, compared, "draws observed");
      double tolerance = bf16Cache ? BF16_CACHE_TOLERANCE : LOGITS_TOLERANCE;
      assertTrue(worst <= tolerance, "max |cached - full| logit difference " + worst);
      assertTrue(!bf16Cache || worst > LOGITS_TOLERANCE / 100, "bf16 cache in use: " + worst);
    }
  }

  @Test
  void greedyEqualsRepeatedArgmaxOfFullForward() {
    int steps = 8;
    try (Session s = new Generator(MODEL, TEXT).start(PROMPTS, SamplingConfig.greedy(), 64)) {
      s.run(steps);
      for (int seq = 0; seq < PROMPTS.size(); seq++) {
        int[] tokens = PROMPTS.get(seq).clone();
        for (int i = 0; i < steps; i++) {
          float[][] full = fullLogits(tokens);
          tokens = Arrays.copyOf(tokens, tokens.length + 1);
          tokens[tokens.length - 1] = Sampler.argmax(full[full.length - 1]);
        }
        assertArrayEquals(tokens, s.tokens(seq), "sequence " + seq);
      }
    }
  }

  static int[][] generate(SamplingConfig c, List<int[]> prompts, int maxNew) {
    try (Session s = new Generator(MODEL, TEXT).start(prompts, c, 64)) {
      s.run(maxNew);
      int[][] out = new int[prompts.size()][];
      for (int i = 0; i < out.length; i++) out[i] = s.tokens(i);
      return out;
    }
  }

  @Test
  void topKOneEqualsGreedy() {
    int[][] greedy = generate(SamplingConfig.greedy(), PROMPTS, 10);
    int[][] topK1 = generate(SamplingConfig.sampling(1.0, 5).withTopK(1), PROMPTS, 10);
    assertArrayEquals(greedy, topK1);
  }

  @Test
  void samplingWithASeedIsReproducibleAndIndependentOfTheBatch() {
    SamplingConfig c = SamplingConfig.sampling(1.0, 1234).withTopP(0.95).withTopK(40);
    int[][] a = generate(c, PROMPTS, 12);
    int[][] b = generate(c, PROMPTS, 12);
    assertArrayEquals(a, b, "same seed, same tokens");
    int[][] other = generate(c.withSeed(4321), PROMPTS, 12);
    assertFalse(Arrays.deepEquals(a, other), "another seed draws other tokens");
    // Sequence 0 draws from its own generator: alone it draws what it drew in the batch.
    int[][] alone = generate(c, List.of(PROMPTS.get(0)), 12);
    assertArrayEquals(a[0], alone[0]);
  }

  @Test
  void aStopStringStopsOnlyItsSequence() {
    int maxNew = 12;
    int[][] free = generate(SamplingConfig.greedy(), PROMPTS, maxNew);
    int p0 = PROMPTS.get(0).length;
    // The text of two of sequence 0's generated tokens, so the stop string spans a token boundary.
    String stop = TEXT.apply(Arrays.copyOfRange(free[0], p0 + 3, p0 + 5)).substring(2);
    stop = stop.substring(0, stop.length() - 1);
    int[] expectedLength = new int[PROMPTS.size()];
    for (int seq = 0; seq < PROMPTS.size(); seq++) {
      int p = PROMPTS.get(seq).length;
      expectedLength[seq] = p + maxNew;
      for (int n = 1; n <= maxNew; n++) {
        if (TEXT.apply(Arrays.copyOfRange(free[seq], p, p + n)).contains(stop)) {
          expectedLength[seq] = p + n;
          break;
        }
      }
    }
    assertTrue(expectedLength[0] <= p0 + 5);
    try (Session s =
        new Generator(MODEL, TEXT)
            .start(PROMPTS, SamplingConfig.greedy().withStopStrings(List.of(stop)), 64)) {
      List<Stop> stops = s.run(maxNew);
      assertEquals(PROMPTS.size(), stops.size());
      int others = 0;
      for (int seq = 0; seq < PROMPTS.size(); seq++) {
        assertArrayEquals(
            Arrays.copyOf(free[seq], expectedLength[seq]), s.tokens(seq), "sequence " + seq);
        boolean stopped =
            TEXT.apply(Arrays.copyOfRange(free[seq], PROMPTS.get(seq).length, expectedLength[seq]))
                .contains(stop);
        assertEquals(
            stopped ? StopReason.STOP_STRING : StopReason.LENGTH,
            s.stop(seq).reason(),
            "sequence " + seq);
        if (!stopped) others++;
      }
      assertEquals(StopReason.STOP_STRING, stops.getFirst().reason());
      assertEquals(0, stops.getFirst().sequence());
      assertEquals(stop, stops.getFirst().stopString());
      assertTrue(others > 0, "stop string " + stop + " should leave some sequence running");

      // Resumed, sequence 0 searches only what it generates next (one token, whose text "<id>"
      // cannot hold the "...><..." stop string): the old match does not stop it again.
      s.append(0, new int[] {1, 2});
      s.resume(0);
      s.step();
      assertTrue(s.isRunning(0), "resumed sequence stopped again: " + s.stop(0));
    }
  }

  @Test
  void aStopTokenEndsOnlyItsSequence() {
    int maxNew = 10;
    int[][] free = generate(SamplingConfig.greedy(), PROMPTS, maxNew);
    int p1 = PROMPTS.get(1).length;
    int eos = free[1][p1 + 4];
    try (Session s =
        new Generator(MODEL, TEXT)
            .start(PROMPTS, SamplingConfig.greedy().withStopTokenIds(Set.of(eos)), 64)) {
      s.run(maxNew);
      for (int seq = 0; seq < PROMPTS.size(); seq++) {
        int p = PROMPTS.get(seq).length;
        int expected = p + maxNew;
        for (int i = p; i < p + maxNew; i++) {
          if (free[seq][i] == eos) {
            expected = i + 1;
            break;
          }
        }
        assertArrayEquals(Arrays.copyOf(free[seq], expected), s.tokens(seq), "sequence " + seq);
        StopReason reason = free[seq][expected - 1] == eos ? StopReason.EOS : StopReason.LENGTH;
        assertEquals(reason, s.stop(seq).reason(), "sequence " + seq);
      }
      assertEquals(StopReason.EOS, s.stop(1).reason());
    }
  }

  @Test
  void capacityEndsASequenceAndBoundsAppends() {
    try (Session s = new Generator(MODEL, TEXT).start(PROMPTS, SamplingConfig.greedy(), 14)) {
      List<Stop> stops = s.run(100);
      for (int seq = 0; seq < PROMPTS.size(); seq++) {
        assertEquals(14, s.length(seq));
        assertEquals(StopReason.LENGTH, s.stop(seq).reason());
      }
      assertEquals(3, stops.size());
      assertThrows(IllegalStateException.class, () -> s.resume(0));
      assertThrows(IllegalArgumentException.class, () -> s.append(0, new int[] {1}));
    }
    Generator gen = new Generator(MODEL, TEXT);
    assertThrows(
        IllegalArgumentException.class,
        () -> gen.start(List.of(new int[0]), SamplingConfig.greedy(), 8));
    assertThrows(
        IllegalArgumentException.class,
        () -> gen.start(List.of(new int[] {128}), SamplingConfig.greedy(), 8));
  }

  @Test
  void appendRequiresAStoppedSequence() {
    try (Session s = new Generator(MODEL, TEXT).start(PROMPTS, SamplingConfig.greedy(), 32)) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> s.append(0, new int[] {1}));
      assertNotNull(e.getMessage());
      assertThrows(IllegalStateException.class, () -> s.resume(1));
    }
  }

  @Test
  void perSequenceSamplingMatchesEachConfigAloneAndHaltStopsOneSequence() {
    SamplingConfig greedy = SamplingConfig.greedy();
    SamplingConfig hot = SamplingConfig.sampling(1.0, 77).withTopP(0.9);
    SamplingConfig stopping =
        greedy.withStopTokenIds(Set.of(generate(greedy, PROMPTS, 4)[2][1 + 2]));
    List<SamplingConfig> mixed = List.of(greedy, hot, stopping);
    int[][] together;
    try (Session s = new Generator(MODEL, TEXT).start(PROMPTS, mixed, 64)) {
      s.run(10);
      together = new int[3][];
      for (int i = 0; i < 3; i++) together[i] = s.tokens(i);
      assertEquals(StopReason.EOS, s.stop(2).reason(), "sequence 2 stops at its own stop token");
      assertEquals(StopReason.LENGTH, s.stop(0).reason());
    }
    for (int i = 0; i < 3; i++) {
      try (Session alone =
          new Generator(MODEL, TEXT).start(List.of(PROMPTS.get(i)), List.of(mixed.get(i)), 64)) {
        alone.run(10);
        assertArrayEquals(
            alone.tokens(0),
            together[i],
            "sequence " + i + " alone draws what it drew in the batch");
      }
    }
    assertEquals(
        PROMPTS.get(2).length + 3, together[2].length, "its stop token was its third draw");
    try (Session s = new Generator(MODEL, TEXT).start(PROMPTS, greedy, 64)) {
      s.run(20, seq -> seq == 1 && s.length(1) >= PROMPTS.get(1).length + 2);
      assertEquals(StopReason.HALTED, s.stop(1).reason());
      assertEquals(
          PROMPTS.get(1).length + 2,
          s.length(1),
          "halted right after the step that met the predicate");
      assertEquals(PROMPTS.get(0).length + 20, s.length(0), "the others run on");
      assertThrows(IllegalStateException.class, () -> s.halt(1));
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new Generator(MODEL, TEXT).start(PROMPTS, List.of(greedy), 64));
  }
}
