package org.research4j.transformer.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The architecture of a Qwen2-family decoder, as the {@code config.json} of a Hugging Face model
 * directory states it (key names in the javadoc of each component).
 *
 * <p>Qwen2 always has biases on the q, k and v projections and none on o; HF's Qwen2 ignores an
 * {@code attention_bias} key, and so does this. What this project cannot run is refused on read
 * rather than silently mis-loaded: another architecture (Llama has no q/k/v bias, Qwen3 adds
 * q_norm/k_norm), an activation other than SiLU, RoPE scaling, and sliding-window attention.
 *
 * @param vocabSize {@code vocab_size}: rows of the embedding (may exceed the tokenizer's
 *     vocabulary)
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size}: width of the SwiGLU MLP
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param numKeyValueHeads {@code num_key_value_heads}: grouped-query attention when fewer than
 *     heads
 * @param headDim {@code head_dim}; absent means {@code hidden_size / num_attention_heads}
 * @param maxPositionEmbeddings {@code max_position_embeddings}
 * @param ropeTheta {@code rope_theta}: RoPE base
 * @param rmsNormEps {@code rms_norm_eps}
 * @param tieWordEmbeddings {@code tie_word_embeddings}: lm_head shares the embedding matrix
 * @param bosTokenId {@code bos_token_id}, or null
 * @param eosTokenIds {@code eos_token_id}: one id or a list in the file
 * @param torchDtype {@code torch_dtype} (or the newer {@code dtype}): the dtype the weights are
 *     saved in
 * @param initializerRange {@code initializer_range}: std of the normal init of a fresh model
 */
