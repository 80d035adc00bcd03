package org.research4j.grpo.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.tensor.AdamW;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;

/**
 * The run skeleton both trainers share, with a scripted loop: which steps it takes, what it saves
 * and when, what a resumed session sees, the stop at a non-finite loss, what the listener hears.
 */
class TrainingRunTest {
  private static final Kernels CPU = new CpuKernels();
  private static final Qwen2Config TINY = Qwen2Config.of(64, 32, 64, 2, 2, 1, 64);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AdamW.Config ADAM = AdamW.Config.of(1e-3f);

  /** Records every event as a line, in order. */
  private static final class Recorder implements TrainingListener {
    final List<String> events = new ArrayList<>();

    @Override
    public void started(String task, int steps, int start) {
      events.add("started " + task + " " + steps + " " + start);
    }

    @Override
    public void step(int step, ObjectNode metrics) {
      events.add("step " + step + " loss " + metrics.get("loss").asDouble());
    }

    @Override
    public void finished() {
      events.add("finished");
    }

    @Override
    public void note(String line) {
      events.add("note " + line);
    }
  }

  /** Loss {@code step / 10}, except {@code bad} at step {@code badStep}; the state counts steps. */
  private static final class Scripted implements TrainingRun.Loop<String> {
    final int badStep;
    final double bad;
    final List<String> calls = new ArrayList<>();
    int taken;

    Scripted(int badStep, double bad) {
      this.badStep = badStep;
      this.bad = bad;
    }

    @Override
    public void begin(TrainingRun.Session run) {
      run.resumed().ifPresent(s -> taken = s.get("taken").asInt());
      calls.add("begin " + run.start() + ".." + run.end() + " taken " + taken);
    }

    @Override
    public double train(TrainingRun.Session run, int step) {
      run.optimizer().step(1e-3f, 1f);
      taken++;
      return step == badStep ? bad : step / 10.0;
    }

    @Override
    public ObjectNode metrics(TrainingRun.Session run, int step) {
      return MetricsLog.line().put("step", step).put("loss", step / 10.0);
    }

    @Override
    public ObjectNode state() {
      return MetricsLog.line().put("taken", taken);
    }

    @Override
    public String end(TrainingRun.Session run) {
      calls.add("end");
      return "took " + taken;
    }

    @Override
    public void close() {
      calls.add("close");
    }
  }

  private static TrainingRun run(Path dir, int steps, int every, TrainingListener listener) {
    return new TrainingRun(
        CPU, dir, CheckpointWriter.Options.defaults(), "t", steps, every, listener);
  }

  private static List<Integer> steps(Path metrics) throws IOException {
    List<Integer> out = new ArrayList<>();
    for (String l : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      out.add(JSON.readTree(l).get("step").asInt());
    }
    return out;
  }

  private static List<String> checkpoints(Path dir) throws IOException {
    try (var s = Files.list(dir.resolve("checkpoints"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void takesEveryStepSavesEveryNAndAtTheEndAndTellsTheListener(@TempDir Path dir)
      throws IOException {
    Recorder heard = new Recorder();
    Scripted loop = new Scripted(-1, 0);
    String result = run(dir, 5, 2, heard).run(5, () -> Qwen2Model.random(CPU, TINY, 3), ADAM, loop);
    assertEquals("took 5", result);
    assertEquals(List.of("begin 0..5 taken 0", "end", "close"), loop.calls);
    assertEquals(
        List.of(
            "started t 5 0",
            "step 1 loss 0.1",
            "step 2 loss 0.2",
            "step 3 loss 0.3",
            "step 4 loss 0.4",
            "step 5 loss 0.5",
            "finished"),
        heard.events);
    assertEquals(List.of(1, 2, 3, 4, 5), steps(dir.resolve("metrics.jsonl")));
    // saved at 2, 4 and 5; the newest two are kept
    assertEquals(List.of("step-00000004", "step-00000005"), checkpoints(dir));
    JsonNode state =
        JSON.readTree(dir.resolve("checkpoints/step-00000005/trainer_state.json").toFile());
    assertEquals(5, state.get("step").asInt());
    assertEquals(5, state.get("taken").asInt());
    assertEquals(5, state.get("optimizer_step").asInt());
  }

  @Test
  void aSecondSessionResumesFromTheCheckpointWithItsState(@TempDir Path dir) throws IOException {
    Path metrics = dir.resolve("metrics.jsonl");
    run(dir, 6, 2, TrainingListener.NONE)
        .run(3, () -> Qwen2Model.random(CPU, TINY, 3), ADAM, new Scripted(-1, 0));
    assertEquals(List.of(1, 2, 3), steps(metrics));
    assertEquals(List.of("step-00000002", "step-00000003"), checkpoints(dir));
    // lines written after the checkpoint of step 3 (a run killed before its next save) are dropped
    Files.writeString(
        metrics,
        "{\"step\":4,\"loss\":9}\n{\"step\":5,\"lo",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    Recorder heard = new Recorder();
    Scripted loop = new Scripted(-1, 0);
    String result =
        run(dir, 6, 2, heard)
            .run(
                6,
                () -> {
                  throw new AssertionError("a resumed run loads its checkpoint");
                },
                ADAM,
                loop);
    assertEquals("took 6", result, "3 steps restored from the state, 3 taken");
    assertEquals(List.of("begin 3..6 taken 3", "end", "close"), loop.calls);
    assertEquals(
        "note resuming from " + dir.resolve("checkpoints/step-00000003") + " (step 3 of 6)",
        heard.events.get(0));
    assertEquals("started t 6 3", heard.events.get(1));
    assertEquals(List.of(1, 2, 3, 4, 5, 6), steps(metrics));
    assertEquals(
        6,
        JSON.readTree(dir.resolve("checkpoints/step-00000006/trainer_state.json").toFile())
            .get("optimizer_step")
            .asInt(),
        "the optimiser's step count continues");
  }

  @Test
  void aFreshRunDropsAnOldLogStepZeroIncluded(@TempDir Path dir) throws IOException {
    Path metrics = dir.resolve("metrics.jsonl");
    Files.createDirectories(dir);
    Files.writeString(
        metrics,
        "{\"step\":0,\"copy_acc\":0.5}\n{\"step\":1,\"loss\":1}\n",
        StandardCharsets.UTF_8);
    run(dir, 2, 10, TrainingListener.NONE)
        .run(2, () -> Qwen2Model.random(CPU, TINY, 3), ADAM, new Scripted(-1, 0));
    assertEquals(List.of(1, 2), steps(metrics));
  }

  @Test
  void stopsAtTheFirstNonFiniteLossWithoutWritingItsLine(@TempDir Path dir) throws IOException {
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
      Path d = dir.resolve(Double.toString(bad));
      Recorder heard = new Recorder();
      Scripted loop = new Scripted(3, bad);
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> run(d, 5, 2, heard).run(5, () -> Qwen2Model.random(CPU, TINY, 3), ADAM, loop));
      assertEquals(
          "loss is "
              + bad
              + " at step 3; rerun with RESEARCH4J_DEBUG_NAN=1 to find the"
              + " op, or lower the learning rate",
          e.getMessage());
      assertEquals(List.of(1, 2), steps(d.resolve("metrics.jsonl")));
      assertEquals(List.of("step-00000002"), checkpoints(d));
      assertEquals("finished", heard.events.get(heard.events.size() - 1));
      assertEquals(List.of("begin 0..5 taken 0", "close"), loop.calls);
      assertFalse(loop.calls.contains("end"));
    }
    assertTrue(Files.isDirectory(dir));
  }
}
