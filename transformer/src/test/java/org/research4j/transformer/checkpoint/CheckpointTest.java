package org.research4j.transformer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path tmp;

  static final Qwen2Config CONFIG =
      Qwen2Config.of(32, 8, 16, 2, 2, 1, 64).withTokenIds(1, List.of(2));

  /** Every tensor of a tiny Qwen2 with HF names, filled from a seeded generator. */
  static Map<String, NamedTensor> tinyModel(Qwen2Config c, long seed) {
    Random r = new Random(seed);
    Map<String, NamedTensor> m = new TreeMap<>();
    m.put("model.embed_tokens.weight", random(r, c.vocabSize(), c.hiddenSize()));
    m.put("model.norm.weight", random(r, c.hiddenSize()));
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      m.put(p + "input_layernorm.weight", random(r, c.hiddenSize()));
      m.put(p + "self_attn.q_proj.weight", random(r, c.qDim(), c.hiddenSize()));
      m.put(p + "self_attn.q_proj.bias", random(r, c.qDim()));
      m.put(p + "self_attn.k_proj.weight", random(r, c.kvDim(), c.hiddenSize()));
      m.put(p + "self_attn.k_proj.bias", random(r, c.kvDim()));
      m.put(p + "self_attn.v_proj.weight", random(r, c.kvDim(), c.hiddenSize()));
      m.put(p + "self_attn.v_proj.bias", random(r, c.kvDim()));
      m.put(p + "self_attn.o_proj.weight", random(r, c.hiddenSize(), c.qDim()));
      m.put(p + "post_attention_layernorm.weight", random(r, c.hiddenSize()));
      m.put(p + "mlp.gate_proj.weight", random(r, c.intermediateSize(), c.hiddenSize()));
      m.put(p + "mlp.up_proj.weight", random(r, c.intermediateSize(), c.hiddenSize()));
      m.put(p + "mlp.down_proj.weight", random(r, c.hiddenSize(), c.intermediateSize()));
    }
    return m;
  }

  static NamedTensor random(Random r, int... shape) {
    float[] d = new float[(int) NamedTensor.numel(shape)];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextGaussian();
    }
    return new NamedTensor(d, shape);
  }

  static void assertSameTensors(Map<String, NamedTensor> expected, TensorStore store, String why) {
    assertEquals(List.copyOf(new TreeMap<>(expected).keySet()), store.names(), why);
    for (Map.Entry<String, NamedTensor> e : expected.entrySet()) {
      assertArrayEquals(
          e.getValue().data(),
          store.readF32(e.getKey(), e.getValue().shape()),
          why + ": " + e.getKey());
    }
  }

  @Test
  void saveAndOpenRoundTripsConfigTensorsAndExtras() throws IOException {
    long seed = 7;
    Map<String, NamedTensor> model = tinyModel(CONFIG, seed);
    GenerationConfig gen = GenerationConfig.defaults(List.of(2, 3));
    byte[] tok = "{\"model\":{\"type\":\"BPE\"}}".getBytes(StandardCharsets.UTF_8);
    Path dir = tmp.resolve("ckpt");
    CheckpointWriter.write(
        dir,
        CONFIG,
        model,
        CheckpointWriter.Options.defaults().withGenerationConfig(gen).withTokenizerJson(tok));
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertEquals(CONFIG, c.config());
      assertEquals(gen, c.generationConfig().orElseThrow());
      assertArrayEquals(tok, Files.readAllBytes(c.tokenizerJson().orElseThrow()));
      assertSameTensors(model, c, "seed " + seed);
      assertEquals(DType.F32, c.dtype("model.norm.weight"));
    }
    assertTrue(Files.exists(dir.resolve("model.safetensors")));
    assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));
    assertEquals(
        List.of("ckpt"), listNames(tmp), "no temporary directories left beside the checkpoint");
  }

  @Test
  void bf16SaveStoresRoundedValuesAndSaysSoInTheConfig() throws IOException {
    Map<String, NamedTensor> model = tinyModel(CONFIG, 3);
    Path dir = tmp.resolve("bf16");
    CheckpointWriter.write(
        dir, CONFIG, model, CheckpointWriter.Options.defaults().withDtype(DType.BF16));
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertEquals("bfloat16", c.config().torchDtype());
      for (Map.Entry<String, NamedTensor> e : model.entrySet()) {
        assertEquals(DType.BF16, c.dtype(e.getKey()));
        float[] back = c.readF32(e.getKey());
        float[] want = e.getValue().data();
        for (int i = 0; i < want.length; i++) {
          assertEquals(
              HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(want[i])),
              back[i],
              0f,
              e.getKey() + "[" + i + "]");
          assertEquals(
              want[i], back[i], Math.abs(want[i]) * 0x1p-8f, "bf16 keeps 8 significant bits");
        }
      }
    }
  }

  @Test
  void shardedSaveWritesAnIndexAndReadsBack() throws IOException {
    long seed = 11;
    Map<String, NamedTensor> model = tinyModel(CONFIG, seed);
    Path dir = tmp.resolve("sharded");
    CheckpointWriter.write(
        dir, CONFIG, model, CheckpointWriter.Options.defaults().withMaxShardBytes(2000));
    List<String> files = listNames(dir);
    assertTrue(files.contains("model.safetensors.index.json"), files.toString());
    assertFalse(files.contains("model.safetensors"), files.toString());
    long shards =
        files.stream().filter(f -> f.matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
    assertTrue(shards > 2, files.toString());
    assertTrue(
        files.contains(String.format("model-00001-of-%05d.safetensors", shards)), files.toString());
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertSameTensors(model, c, "seed " + seed);
    }
  }

  @Test
  void handWrittenIndexIsFollowedAndItsErrorsNamed() throws IOException {
    Path dir = tmp.resolve("hand");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), CONFIG.toJsonString());
    Map<String, NamedTensor> a = Map.of("x", new NamedTensor(new float[] {1, 2}, new int[] {2}));
    Map<String, NamedTensor> b = Map.of("y", new NamedTensor(new float[] {3}, new int[] {1}));
    SafetensorsWriter.write(
        dir.resolve("part-a.safetensors"), List.of("x"), a::get, DType.F32, Map.of());
    SafetensorsWriter.write(
        dir.resolve("part-b.safetensors"), List.of("y"), b::get, DType.BF16, Map.of());
    Path index = dir.resolve("model.safetensors.index.json");
    Files.writeString(
        index,
        "{\"metadata\":{},\"weight_map\":{\"x\":\"part-a.safetensors\",\"y\":\"part-b.safetensors\"}}");
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertEquals(List.of("x", "y"), c.names());
      assertArrayEquals(new float[] {1, 2}, c.readF32("x"));
      assertArrayEquals(new float[] {3}, c.readF32("y"));
      CheckpointException e = assertThrows(CheckpointException.class, () -> c.readF32("z"));
      assertEquals(
          "checkpoint " + dir + " has no tensor z (it has 2 tensors, e.g. x, y)", e.getMessage());
    }
    Files.writeString(index, "{\"weight_map\":{\"x\":\"part-c.safetensors\"}}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(
        e.getMessage().startsWith(index.toString())
            && e.getMessage().contains("part-c.safetensors, which does not exist"),
        e.getMessage());
    Files.writeString(index, "{\"weight_map\":{\"y\":\"part-a.safetensors\"}}");
    e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("tensor y should be in"), e.getMessage());
    Files.writeString(index, "{\"weight_map\":{\"x\":\"../elsewhere.safetensors\"}}");
    e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("not a file name inside"), e.getMessage());
  }

  @Test
  void failedSaveLeavesThePreviousCheckpointWhole() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Map<String, NamedTensor> v1 = tinyModel(CONFIG, 1);
    CheckpointWriter.write(dir, CONFIG, v1);

    // A save that dies half-way through the weights. The writer looks each tensor up three times
    // (shard sizing, safetensors header, data); failing on the third look-up of a late tensor
    // crashes the save after config.json, the header and earlier tensors' data are on disk.
    Map<String, NamedTensor> v2 =
        new HashMap<>(tinyModel(CONFIG, 2)) {
          int lookups;

          @Override
          public NamedTensor get(Object key) {
            if ("model.layers.1.mlp.up_proj.weight".equals(key) && ++lookups == 3) {
              throw new IllegalStateException("simulated crash while writing");
            }
            return super.get(key);
          }
        };
    Qwen2Config other = CONFIG.withTokenIds(5, List.of(6));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> CheckpointWriter.write(dir, other, v2));
    assertEquals("simulated crash while writing", e.getMessage());

    assertEquals(List.of("ckpt"), listNames(tmp), "the partial save is removed");
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertEquals(CONFIG, c.config());
      assertSameTensors(v1, c, "previous checkpoint (seed 1)");
    }
  }

  @Test
  void saveReplacesAnExistingCheckpointCompletely() throws IOException {
    Path dir = tmp.resolve("ckpt");
    CheckpointWriter.write(
        dir,
        CONFIG,
        tinyModel(CONFIG, 1),
        CheckpointWriter.Options.defaults().withMaxShardBytes(2000));
    Map<String, NamedTensor> v2 = tinyModel(CONFIG, 2);
    CheckpointWriter.write(dir, CONFIG, v2);
    assertEquals(
        List.of("config.json", "model.safetensors"),
        listNames(dir),
        "no shard of the old save remains");
    assertEquals(List.of("ckpt"), listNames(tmp));
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertSameTensors(v2, c, "seed 2");
    }
  }

  @Test
  void missingDirectoryNamesWhatAnInterruptedSaveLeft() throws IOException {
    Path dir = tmp.resolve("ckpt");
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertEquals("checkpoint " + dir + " is not a directory", e.getMessage());
    // The state between the two renames of a replacing save: old moved aside, new not yet in.
    Files.createDirectories(tmp.resolve(".ckpt.old-1234"));
    e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(
        e.getMessage().contains("a save into it was interrupted: [.ckpt.old-1234]"),
        e.getMessage());
  }

  @Test
  void directoryWithoutWeightsIsExplained() throws IOException {
    Path dir = tmp.resolve("empty");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), CONFIG.toJsonString());
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertEquals(
        "checkpoint " + dir + " has neither model.safetensors nor model.safetensors.index.json",
        e.getMessage());
  }

  static List<String> listNames(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
