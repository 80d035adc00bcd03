package org.research4j.benchmarks.transformer;

import java.util.List;
import java.util.SplittableRandom;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.AdamW;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.model.Qwen2Model;

/**
 * The model the transformer benchmarks measure, the one of the issue: d=256, 4 layers, 4 heads of
 * 64, 2 KV heads, SwiGLU width 704, q/k/v bias, tied embeddings, vocabulary 4096; trained at B=8,
 * T=256. {@code benchmarks/scripts/train_vs_pytorch.py} builds the same model in PyTorch.
 */
final class BenchModel {
  static final int VOCAB = 4096;
  static final int BATCH = 8;
  static final int SEQ = 256;

  static final Qwen2Config CONFIG =
      new Qwen2Config(
          VOCAB,
          256,
          704,
          4,
          4,
          2,
          64,
          2048,
          10000.0,
          1e-6,
          true,
          null,
          List.of(0),
          "float32",
          0.02);

  private BenchModel() {}

  /**
   * Model FLOPs of one training token, the usual count: 6 per matmul weight (forward 2, backward 4)
   * plus causal attention, {@code 3 x 2 x 2 x layers x qDim x T/2} (scores and weighted values,
   * forward and twice that backward, over the average causal context T/2).
   */
  static double trainFlopsPerToken(Qwen2Config c, int seq) {
    double d = c.hiddenSize();
    double perLayer = d * c.qDim() * 2 + d * c.kvDim() * 2 + 3 * d * c.intermediateSize();
    double weights = c.numHiddenLayers() * perLayer + (double) c.vocabSize() * d;
    double attention = 3 * 2 * 2 * c.numHiddenLayers() * (double) c.qDim() * seq / 2.0;
    return 6 * weights + attention;
  }

  /** One training step's state: model, optimiser, tape and a fixed random batch of next tokens. */
  static final class Trainer implements AutoCloseable {
    final Qwen2Model model;
    final Tape tape;
    final AdamW opt;
    final int[] ids;
    final int[] targets;
    final int batch;
    final int seq;

    Trainer(Kernels kernels, int batch, int seq, long seed) {
      this.batch = batch;
      this.seq = seq;
      model = Qwen2Model.random(kernels, CONFIG, seed);
      tape = new Tape(kernels);
      opt = new AdamW(model.parameters(), AdamW.Config.of(3e-4f));
      SplittableRandom rnd = new SplittableRandom(seed + 1);
      int[] stream = rnd.ints(batch * (seq + 1), 0, VOCAB).toArray();
      ids = new int[batch * seq];
      targets = new int[batch * seq];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(stream, b * (seq + 1), ids, b * seq, seq);
        System.arraycopy(stream, b * (seq + 1) + 1, targets, b * seq, seq);
      }
    }

    /** Forward, backward and an AdamW step; returns the loss. */
    float step() {
      tape.reset();
      model.parameters().zeroGrad();
      Ops ops = tape.ops();
      Tensor loss = model.loss(ops, tape.ints(ids, batch, seq), tape.ints(targets, batch, seq));
      tape.backward(loss);
      opt.step();
      return loss.item();
    }

    @Override
    public void close() {
      opt.close();
      tape.close();
      model.close();
    }
  }
}
