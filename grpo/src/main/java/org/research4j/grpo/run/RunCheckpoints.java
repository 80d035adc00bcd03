package org.research4j.grpo.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.AdamW;
import org.research4j.transformer.checkpoint.AtomicFiles;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.DType;
import org.research4j.transformer.checkpoint.NamedTensor;
import org.research4j.transformer.checkpoint.SafetensorsFile;
import org.research4j.transformer.checkpoint.SafetensorsWriter;
import org.research4j.transformer.model.Qwen2Model;

/**
 * Resumable checkpoints of a run under {@code <run>/checkpoints/step-NNNNNNNN/}: the model as a
 * Hugging Face directory ({@code model/}), the optimiser's moments ({@code optimizer.safetensors})
 * and {@code trainer_state.json}. Each is assembled in a hidden temporary directory and renamed
 * into place in one atomic move, so a checkpoint directory either is whole or does not exist; a run
 * killed mid-save resumes from the previous one. The newest {@code keep} are kept.
 */
public final class RunCheckpoints {
  private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{8})");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STATE = "trainer_state.json";
  private static final String OPTIMIZER = "optimizer.safetensors";

  private final Path root;
  private final int keep;

  /** A saved checkpoint: its step and directory. */
  public record Saved(int step, Path dir) {
    public Path modelDir() {
      return dir.resolve("model");
    }
  }

  public RunCheckpoints(Path runDir, int keep) {
    if (keep < 1) throw new IllegalArgumentException("keep at least one checkpoint, got " + keep);
    this.root = runDir.resolve("checkpoints");
    this.keep = keep;
  }

  /**
   * Saves model, optimiser and {@code state} (any JSON fields the trainer needs to continue, e.g.
   * counters) as the checkpoint of {@code step}.
   */
  public Saved save(
      int step,
      Qwen2Model model,
      CheckpointWriter.Options modelOptions,
      AdamW optimizer,
      ObjectNode state)
      throws IOException {
    Files.createDirectories(root);
    Path tmp = Files.createTempDirectory(root, ".partial-step-" + step + "-");
    model.save(tmp.resolve("model"), modelOptions);
    // One moment on the host at a time: a 0.5B model's two moments are 4 GB.
    SafetensorsWriter.write(
        tmp.resolve(OPTIMIZER),
        optimizer.momentNames(),
        n -> new int[] {optimizer.momentSize(n)},
        optimizer::moment,
        DType.F32,
        Map.of("format", "research4j-adamw"));
    ObjectNode s = state.deepCopy();
    s.put("step", step);
    s.put("optimizer_step", optimizer.stepCount());
    AtomicFiles.writeSynced(
        tmp.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(s));
    Path dir = root.resolve(String.format("step-%08d", step));
    if (Files.exists(dir)) deleteTree(dir);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    prune();
    return new Saved(step, dir);
  }

  /** The newest whole checkpoint, if any. */
  public Optional<Saved> latest() throws IOException {
    return list().stream().max(Comparator.comparingInt(Saved::step));
  }

  /** The trainer state saved with {@code saved}. */
  public ObjectNode state(Saved saved) throws IOException {
    return (ObjectNode) JSON.readTree(saved.dir().resolve(STATE).toFile());
  }

  /** Loads the model of {@code saved} onto {@code kernels}. */
  public Qwen2Model loadModel(Kernels kernels, Saved saved) throws IOException {
    return Qwen2Model.load(kernels, saved.modelDir());
  }

  /** Restores the optimiser state of {@code saved} into {@code optimizer} (built on the model). */
  public void restoreOptimizer(Saved saved, AdamW optimizer) throws IOException {
    int step = state(saved).path("optimizer_step").asInt();
    try (SafetensorsFile f = SafetensorsFile.open(saved.dir().resolve(OPTIMIZER))) {
      optimizer.restore(n -> f.contains(n) ? NamedTensor.numel(f.shape(n)) : -1, f::readF32, step);
    }
  }

  private List<Saved> list() throws IOException {
    List<Saved> out = new ArrayList<>();
    if (!Files.isDirectory(root)) return out;
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Matcher m = STEP_DIR.matcher(p.getFileName().toString());
        if (m.matches() && Files.isRegularFile(p.resolve(STATE))) {
          out.add(new Saved(Integer.parseInt(m.group(1)), p));
        }
      }
    }
    return out;
  }

  private void prune() throws IOException {
    List<Saved> all = list();
    all.sort(Comparator.comparingInt(Saved::step).reversed());
    for (int i = keep; i < all.size(); i++) deleteTree(all.get(i).dir());
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().startsWith(".partial-")) deleteTree(p);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
