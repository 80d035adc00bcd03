package org.research4j.transformer.model;

import java.util.ArrayList;
import java.util.List;
import org.research4j.kernels.Kernels;
import org.research4j.tensor.Ops;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.Qwen2Config;

/**
 * The keys and values of every layer for a batch of sequences, on the device: per layer one {@code
 * [B, maxPositions, Hkv, D]} tensor for keys and one for values. Position {@code p} of sequence
 * {@code s} holds the (RoPE-rotated) key and the value of that sequence's token {@code p}; what
 * lies beyond a sequence's length is never attended, so it may hold anything.
 */
public final class KvCache implements AutoCloseable {
  private final int batch;
  private final int maxPositions;
  private final List<Tensor> keys = new ArrayList<>();
  private final List<Tensor> values = new ArrayList<>();

  KvCache(Kernels kernels, Qwen2Config config, int batch, int maxPositions) {
    if (batch <= 0 || maxPositions <= 0) {
      throw new IllegalArgumentException(
          "KvCache: batch and maxPositions must be positive, got "
              + batch
              + " and "
              + maxPositions);
    }
    this.batch = batch;
    this.maxPositions = maxPositions;
    int hkv = config.numKeyValueHeads();
    int hd = config.headDim();
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      keys.add(Tensor.zeros(kernels, batch, maxPositions, hkv, hd).named("cache.k." + i));
      values.add(Tensor.zeros(kernels, batch, maxPositions, hkv, hd).named("cache.v." + i));
    }
  }

  public int batch() {
    return batch;
  }

  public int maxPositions() {
    return maxPositions;
  }

  /** Fails unless {@code tn} tokens at {@code start[s]} fit for every sequence {@code s}. */
  void checkFits(int[] start, int tn) {
    if (start.length != batch) {
      throw new IllegalArgumentException(
          "KvCache: " + start.length + " start positions for a cache of batch " + batch);
    }
    for (int s = 0; s < batch; s++) {
      if (start[s] < 0 || start[s] + tn > maxPositions) {
        throw new IllegalArgumentException(
            "KvCache: sequence "
                + s
                + " would write positions "
                + start[s]
                + ".."
                + (start[s] + tn - 1)
                + " but the cache holds positions 0.."
                + (maxPositions - 1));
      }
    }
  }

  /**
   * Layer {@code layer}'s attention for new tokens: writes their keys and values at {@code start}
   * and lets every query attend the cache up to its own position.
   */
  Tensor attend(Ops ops, int layer, Tensor q, Tensor k, Tensor v, Tensor start) {
    ops.writeCache(k, keys.get(layer), start);
    ops.writeCache(v, values.get(layer), start);
    return ops.attentionCached(
        q, keys.get(layer), values.get(layer), start, (float) (1.0 / Math.sqrt(q.dim(-1))));
  }

  @Override
  public void close() {
    keys.forEach(Tensor::close);
    values.forEach(Tensor::close);
  }
}
