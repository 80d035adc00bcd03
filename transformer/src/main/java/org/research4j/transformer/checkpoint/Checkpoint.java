package org.research4j.transformer.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A Hugging Face model directory opened for reading: its {@link Qwen2Config}, its generation config
 * and tokenizer file if present, and every tensor across the safetensors shards, by HF name.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoint.open(Path.of("models/qwen2.5-0.5b"))) {
 *   Qwen2Config cfg = ckpt.config();
 *   float[] wq = ckpt.readF32("model.layers.0.self_attn.q_proj.weight", cfg.qDim(), cfg.hiddenSize());
 * }
 * }</pre>
 */
public final class Checkpoint implements TensorStore {
  public static final String CONFIG = "config.json";
  public static final String GENERATION_CONFIG = "generation_config.json";
  public static final String TOKENIZER = "tokenizer.json";
  public static final String WEIGHTS = "model.safetensors";
  public static final String WEIGHTS_INDEX = "model.safetensors.index.json";

  private final Path dir;
  private final Qwen2Config config;
  private final GenerationConfig generationConfig;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> byName;

  private Checkpoint(
      Path dir,
      Qwen2Config config,
      GenerationConfig generationConfig,
      List<SafetensorsFile> files,
      Map<String, SafetensorsFile> byName) {
    this.dir = dir;
    this.config = config;
    this.generationConfig = generationConfig;
    this.files = files;
    this.byName = byName;
  }

  /** Opens a model directory: reads the configs and maps the weight files. */
  public static Checkpoint open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException(
          "checkpoint " + dir + " is not a directory" + interruptedSaveHint(dir));
    }
    Qwen2Config config = Qwen2Config.read(dir.resolve(CONFIG));
    Path gen = dir.resolve(GENERATION_CONFIG);
    GenerationConfig generationConfig = Files.exists(gen) ? GenerationConfig.read(gen) : null;
    List<SafetensorsFile> files = new ArrayList<>();
    Map<String, SafetensorsFile> byName = new TreeMap<>();
    try {
      Path index = dir.resolve(WEIGHTS_INDEX);
      if (Files.exists(index)) {
        openShards(dir, index, files, byName);
      } else if (Files.exists(dir.resolve(WEIGHTS))) {
        SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS));
        files.add(f);
        f.names().forEach(n -> byName.put(n, f));
      } else {
        throw new CheckpointException(
            "checkpoint " + dir + " has neither " + WEIGHTS + " nor " + WEIGHTS_INDEX);
      }
    } catch (IOException | RuntimeException e) {
      files.forEach(SafetensorsFile::close);
      throw e;
    }
    return new Checkpoint(dir, config, generationConfig, List.copyOf(files), byName);
  }

  private static void openShards(
      Path dir, Path index, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName)
      throws IOException {
    JsonNode map = JsonFiles.readObject(index).get("weight_map");
    if (map == null || !map.isObject()) {
      throw new CheckpointException(
          index + ": no \"weight_map\" object mapping tensor names to shard files");
    }
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String shardName = e.getValue().asText();
      Path shardPath = dir.resolve(shardName).normalize();
      if (shardName.isEmpty() || !dir.normalize().equals(shardPath.getParent())) {
        throw new CheckpointException(
            index
                + ": tensor "
                + e.getKey()
                + " maps to \""
                + shardName
                + "\", which is not a file name inside "
                + dir);
      }
      SafetensorsFile shard = shards.get(shardName);
      if (shard == null) {
        if (!Files.exists(shardPath)) {
          throw new CheckpointException(
              index
                  + ": tensor "
                  + e.getKey()
                  + " is in shard "
                  + shardName
                  + ", which does not exist in "
                  + dir);
        }
        shard = SafetensorsFile.open(shardPath);
        shards.put(shardName, shard);
        files.add(shard);
      }
      if (!shard.contains(e.getKey())) {
        throw new CheckpointException(
            index
                + ": tensor "
                + e.getKey()
                + " should be in "
                + shardPath
                + " but that file does not have it");
      }
      byName.put(e.getKey(), shard);
    }
  }

  /** Names what an interrupted save left beside a missing directory, so the user can recover it. */
  private static String interruptedSaveHint(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    Path parent = abs.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return "";
    }
    List<String> leftovers = new ArrayList<>();
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(parent, "." + abs.getFileName() + ".*")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (n.contains(AtomicFiles.OLD_MARK) || n.contains(AtomicFiles.TMP_MARK)) {
          leftovers.add(n);
        }
      }
    }
    if (leftovers.isEmpty()) {
      return "";
    }
    leftovers.sort(null);
    return "; a save into it was interrupted: "
        + leftovers
        + " in "
        + parent
        + " hold the previous ("
        + AtomicFiles.OLD_MARK
        + ") or the unfinished ("
        + AtomicFiles.TMP_MARK
        + ") checkpoint; an "
        + AtomicFiles.OLD_MARK
        + " one is complete and can be renamed back";
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** The model config from config.json. */
  public Qwen2Config config() {
    return config;
  }

  /** generation_config.json, if the directory has one. */
  public Optional<GenerationConfig> generationConfig() {
    return Optional.ofNullable(generationConfig);
  }

  /** tokenizer.json, if the directory has one. */
  public Optional<Path> tokenizerJson() {
    Path p = dir.resolve(TOKENIZER);
    return Files.exists(p) ? Optional.of(p) : Optional.empty();
  }

  @Override
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  @Override
  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  @Override
  public int[] shape(String name) {
    return file(name).shape(name);
  }

  @Override
  public DType dtype(String name) {
    return file(name).dtype(name);
  }

  @Override
  public float[] readF32(String name) {
    return file(name).readF32(name);
  }

  @Override
  public short[] readBf16(String name, int... expectedShape) {
    return file(name).readBf16(name, expectedShape);
  }

  @Override
  public String source() {
    return "checkpoint " + dir;
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile f = byName.get(name);
    if (f == null) {
      throw missing(name);
    }
    return f;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
