package org.research4j.kernels.opencl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which sgemm tiling runs on which device: a small table keyed on device type and vendor, and a
 * quick autotuner that times a list of candidate tilings on the device itself (in the spirit of
 * CLBlast's tuners, with a search space of a dozen points instead of thousands).
 *
 * <p>The table's GPU entries follow the shape of CLBlast's tuned Xgemm parameters for each vendor
 * (large register blocks and 4-wide local reads on NVIDIA, smaller blocks elsewhere); the CPU entry
 * was picked by this autotuner on PoCL (see benchmarks/results/opencl.md). Run the autotuner on a
 * new device with {@code RESEARCH4J_OPENCL_TUNE=1}.
 */
public final class SgemmTuning {
  private SgemmTuning() {}

  /** Small tiles for products too small to fill the device with large ones, and the fallback. */
  static final GemmConfig SMALL = new GemmConfig(32, 32, 16, 8, 8, 1, 1);

  /**
   * A tiling for large products and one for small ones.
   *
   * @param large used when it yields at least two work-groups per compute unit
   * @param small used otherwise
   */
  public record Choice(GemmConfig large, GemmConfig small) {
    GemmConfig pick(int m, int n, ClDevice device) {
      long tiles =
          ((long) m + large.mwg() - 1) / large.mwg() * (((long) n + large.nwg() - 1) / large.nwg());
      return tiles < 2L * device.computeUnits() ? small : large;
    }
  }

  /** The table: the tilings for {@code device} by its type and vendor. */
  public static Choice defaults(ClDevice device) {
    GemmConfig large;
    if (device.isGpu()) {
      large =
          switch (device.vendorKey()) {
            case "nvidia" -> new GemmConfig(128, 128, 16, 16, 16, 4, 4);
            case "amd", "apple" -> new GemmConfig(64, 64, 16, 16, 16, 2, 2);
            case "intel", "arm" -> new GemmConfig(64, 64, 16, 8, 8, 4, 4);
            default -> new GemmConfig(64, 64, 16, 16, 16, 1, 1);
          };
    } else {
      large = new GemmConfig(64, 64, 16, 8, 8, 4, 4);
    }
    if (large.problemOn(device) != null) large = SMALL;
    return new Choice(large, SMALL);
  }

  /** The autotuner's search space. */
  static List<GemmConfig> candidates() {
    return List.of(
        new GemmConfig(32, 32, 16, 8, 8, 1, 1),
        new GemmConfig(32, 32, 16, 8, 8, 2, 2),
        new GemmConfig(64, 64, 16, 8, 8, 1, 1),
        new GemmConfig(64, 64, 16, 8, 8, 4, 4),
        new GemmConfig(64, 64, 8, 8, 8, 4, 4),
        new GemmConfig(64, 64, 16, 16, 16, 1, 1),
        new GemmConfig(64, 64, 16, 16, 16, 2, 2),
        new GemmConfig(64, 64, 32, 16, 16, 2, 2),
        new GemmConfig(128, 64, 16, 16, 16, 4, 2),
        new GemmConfig(64, 128, 16, 16, 16, 2, 4),
        new GemmConfig(128, 128, 8, 16, 16, 4, 4),
        new GemmConfig(128, 128, 16, 16, 16, 2, 2),
        new GemmConfig(128, 128, 16, 16, 16, 4, 4));
  }

  /** One timed candidate: {@code gflops} is the best of the timed runs. */
  public record Result(GemmConfig config, double gflops) {}

  /**
   * Hears each candidate as it is timed or skipped, so a command can print the tuning as it goes
   * while this library writes nothing. Every method does nothing by default.
   */
  public interface Listener {
    /** Hears nothing. */
    Listener NONE = new Listener() {};

    /** {@code config} was timed at {@code gflops}. */
    default void timed(GemmConfig config, double gflops) {}

    /** {@code config} was left out: it differs from the first candidate by {@code worst}. */
    default void skipped(GemmConfig config, double worst) {}
  }

  /**
   * Times every candidate that fits the device on a {@code size}-cubed product, checks each result
   * against the first candidate's, installs the fastest as the large tiling of {@code kernels}, and
   * returns all results fastest first. Each candidate costs one program build; {@code listener}
   * hears each one.
   */
  public static List<Result> tune(ClKernels kernels, int size, Listener listener) {
    ClDevice device = kernels.device();
    int nn = size * size;
    float[] host = new float[nn];
    SplittableRandom rnd = new SplittableRandom(42);
    List<Result> results = new ArrayList<>();
    try (ClBuf a = kernels.allocF32(nn);
        ClBuf b = kernels.allocF32(nn);
        ClBuf c = kernels.allocF32(nn)) {
      for (int i = 0; i < nn; i++) host[i] = (float) rnd.nextDouble(-1, 1);
      kernels.upload(host, 0, a, 0, nn);
      for (int i = 0; i < nn; i++) host[i] = (float) rnd.nextDouble(-1, 1);
      kernels.upload(host, 0, b, 0, nn);
      float[] reference = null;
      float[] got = new float[nn];
      for (GemmConfig cfg : candidates()) {
        if (cfg.problemOn(device) != null) continue;
        run(kernels, cfg, size, a, b, c);
        kernels.download(c, 0, got, 0, nn);
        if (reference == null) {
          reference = got.clone();
        } else {
          double worst = 0;
          for (int i = 0; i < nn; i++) worst = Math.max(worst, Math.abs(got[i] - reference[i]));
          if (worst > 1e-3 * Math.sqrt(size)) {
            listener.skipped(cfg, worst);
            continue;
          }
        }
        long best = Long.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
          long t0 = System.nanoTime();
          run(kernels, cfg, size, a, b, c);
          kernels.sync();
          best = Math.min(best, System.nanoTime() - t0);
        }
        double gflops = 2.0 * size * size * size / best;
        listener.timed(cfg, gflops);
        results.add(new Result(cfg, gflops));
      }
    }
    if (results.isEmpty()) {
      throw new ClException(
          "sgemm tune: no candidate tiling runs correctly on " + device.describe());
    }
    results.sort(Comparator.comparingDouble(Result::gflops).reversed());
    kernels.useGemm(new Choice(results.get(0).config(), kernels.gemmChoice().small()));
    return results;
  }

  private static void run(ClKernels k, GemmConfig cfg, int n, ClBuf a, ClBuf b, ClBuf c) {
    k.sgemm(cfg, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
  }
}
