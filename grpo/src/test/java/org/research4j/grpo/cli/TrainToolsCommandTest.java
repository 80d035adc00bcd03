package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;
import picocli.CommandLine;

/**
 * {@code research train --tools search,code} on files: the run logs the calls of each tool per
 * step; unknown or repeated tool names are refused by name before anything loads.
 */
class TrainToolsCommandTest {

  private static int run(StringWriter err, String... args) {
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setErr(new PrintWriter(err, true));
    return SearchMain.execute(cl, args);
  }

  @Test
  void trainsWithSearchAndCode(@TempDir Path dir) throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(
        corpus,
        """
        {"id": "0", "contents": "\\"Kesto\\"\\nKesto was founded in 1871."}
        {"id": "1", "contents": "\\"Oru\\"\\nOru was founded in 1936."}
        """);
    Index.build(corpus, dir.resolve("index"), IndexOptions.defaults(), BuildListener.NONE);
    Path qa = dir.resolve("train.jsonl");
    Files.writeString(
        qa,
        """
        {"id": "a", "question": "How many years apart were Kesto and Oru founded?", "golden_answers": ["65"]}
        """);
    Tokenizer tok =
        BpeTrainer.research(300)
            .train(
                List.of(
                    Files.readString(corpus),
                    "<|im_start|>user <|im_end|> assistant <code> </code>"));
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    tok.save(model.resolve("tokenizer.json"));
    Qwen2Config cfg =
        Qwen2Config.of(tok.vocabSize(), 32, 64, 1, 2, 1, 512)
            .withTokenIds(null, List.of(tok.idOf("<|im_end|>")));
    try (Qwen2Model m = Qwen2Model.random(new CpuKernels(), cfg, 1)) {
      m.save(
          model,
          CheckpointWriter.Options.defaults().withTokenizerFile(model.resolve("tokenizer.json")));
    }
    Path out = dir.resolve("run");
    StringWriter err = new StringWriter();
    int code =
        run(
            err,
            "train",
            "--device",
            "cpu",
            "--model",
            model.toString(),
            "--index",
            dir.resolve("index").toString(),
            "--train",
            qa.toString(),
            "--out",
            out.toString(),
            "--questions-per-step",
            "1",
            "--num-generations",
            "2",
            "--max-completion-length",
            "8",
            "--steps",
            "2",
            "--topk",
            "1",
            "--tools",
            "search,code");
    assertEquals(0, code, err.toString());
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, lines.size());
    for (String l : lines) {
      JsonNode n = json.readTree(l);
      assertTrue(n.has("calls_search") && n.has("calls_code"), l);
      assertEquals(
          n.get("searches").asDouble(),
          n.get("calls_search").asDouble() + n.get("calls_code").asDouble(),
          1e-12,
          l);
    }
  }

  @Test
  void badToolNamesAreRefusedByName() {
    List<String> base =
        List.of(
            "train",
            "--model",
            "no-model",
            "--index",
            "no-index",
            "--train",
            "no.jsonl",
            "--out",
            "no-run");
    StringWriter err = new StringWriter();
    assertNotEquals(0, run(err, args(base, "--tools", "search,calc")));
    assertTrue(
        err.toString().contains("--tools: unknown tool 'calc'; known: search, code"),
        err.toString());
    err = new StringWriter();
    assertNotEquals(0, run(err, args(base, "--tools", "code,code")));
    assertTrue(err.toString().contains("--tools: code named twice"), err.toString());
  }

  private static String[] args(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