public record Qwen2Config(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    int maxPositionEmbeddings,
    double ropeTheta,
    double rmsNormEps,
    boolean tieWordEmbeddings,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    String torchDtype,
    double initializerRange) {

  /** The {@code architectures} entries this project runs. */
  public static final List<String> SUPPORTED_ARCHITECTURES = List.of("Qwen2ForCausalLM");

  /** The {@code model_type} this project runs. */
  public static final String MODEL_TYPE = "qwen2";

  private static final ObjectMapper JSON = JsonFiles.MAPPER;

  public Qwen2Config {
    eosTokenIds = List.copyOf(eosTokenIds);
    String problem = null;
    if (vocabSize <= 0
        || hiddenSize <= 0
        || intermediateSize <= 0
        || numHiddenLayers <= 0
        || numAttentionHeads <= 0
        || numKeyValueHeads <= 0
        || headDim <= 0
        || maxPositionEmbeddings <= 0) {
      problem = "sizes must be positive";
    } else if (numAttentionHeads % numKeyValueHeads != 0) {
      problem =
          "num_attention_heads "
              + numAttentionHeads
              + " is not a multiple of num_key_value_heads "
              + numKeyValueHeads;
    } else if (headDim % 2 != 0) {
      problem = "head_dim " + headDim + " is odd; RoPE rotates pairs of dimensions";
    } else if (!(ropeTheta > 0) || !(rmsNormEps > 0) || !(initializerRange >= 0)) {
      problem = "rope_theta and rms_norm_eps must be positive, initializer_range non-negative";
    }
    if (problem != null) {
      throw new IllegalArgumentException(
          "invalid Qwen2 config: "
              + problem
              + " ("
              + summary(
                  vocabSize,
                  hiddenSize,
                  numHiddenLayers,
                  numAttentionHeads,
                  numKeyValueHeads,
                  headDim)
              + ")");
    }
  }

  /**
   * A config with the usual defaults for the rest: head_dim = hidden/heads, rope_theta 1e6,
   * rms_norm_eps 1e-6, tied embeddings, float32, initializer_range 0.02, no bos, eos 0 — set the
   * special-token ids with {@link #withTokenIds} once a tokenizer exists.
   */
  public static Qwen2Config of(
      int vocabSize,
      int hiddenSize,
      int intermediateSize,
      int numHiddenLayers,
      int numAttentionHeads,
      int numKeyValueHeads,
      int maxPositionEmbeddings) {
    if (numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0) {
      throw new IllegalArgumentException(
          "hidden_size "
              + hiddenSize
              + " is not a multiple of num_attention_heads "
              + numAttentionHeads);
    }
    return new Qwen2Config(
        vocabSize,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        hiddenSize / numAttentionHeads,
        maxPositionEmbeddings,
        1_000_000.0,
        1e-6,
        true,
        null,
        List.of(0),
        "float32",
        0.02);
  }

  /** This config with other special-token ids. */
  public Qwen2Config withTokenIds(Integer bos, List<Integer> eos) {
    return new Qwen2Config(
        vocabSize,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        headDim,
        maxPositionEmbeddings,
        ropeTheta,
        rmsNormEps,
        tieWordEmbeddings,
        bos,
        eos,
        torchDtype,
        initializerRange);
  }

  /** This config with another {@code torch_dtype}. */
  public Qwen2Config withTorchDtype(String dtype) {
    return new Qwen2Config(
        vocabSize,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        headDim,
        maxPositionEmbeddings,
        ropeTheta,
        rmsNormEps,
        tieWordEmbeddings,
        bosTokenId,
        eosTokenIds,
        dtype,
        initializerRange);
  }

  /** Width of the query projection output: heads × head_dim. */
  public int qDim() {
    return numAttentionHeads * headDim;
  }

  /** Width of the key and value projection outputs: kv_heads × head_dim. */
  public int kvDim() {
    return numKeyValueHeads * headDim;
  }

  /** Reads and validates a {@code config.json}. */
  public static Qwen2Config read(Path file) throws IOException {
    return fromJson(JsonFiles.readObject(file), file.toString());
  }

  /** Parses a config.json tree; {@code where} names its source in messages. */
  public static Qwen2Config fromJson(JsonNode root, String where) {
    if (root == null || !root.isObject()) {
      throw new CheckpointException(where + ": config.json is not a JSON object");
    }
    List<String> archs =
        root.has("architectures")
            ? JSON.convertValue(
                root.get("architectures"),
                JSON.getTypeFactory().constructCollectionType(List.class, String.class))
            : List.of();
    String modelType = root.path("model_type").asText("");
    boolean archOk = !archs.isEmpty() && archs.stream().allMatch(SUPPORTED_ARCHITECTURES::contains);
    if (!archOk || !modelType.equals(MODEL_TYPE)) {
      throw new CheckpointException(
          where
              + ": architectures "
              + archs
              + " with model_type \""
              + modelType
              + "\" is not supported; supported: architectures "
              + SUPPORTED_ARCHITECTURES
              + " with model_type \""
              + MODEL_TYPE
              + "\" (Qwen2/Qwen2.5 decoders: q/k/v bias, no q/k norm)");
    }
    String act = root.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new CheckpointException(
          where + ": hidden_act \"" + act + "\" is not supported; only \"silu\" (SwiGLU)");
    }
    if (root.hasNonNull("rope_scaling")) {
      throw new CheckpointException(
          where
              + ": rope_scaling "
              + root.get("rope_scaling")
              + " is not supported; only plain RoPE (rope_scaling null)");
    }
    if (root.path("use_sliding_window").asBoolean(false)) {
      throw new CheckpointException(
          where + ": use_sliding_window true is not supported; only full attention");
    }
    int hidden = requireInt(root, "hidden_size", where);
    int heads = requireInt(root, "num_attention_heads", where);
    int headDim =
        root.hasNonNull("head_dim") ? requireInt(root, "head_dim", where) : hidden / heads;
    String dtype =
        root.hasNonNull("torch_dtype")
            ? root.get("torch_dtype").asText()
            : root.path("dtype").asText("float32");
    try {
      return new Qwen2Config(
          requireInt(root, "vocab_size", where),
          hidden,
          requireInt(root, "intermediate_size", where),
          requireInt(root, "num_hidden_layers", where),
          heads,
          root.hasNonNull("num_key_value_heads")
              ? requireInt(root, "num_key_value_heads", where)
              : heads,
          headDim,
          requireInt(root, "max_position_embeddings", where),
          root.path("rope_theta").asDouble(10000.0),
          root.path("rms_norm_eps").asDouble(1e-6),
          root.path("tie_word_embeddings").asBoolean(false),
          root.hasNonNull("bos_token_id") ? root.get("bos_token_id").asInt() : null,
          idList(root.get("eos_token_id")),
          dtype,
          root.path("initializer_range").asDouble(0.02));
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(where + ": " + e.getMessage(), e);
    }
  }

  /** The config.json tree, with the keys Hugging Face's Qwen2Config writes. */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add(SUPPORTED_ARCHITECTURES.getFirst());
    o.put("attention_dropout", 0.0);
    if (bosTokenId != null) {
      o.put("bos_token_id", bosTokenId);
    } else {
      o.putNull("bos_token_id");
    }
    putIds(o, "eos_token_id", eosTokenIds);
    o.put("head_dim", headDim);
    o.put("hidden_act", "silu");
    o.put("hidden_size", hiddenSize);
    o.put("initializer_range", initializerRange);
    o.put("intermediate_size", intermediateSize);
    o.put("max_position_embeddings", maxPositionEmbeddings);
    o.put("max_window_layers", numHiddenLayers);
    o.put("model_type", MODEL_TYPE);
    o.put("num_attention_heads", numAttentionHeads);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_key_value_heads", numKeyValueHeads);
    o.put("rms_norm_eps", rmsNormEps);
    o.putNull("rope_scaling");
    o.put("rope_theta", ropeTheta);
    o.putNull("sliding_window");
    o.put("tie_word_embeddings", tieWordEmbeddings);
    o.put("torch_dtype", torchDtype);
    o.put("use_cache", true);
    o.put("use_sliding_window", false);
    o.put("vocab_size", vocabSize);
    return o;
  }

  /** The config.json text. */
  public String toJsonString() {
    return JsonFiles.text(toJson());
  }

  static int requireInt(JsonNode root, String key, String where) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      throw new CheckpointException(where + ": missing required key \"" + key + "\"");
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber()) {
      throw new CheckpointException(where + ": \"" + key + "\" must be an integer, got " + n);
    }
    return n.asInt();
  }

  /**
   * An id field that HF writes as a number or a list of numbers; absent or null gives an empty
   * list.
   */
  static List<Integer> idList(JsonNode n) {
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (n.isArray()) {
      return JSON.convertValue(
          n, JSON.getTypeFactory().constructCollectionType(List.class, Integer.class));
    }
    return List.of(n.asInt());
  }

  static void putIds(ObjectNode o, String key, List<Integer> ids) {
    if (ids.isEmpty()) {
      o.putNull(key);
    } else if (ids.size() == 1) {
      o.put(key, ids.getFirst());
    } else {
      ids.forEach(o.putArray(key)::add);
    }
  }

  private static String summary(
      int vocab, int hidden, int layers, int heads, int kvHeads, int headDim) {
    return "vocab_size="
        + vocab
        + ", hidden_size="
        + hidden
        + ", num_hidden_layers="
        + layers
        + ", num_attention_heads="
        + heads
        + ", num_key_value_heads="
        + kvHeads
        + ", head_dim="
        + headDim;
  }
}
