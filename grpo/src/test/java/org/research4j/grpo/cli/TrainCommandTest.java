package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import picocli.CommandLine;

/**
 * {@code research train} end to end on files, as a user runs it: a checkpoint directory, an index
 * and a QA file in; metrics and a resumable checkpoint out; a rerun with more steps continues; a
 * malformed QA line is reported by file and line.
 */
class TrainCommandTest {

  private static int run(StringWriter err, String... args) {
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setErr(new PrintWriter(err, true));
    return SearchMain.execute(cl, args);
  }

  @Test
  void trainsResumesAndNamesBadLines(@TempDir Path dir) throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        """
        {"id": "0", "contents": "\\"Kesto\\"\\nKesto is a city in Oru. Varemo founded it."}
        {"id": "1", "contents": "\\"Oru\\"\\nOru is a country. Its capital is Dask."}
        """);
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    Path qa = dir.resolve("train.jsonl");
    Files.writeString(
        qa,
        """
        {"id": "a", "question": "Who founded Kesto?", "golden_answers": ["Varemo"]}
        {"id": "b", "question": "What is the capital of Oru?", "golden_answers": ["Dask"]}
        """);
    Path model = TinyCheckpoint.write(dir, corpus);
    Path out = dir.resolve("run");
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--device",
                "cpu",
                "--model",
                model.toString(),
                "--index",
                dir.resolve("index").toString(),
                "--train",
                qa.toString(),
                "--dev",
                qa.toString(),
                "--out",
                out.toString(),
                "--questions-per-step",
                "2",
                "--num-generations",
                "2",
                "--max-completion-length",
                "12",
                "--learning-rate",
                "1e-3",
                "--checkpoint-every",
                "1",
                "--topk",
                "1"));
    StringWriter err = new StringWriter();
    assertEquals(0, run(err, cmd(args, "--steps", "2")), err.toString());
    assertEquals(List.of(0, 1, 2), steps(out), "an eval line at step 0, then one line per step");
    assertTrue(
        Files.isRegularFile(out.resolve("checkpoints/step-00000002/model/model.safetensors")));

    err = new StringWriter();
    // The rerun keeps its frozen reference in bfloat16 (the initial model, rounded).
    assertEquals(
        0, run(err, cmd(args, "--steps", "3", "--reference-weights", "bf16")), err.toString());
    assertEquals(List.of(0, 1, 2, 3), steps(out), "the rerun continues at step 3");

    Files.writeString(qa, "{\"id\": \"a\", \"question\": \"Who founded Kesto?\"}\n{not json\n");
    err = new StringWriter();
    assertEquals(1, run(err, cmd(args, "--steps", "4")));
    assertTrue(err.toString().contains("train.jsonl:1"), err.toString());
  }

  @Test
  void signalOptionsParseWithThePaperAsDefault() {
    String[] required = {"--model", "m", "--index", "i", "--train", "t", "--out", "o"};
    TrainCommand plain = new TrainCommand();
    new CommandLine(plain).parseArgs(required);
    assertEquals(
        List.of(false, 4, false),
        List.of(plain.dynamicSampling, plain.maxNumGenBatches, plain.passRateFilter));
    assertEquals(org.research4j.transformer.model.WeightPrecision.F32, plain.referenceWeights);
    TrainCommand on = new TrainCommand();
    new CommandLine(on)
        .parseArgs(
            cmd(
                List.of(required),
                "--dynamic-sampling",
                "--max-num-gen-batches",
                "6",
                "--pass-rate-filter"));
    assertEquals(
        List.of(true, 6, true),
        List.of(on.dynamicSampling, on.maxNumGenBatches, on.passRateFilter));
  }

  private static String[] cmd(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static List<Integer> steps(Path run) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Integer> out = new ArrayList<>();
    for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = json.readTree(l);
      out.add(n.get("step").asInt());
    }
    return out;
  }
}
