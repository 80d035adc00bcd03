package org.research4j.transformer.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Saves a Hugging Face model directory: {@code config.json}, the weights as {@code
 * model.safetensors} (or shards plus {@code model.safetensors.index.json} when larger than the
 * shard size), and optionally {@code tokenizer.json} and {@code generation_config.json}.
 *
 * <p>The save is atomic: everything is written into a hidden directory beside the target and
 * fsynced, then renamed into place (see {@link AtomicFiles#replaceDirectory}); a failure before the
 * rename leaves an existing checkpoint untouched and removes the partial one.
 */
public final class CheckpointWriter {
  /** Hugging Face's default {@code max_shard_size} ("5GB", decimal). */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  private CheckpointWriter() {}

  /**
   * What to write besides config and weights.
   *
   * @param dtype the dtype tensors are stored in: F32 (default), BF16 or F16; also written as
   *     {@code torch_dtype}
   * @param maxShardBytes a shard holds at most this many bytes of data (a larger single tensor gets
   *     a shard of its own)
   * @param tokenizerJson the bytes of {@code tokenizer.json}, or null for none
   * @param generationConfig the {@code generation_config.json}, or null for none
   */
  public record Options(
      DType dtype, long maxShardBytes, byte[] tokenizerJson, GenerationConfig generationConfig) {
    public Options {
      DType.fromTorchDtype(dtype.torchDtype());
      if (maxShardBytes <= 0) {
        throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
      }
    }

    /** float32, 5 GB shards, no tokenizer, no generation config. */
    public static Options defaults() {
      return new Options(DType.F32, DEFAULT_MAX_SHARD_BYTES, null, null);
    }

    public Options withDtype(DType d) {
      return new Options(d, maxShardBytes, tokenizerJson, generationConfig);
    }

    public Options withMaxShardBytes(long bytes) {
      return new Options(dtype, bytes, tokenizerJson, generationConfig);
    }

    public Options withTokenizerJson(byte[] json) {
      return new Options(dtype, maxShardBytes, json, generationConfig);
    }

    /**
     * Copies an existing tokenizer.json (read now, so a later change of that file is not saved).
     */
    public Options withTokenizerFile(Path file) throws IOException {
      return withTokenizerJson(Files.readAllBytes(file));
    }

    public Options withGenerationConfig(GenerationConfig g) {
      return new Options(dtype, maxShardBytes, tokenizerJson, g);
    }
  }

  /** Saves config and float32 weights only. */
  public static void write(Path dir, Qwen2Config config, Map<String, NamedTensor> tensors)
      throws IOException {
    write(dir, config, tensors, Options.defaults());
  }

  /** Saves a model directory atomically; {@code tensors} maps HF names to float32 tensors. */
  public static void write(
      Path dir, Qwen2Config config, Map<String, NamedTensor> tensors, Options options)
      throws IOException {
    write(
        dir,
        config,
        List.copyOf(tensors.keySet()),
        n -> tensors.get(n).shape(),
        n -> tensors.get(n).data(),
        options);
  }

  /**
   * Saves a model directory atomically from {@code names}, their shapes and their float32 values,
   * which {@code data} is asked for one tensor at a time as it is written: a model on a device is
   * then copied to the heap a tensor at a time, not all at once (2 GB at the 0.5B shape).
   */
  public static void write(
      Path dir,
      Qwen2Config config,
      List<String> names,
      Function<String, int[]> shapes,
      Function<String, float[]> data,
      Options options)
      throws IOException {
    Path tmp = AtomicFiles.tempDirectoryBeside(dir);
    boolean done = false;
    try {
      Qwen2Config saved = config.withTorchDtype(options.dtype().torchDtype());
      AtomicFiles.writeSynced(tmp.resolve(Checkpoint.CONFIG), utf8(saved.toJsonString()));
      if (options.generationConfig() != null) {
        AtomicFiles.writeSynced(
            tmp.resolve(Checkpoint.GENERATION_CONFIG),
            utf8(options.generationConfig().toJsonString()));
      }
      if (options.tokenizerJson() != null) {
        AtomicFiles.writeSynced(tmp.resolve(Checkpoint.TOKENIZER), options.tokenizerJson());
      }
      writeWeights(tmp, names, shapes, data, options);
      AtomicFiles.replaceDirectory(tmp, dir);
      done = true;
    } finally {
      if (!done) {
        AtomicFiles.deleteRecursively(tmp);
      }
    }
  }

  private static void writeWeights(
      Path dir,
      List<String> tensorNames,
      Function<String, int[]> shapes,
      Function<String, float[]> data,
      Options options)
      throws IOException {
    List<String> names = new ArrayList<>(tensorNames);
    names.sort(null);
    int elemBytes = options.dtype().bytes();
    List<List<String>> shards = new ArrayList<>();
    List<String> current = new ArrayList<>();
    long currentBytes = 0;
    long totalBytes = 0;
    for (String name : names) {
      long bytes = NamedTensor.numel(shapes.apply(name)) * elemBytes;
      if (!current.isEmpty() && currentBytes + bytes > options.maxShardBytes()) {
        shards.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(name);
      currentBytes += bytes;
      totalBytes += bytes;
    }
    shards.add(current);
    Map<String, String> meta = Map.of("format", "pt");
    if (shards.size() == 1) {
      SafetensorsWriter.write(
          dir.resolve(Checkpoint.WEIGHTS), shards.getFirst(), shapes, data, options.dtype(), meta);
      return;
    }
    ObjectNode index = JsonFiles.MAPPER.createObjectNode();
    index.putObject("metadata").put("total_size", totalBytes);
    ObjectNode weightMap = index.putObject("weight_map");
    for (int i = 0; i < shards.size(); i++) {
      String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      SafetensorsWriter.write(
          dir.resolve(file), shards.get(i), shapes, data, options.dtype(), meta);
      for (String name : shards.get(i)) {
        weightMap.put(name, file);
      }
    }
    AtomicFiles.writeSynced(dir.resolve(Checkpoint.WEIGHTS_INDEX), utf8(JsonFiles.text(index)));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
