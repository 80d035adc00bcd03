package org.research4j.transformer.model;

import java.util.ArrayList;
import java.util.List;
import org.research4j.kernels.Buf;
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
  private final Kernels kernels;

  /** Null for a cache that owns its memory; else the cache this one is a prefix of. */
  private final KvCache base;

  /** One sequence's worth of one layer's keys, for {@link #swap} (allocated on first use). */
  private Tensor spare;

  /** The values' swap space when it differs from {@link #spare} (bfloat16 caches). */
  private Tensor spareValues;

  KvCache(Kernels kernels, Qwen2Config config, int batch, int maxPositions) {
    this(kernels, config, batch, maxPositions, false);
  }

  /**
   * A cache in bfloat16 when {@code bf16} (the kernels must take it: {@link Kernels#bf16Caches}),
   * else float32.
   */
  KvCache(Kernels kernels, Qwen2Config config, int batch, int maxPositions, boolean bf16) {
    if (batch <= 0 || maxPositions <= 0) {
      throw new IllegalArgumentException(
          "KvCache: batch and maxPositions must be positive, got "
              + batch
              + " and "
              + maxPositions);
    }
    this.batch = batch;
    this.maxPositions = maxPositions;
    this.kernels = kernels;
    this.base = null;
    int hkv = config.numKeyValueHeads();
    int hd = config.headDim();
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      Tensor k =
          bf16
              ? keyCache(kernels, batch, maxPositions, hkv, hd)
              : Tensor.zeros(kernels, batch, maxPositions, hkv, hd);
      keys.add(k.named("cache.k." + i));
      values.add(zeros(kernels, bf16, batch, maxPositions, hkv, hd).named("cache.v." + i));
    }
  }

  private static Tensor zeros(Kernels kernels, boolean bf16, int... shape) {
    if (!bf16) return Tensor.zeros(kernels, shape);
    requireBf16(kernels);
    return Tensor.zerosBf16(kernels, shape);
  }

  private Tensor zeros(int n) {
    return Tensor.zeros(kernels, n);
  }

  private static void requireBf16(Kernels kernels) {
    if (!kernels.bf16Caches()) {
      throw new IllegalArgumentException(
          "KvCache: these kernels (" + kernels.description() + ") keep KV caches in float32 only");
    }
  }

  /** Keys in bfloat16, in the layout the kernels read best ({@link Kernels#allocBf16Keys}). */
  private static Tensor keyCache(Kernels kernels, int b, int t, int hkv, int d) {
    requireBf16(kernels);
    return Tensor.ofBuf(kernels, kernels.allocBf16Keys(b, t, hkv, d), b, t, hkv, d);
  }

  /** Whether the cache holds its keys and values in bfloat16. */
  public boolean bf16() {
    return keys.getFirst().dtype() == Buf.Type.BF16;
  }

  private KvCache(KvCache base, int batch) {
    this.batch = batch;
    this.maxPositions = base.maxPositions;
    this.kernels = base.kernels;
    this.base = base;
    for (Tensor t : base.keys) keys.add(t.leading(batch));
    for (Tensor t : base.values) values.add(t.leading(batch));
  }

  /**
   * The cache of the first {@code n} sequences only, sharing this cache's memory: a forward over
   * them computes {@code n} rows instead of the whole batch. Closing it frees nothing.
   */
  public KvCache leading(int n) {
    if (n < 1 || n > batch) {
      throw new IllegalArgumentException(
          "KvCache: cannot take the first " + n + " of " + batch + " sequences");
    }
    return n == batch ? this : new KvCache(base == null ? this : base, n);
  }

  /**
   * Exchanges the keys and values of sequences {@code a} and {@code b} at positions {@code
   * 0..positions-1} in every layer (what lies beyond is never attended).
   */
  public void swap(int a, int b, int positions) {
    if (base != null) {
      base.swap(a, b, positions);
      return;
    }
    if (a < 0 || b < 0 || a >= batch || b >= batch || positions < 0 || positions > maxPositions) {
      throw new IllegalArgumentException(
          "KvCache: cannot swap sequences "
              + a
              + " and "
              + b
              + " over "
              + positions
              + " positions");
    }
    if (a == b || positions == 0) return;
    Tensor k0 = keys.getFirst();
    int per = k0.dim(2) * k0.dim(3); // hkv * hd
    int n = positions * per;
    int stride = maxPositions * per;
    if (spare == null) {
      // One sequence's worth, in the layout of the keys (and a plain one for the values).
      spare = bf16() ? keyCache(kernels, 1, maxPositions, k0.dim(2), k0.dim(3)) : zeros(stride);
      spareValues = bf16() ? Tensor.zerosBf16(kernels, stride) : spare;
    }
    for (List<Tensor> layers : List.of(keys, values)) {
      Tensor tmp = layers == keys ? spare : spareValues;
      for (Tensor t : layers) {
        kernels.copy(t.buf(), a * stride, tmp.buf(), 0, n);
        kernels.copy(t.buf(), b * stride, t.buf(), a * stride, n);
        kernels.copy(tmp.buf(), 0, t.buf(), b * stride, n);
      }
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
    if (base != null) return;
    if (spare != null) spare.close();
    if (spareValues != null && spareValues != spare) spareValues.close();
    keys.forEach(Tensor::close);
    values.forEach(Tensor::close);
  }
}
