package org.research4j.transformer.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The sampling defaults of a model directory's {@code generation_config.json}. Keys that are absent
 * take Hugging Face's defaults (greedy, temperature 1.0, top_p 1.0, top_k 50).
 *
 * @param bosTokenId {@code bos_token_id}, or null
 * @param eosTokenIds {@code eos_token_id}: generation stops at any of these
 * @param padTokenId {@code pad_token_id}, or null
 * @param doSample {@code do_sample}: sample rather than take the most likely token
 * @param temperature {@code temperature}
 * @param topP {@code top_p}: nucleus sampling mass, 1.0 keeps all
 * @param topK {@code top_k}: 0 keeps all
 * @param repetitionPenalty {@code repetition_penalty}: 1.0 is none
 */
public record GenerationConfig(
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId,
    boolean doSample,
    double temperature,
    double topP,
    int topK,
    double repetitionPenalty) {

  private static final ObjectMapper JSON = JsonFiles.MAPPER;

  public GenerationConfig {
    eosTokenIds = List.copyOf(eosTokenIds);
    if (!(temperature >= 0) || !(topP > 0 && topP <= 1) || topK < 0 || !(repetitionPenalty > 0)) {
      throw new IllegalArgumentException(
          "invalid generation config: temperature "
              + temperature
              + " (>= 0), top_p "
              + topP
              + " (in (0, 1]), top_k "
              + topK
              + " (>= 0), repetition_penalty "
              + repetitionPenalty
              + " (> 0)");
    }
  }

  /** Hugging Face's defaults with the given eos ids. */
  public static GenerationConfig defaults(List<Integer> eosTokenIds) {
    return new GenerationConfig(null, eosTokenIds, null, false, 1.0, 1.0, 50, 1.0);
  }

  /** Reads a {@code generation_config.json}. */
  public static GenerationConfig read(Path file) throws IOException {
    JsonNode root = JsonFiles.readObject(file);
    try {
      return new GenerationConfig(
          root.hasNonNull("bos_token_id") ? root.get("bos_token_id").asInt() : null,
          Qwen2Config.idList(root.get("eos_token_id")),
          root.hasNonNull("pad_token_id") ? root.get("pad_token_id").asInt() : null,
          root.path("do_sample").asBoolean(false),
          root.path("temperature").asDouble(1.0),
          root.path("top_p").asDouble(1.0),
          root.path("top_k").asInt(50),
          root.path("repetition_penalty").asDouble(1.0));
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(file + ": " + e.getMessage(), e);
    }
  }

  /** The generation_config.json tree. */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    if (bosTokenId != null) {
      o.put("bos_token_id", bosTokenId);
    }
    o.put("do_sample", doSample);
    Qwen2Config.putIds(o, "eos_token_id", eosTokenIds);
    if (padTokenId != null) {
      o.put("pad_token_id", padTokenId);
    }
    o.put("repetition_penalty", repetitionPenalty);
    o.put("temperature", temperature);
    o.put("top_k", topK);
    o.put("top_p", topP);
    return o;
  }

  /** The generation_config.json text. */
  public String toJsonString() {
    return JsonFiles.text(toJson());
  }
}
