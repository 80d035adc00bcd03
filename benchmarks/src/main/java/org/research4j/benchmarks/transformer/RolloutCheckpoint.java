package org.research4j.benchmarks.transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.search.flashrag.CorpusFormat;
import org.research4j.search.flashrag.JsonlReader;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.transformer.checkpoint.CheckpointWriter;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.tokenizer.BpeTrainer;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * The input of {@code benchmarks/scripts/rollout-phase.sh}: a byte-level BPE tokenizer trained on a
 * generated world (its passages and training questions, as the demo trains one; ChatML control
 * tokens and the ReSearch tags as added tokens) and a random-weights {@link BenchModel} (d=256, 4
 * layers, 4 heads of 64, 2 KV heads, SwiGLU 704, tied) on that vocabulary, ending its turn with
 * {@code <|im_end|>} or {@code <|endoftext|>}, saved as a float32 Hugging Face model directory with
 * its {@code tokenizer.json}, so that {@code research train} of any version can start from it.
 *
 * <p>Usage: {@code RolloutCheckpoint --world DIR --out DIR [--vocab 4096] [--seed 42]}
 */
public final class RolloutCheckpoint {
  private RolloutCheckpoint() {}

  public static void main(String[] args) throws IOException {
    Path world = null;
    Path out = null;
    int vocab = BenchModel.VOCAB;
    long seed = 42;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--world" -> world = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--vocab" -> vocab = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (world == null || out == null) {
      System.err.println(
          "usage: RolloutCheckpoint --world DIR --out DIR [--vocab 4096] [--seed 42]");
      System.exit(2);
    }
    long t0 = System.nanoTime();
    List<String> texts = new ArrayList<>();
    try (JsonlReader<Passage> r =
        CorpusFormat.reader(world.resolve("corpus.jsonl"), OnMalformed.FAIL)) {
      for (Passage p = r.next(); p != null; p = r.next()) texts.add(p.contents());
    }
    int passages = texts.size();
    for (QaExample q : QaFormat.readAll(world.resolve("train.jsonl"), OnMalformed.FAIL)) {
      texts.add(q.question());
    }
    Tokenizer tok = BpeTrainer.research(vocab).train(texts);
    Files.createDirectories(out);
    Path tokFile = out.resolve("tokenizer.json");
    tok.save(tokFile);
    Qwen2Config b = BenchModel.CONFIG;
    Qwen2Config config =
        new Qwen2Config(
                tok.vocabSize(),
                b.hiddenSize(),
                b.intermediateSize(),
                b.numHiddenLayers(),
                b.numAttentionHeads(),
                b.numKeyValueHeads(),
                b.headDim(),
                b.maxPositionEmbeddings(),
                b.ropeTheta(),
                b.rmsNormEps(),
                b.tieWordEmbeddings(),
                null,
                List.of(0),
                b.torchDtype(),
                b.initializerRange())
            .withTokenIds(null, List.of(tok.idOf("<|im_end|>"), tok.idOf("<|endoftext|>")));
    long params;
    try (Qwen2Model m = Qwen2Model.random(new CpuKernels(), config, seed)) {
      params = m.parameters().count();
      m.save(out, CheckpointWriter.Options.defaults().withTokenizerFile(tokFile));
    }
    System.out.printf(
        "wrote %s: BPE of %d tokens on %d passages and %d questions, random Qwen2 d=%d x %d layers,"
            + " %,d parameters, %.1f s%n",
        out,
        tok.vocabSize(),
        passages,
        texts.size() - passages,
        config.hiddenSize(),
        config.numHiddenLayers(),
        params,
        (System.nanoTime() - t0) / 1e9);
  }
}
