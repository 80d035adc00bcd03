package org.research4j.transformer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Qwen2ConfigTest {
  @TempDir Path tmp;

  static Path resource(String name) {
    try {
      return Path.of(Qwen2ConfigTest.class.getResource("/checkpoint/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsTheQwen25ConfigAsPublished() throws IOException {
    Qwen2Config c = Qwen2Config.read(resource("qwen2.5-0.5b-instruct-config.json"));
    assertEquals(
        new Qwen2Config(
            151936,
            896,
            4864,
            24,
            14,
            2,
            64,
            32768,
            1e6,
            1e-6,
            true,
            151643,
            List.of(151645),
            "bfloat16",
            0.02),
        c);
    assertEquals(896, c.qDim());
    assertEquals(128, c.kvDim());
  }

  @Test
  void writeThenReadGivesTheSameConfig() throws IOException {
    Qwen2Config c =
        new Qwen2Config(
            1000,
            64,
            176,
            2,
            4,
            2,
            32,
            512,
            10000.0,
            1e-5,
            false,
            null,
            List.of(3, 4),
            "float32",
            0.01);
    Path f = tmp.resolve("config.json");
    Files.writeString(f, c.toJsonString());
    assertEquals(c, Qwen2Config.read(f));
    String text = Files.readString(f);
    assertTrue(
        text.contains("\"architectures\" : [ \"Qwen2ForCausalLM\" ]")
            && text.contains("\"model_type\" : \"qwen2\""),
        text);
  }

  @Test
  void headDimDefaultsToHiddenOverHeads() {
    Qwen2Config c = Qwen2Config.of(100, 48, 96, 1, 6, 3, 64);
    assertEquals(8, c.headDim());
    assertNull(c.bosTokenId());
  }

  @Test
  void otherArchitecturesAreRefusedWithTheSupportedList() {
    CheckpointException e =
        assertThrows(
            CheckpointException.class, () -> Qwen2Config.read(resource("qwen3-0.6b-config.json")));
    assertTrue(
        e.getMessage().contains("[Qwen3ForCausalLM]")
            && e.getMessage().contains("supported: architectures [Qwen2ForCausalLM]"),
        e.getMessage());
    String llama =
        "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":8}";
    e =
        assertThrows(
            CheckpointException.class,
            () -> Qwen2Config.fromJson(JsonFiles.MAPPER.readTree(llama), "llama/config.json"));
    assertTrue(
        e.getMessage().startsWith("llama/config.json: architectures [LlamaForCausalLM]"),
        e.getMessage());
  }

  @Test
  void unsupportedFeaturesAndBadValuesAreRefused() throws IOException {
    String base = Files.readString(resource("qwen2.5-0.5b-instruct-config.json"));
    String[][] cases = {
      {
        "\"rope_scaling\": null",
        "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}",
        "rope_scaling"
      },
      {"\"use_sliding_window\": false", "\"use_sliding_window\": true", "use_sliding_window"},
      {"\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act \"gelu\""},
      {
        "\"num_key_value_heads\": 2",
        "\"num_key_value_heads\": 3",
        "not a multiple of num_key_value_heads 3"
      },
      {"\"vocab_size\": 151936", "\"vocab_size\": \"big\"", "\"vocab_size\" must be an integer"},
      {"\"hidden_size\": 896,", "", "missing required key \"hidden_size\""},
    };
    for (String[] c : cases) {
      Path f = tmp.resolve("config.json");
      Files.writeString(f, base.replace(c[0], c[1]));
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> Qwen2Config.read(f), c[1]);
      assertTrue(
          e.getMessage().contains(c[2]) && e.getMessage().startsWith(f.toString()), e.getMessage());
    }
    Path broken = tmp.resolve("broken.json");
    Files.writeString(broken, "{\n  \"hidden_size\": 8,\n  oops\n}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> Qwen2Config.read(broken));
    assertTrue(e.getMessage().startsWith(broken + ":3: not valid JSON"), e.getMessage());
  }

  @Test
  void generationConfigRoundTrip() throws IOException {
    GenerationConfig g = GenerationConfig.read(resource("qwen2.5-generation_config.json"));
    assertEquals(
        new GenerationConfig(151643, List.of(151645, 151643), 151643, true, 0.7, 0.8, 20, 1.1), g);
    Path f = tmp.resolve("generation_config.json");
    Files.writeString(f, g.toJsonString());
    assertEquals(g, GenerationConfig.read(f));
    Files.writeString(f, "{\"eos_token_id\": 7}");
    assertEquals(GenerationConfig.defaults(List.of(7)), GenerationConfig.read(f));
  }
}
