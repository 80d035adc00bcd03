package org.research4j.transformer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  static List<List<String>> merges(Tokenizer t) throws IOException {
    List<List<String>> out = new ArrayList<>();
    for (JsonNode m : JSON.readTree(t.toJsonBytes()).get("model").get("merges")) {
      out.add(List.of(m.get(0).asText(), m.get(1).asText()));
    }
    return out;
  }

  /**
   * A pseudo-English corpus: words of a seeded Zipf-like vocabulary, sentences with punctuation,
   * numbers, a few non-ASCII words and the ReSearch tags.
   */
  static List<String> corpus(long seed, int documents) {
    Random r = new Random(seed);
    String[] syllables = {
      "ka", "lo", "ri", "mel", "tan", "vor", "qu", "est", "ing", "the", "and", "ö", "ß", "né", "中"
    };
    String[] lexicon = new String[600];
    for (int i = 0; i < lexicon.length; i++) {
      StringBuilder w = new StringBuilder();
      int n = 1 + r.nextInt(3);
      for (int k = 0; k < n; k++) {
        w.append(syllables[r.nextInt(syllables.length)]);
      }
      lexicon[i] = w.toString();
    }
    List<String> docs = new ArrayList<>();
    for (int d = 0; d < documents; d++) {
      StringBuilder sb = new StringBuilder();
      int sentences = 3 + r.nextInt(6);
      for (int s = 0; s < sentences; s++) {
        int len = 4 + r.nextInt(12);
        for (int k = 0; k < len; k++) {
          // Zipf-like: low indices much more frequent.
          String w = lexicon[(int) Math.floor(Math.pow(r.nextDouble(), 3) * lexicon.length)];
          sb.append(k == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
          sb.append(r.nextInt(20) == 0 ? ", " : " ");
        }
        if (r.nextInt(5) == 0) {
          sb.append(1800 + r.nextInt(200)).append(' ');
        }
        sb.setLength(sb.length() - 1);
        sb.append(r.nextInt(4) == 0 ? "?\n" : ". ");
      }
      if (d % 7 == 0) {
        sb.append(
            "<think>plan</think><search>query</search><result>\npassage\n</result><answer>\\boxed{x}</answer>");
      }
      docs.add(sb.toString());
    }
    return docs;
  }

  @Test
  void learnsHandComputedMerges() throws IOException {
    // "ab ab ab" -> words ab, Ġab, Ġab. Counts: (a,b)=3, (Ġ,a)=2 -> merge a+b; then (Ġ,ab)=2 ->
    // merge.
    Tokenizer t =
        new BpeTrainer(256 + 2 + 1, 1, List.of("<|endoftext|>"), List.of())
            .train(List.of("ab ab ab"));
    assertEquals(List.of(List.of("a", "b"), List.of("Ġ", "ab")), merges(t));
    assertEquals(259, t.vocabSize());
    assertEquals(258, t.idOf("<|endoftext|>"));
    assertArrayEquals(new int[] {256, 257, 258}, t.encode("ab ab<|endoftext|>"));
  }

  @Test
  void breaksTiesBySmallerLeftThenRightId() throws IOException {
    // "xy zw" -> words xy, Ġzw: pairs (x,y), (Ġ,z), (z,w) all seen once. Ids: Ġ = byte 0x20 = 32,
    // x = 120, z = 122. So (Ġ,z) first; then (x,y) [left 120] before (Ġz,w) [left 256].
    Tokenizer t = new BpeTrainer(256 + 3, 1, List.of(), List.of()).train(List.of("xy zw"));
    assertEquals(List.of(List.of("Ġ", "z"), List.of("x", "y"), List.of("Ġz", "w")), merges(t));
  }

  @Test
  void minFrequencyStopsTrainingAndIdsStayDense() throws IOException {
    Tokenizer t =
        new BpeTrainer(1000, 2, List.of("<|endoftext|>"), List.of()).train(List.of("ab ab ab"));
    assertEquals(List.of(List.of("a", "b"), List.of("Ġ", "ab")), merges(t));
    assertEquals(259, t.vocabSize(), "258 BPE ids then the added token");
  }

  @Test
  void repeatedSymbolsMergeLeftToRightWithoutOverlap() throws IOException {
    // "aaaa" -> (a,a) counted 3 times -> merge: aa aa; then (aa,aa) -> aaaa.
    Tokenizer t = new BpeTrainer(256 + 2, 1, List.of(), List.of()).train(List.of("aaaa"));
    assertEquals(List.of(List.of("a", "a"), List.of("aa", "aa")), merges(t));
    assertArrayEquals(new int[] {257}, t.encode("aaaa"));
    assertArrayEquals(new int[] {257, 256, 'a'}, t.encode("aaaaaaa"));
  }

  @Test
  void savedTokenizerLoadsBackAndEncodesIdentically() throws IOException {
    long seed = 20250101;
    List<String> docs = corpus(seed, 400);
    Tokenizer trained = BpeTrainer.research(1000).train(docs);
    assertEquals(1000, trained.vocabSize(), "seed " + seed);
    Path file = tmp.resolve("tokenizer.json");
    trained.save(file);
    Tokenizer loaded = Tokenizer.load(file);
    assertEquals(trained.vocabSize(), loaded.vocabSize());
    List<String> probes = new ArrayList<>(corpus(seed + 1, 50));
    probes.add(
        "<|im_start|>user\nWho founded Kalo?<|im_end|>\n<|im_start|>assistant\n<think>x</think>");
    probes.add("unseen ÿ bytes 🤖 and \u3000 whitespace\r\n");
    for (String p : probes) {
      int[] ids = trained.encode(p);
      assertArrayEquals(ids, loaded.encode(p), "seed " + seed + ": " + p);
      assertEquals(p, loaded.decode(ids), "seed " + seed);
    }
    for (String tag : BpeTrainer.RESEARCH_TAGS) {
      assertEquals(1, trained.encode("a" + tag + "b").length - 2, tag + " is one id");
      assertFalse(trained.isSpecial(trained.idOf(tag)), tag);
    }
    for (String s : BpeTrainer.CHATML_SPECIAL_TOKENS) {
      assertTrue(trained.isSpecial(trained.idOf(s)), s);
    }
    // Compression sanity: frequent words became single tokens.
    String sample = docs.get(0);
    assertTrue(trained.encode(sample).length < sample.length() / 2, "seed " + seed);
  }

  @Test
  void trainingIsDeterministic() {
    List<String> docs = corpus(5, 200);
    byte[] a = BpeTrainer.research(800).train(docs).toJsonBytes();
    byte[] b = BpeTrainer.research(800).train(new ArrayList<>(docs.reversed())).toJsonBytes();
    assertArrayEquals(
        a, b, "same corpus in another document order gives the same tokenizer (seed 5)");
  }

  @Test
  void addedTokensInTheCorpusTakeNoPartInMerges() throws IOException {
    Tokenizer t =
        new BpeTrainer(256 + 20, 1, List.of(), List.of("<think>"))
            .train(List.of("<think><think><think><think> ok ok"));
    for (List<String> m : merges(t)) {
      assertFalse(String.join("", m).contains("<th"), m.toString());
    }
  }
}
