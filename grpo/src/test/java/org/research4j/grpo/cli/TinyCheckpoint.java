package org.research4j.grpo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The command-line tests' model: a 300-token BPE trained on a corpus file (and the chat markers), a
 * random one-layer Qwen2 (hidden 32, seed 1) that ends its turn with {@code <|im_end|>}, saved with
 * its tokenizer in Hugging Face layout.
 */
final class TinyCheckpoint {
  private TinyCheckpoint() {}

  /** Writes the model into {@code dir/model} and returns that directory. */
  static Path write(Path dir, Path corpus) throws IOException {
    Tokenizer tok =
        BpeTrainer.research(300)
            .train(List.of(Files.readString(corpus), "<|im_start|>user <|im_end|> assistant"));
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    tok.save(model.resolve("tokenizer.json"));
    Qwen2Config cfg =
        Qwen2Config.of(tok.vocabSize(), 32, 64, 1, 2, 1, 256)
            .withTokenIds(null, List.of(tok.idOf("<|im_end|>")));
    try (Qwen2Model m = Qwen2Model.random(new CpuKernels(), cfg, 1)) {
      m.save(
          model,
          CheckpointWriter.Options.defaults().withTokenizerFile(model.resolve("tokenizer.json")));
    }
    return model;
  }
}
