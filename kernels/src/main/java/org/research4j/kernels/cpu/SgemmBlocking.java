package org.research4j.kernels.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The cache blocking of {@link CpuSgemm} ({@code KC}, {@code MC}, {@code NC}), chosen per CPU when
 * the class loads, first of:
 *
 * <ol>
 *   <li>the system property {@code research4j.sgemm} = {@code "kc,mc,nc"} (what the tuner, {@code
 *       benchmarks/.../gemm/SgemmTune}, sets for each candidate it times);
 *   <li>the file the tuner wrote for this CPU: {@code ~/.research4j/sgemm-<cpu>.properties}, where
 *       {@code <cpu>} names the CPU (vendor, family, model and L2 size, see {@link #cpuKey});
 *   <li>a rule on the CPU's L2 size per core (read from {@code /sys/devices/system/cpu}): the
 *       packed A block ({@code MC x KC} floats) takes about a quarter of the L2, beside the B
 *       micro-panel in use, which is how the defaults were found best on an AMD EPYC with 1 MiB:
 *       {@code MC = 120} there (240 KiB), 240 with 2 MiB (Intel Sapphire Rapids), 480 with 4 MiB or
 *       more; KC = 512 and NC = 4096 whatever the L2.
 * </ol>
 *
 * The sizes only change how the product is cut into blocks; each element of C is the same sum of
 * the same products in the same order for a given {@code KC}.
 */
public record SgemmBlocking(int kc, int mc, int nc, String source) {
  /** Blocking on a machine of unknown L2 (the 1 MiB one measured). */
  static final SgemmBlocking DEFAULT = new SgemmBlocking(512, 120, 4096, "default");

  public SgemmBlocking {
    if (kc < 16 || mc < SgemmMicroKernels.MR || nc < 64 || mc % SgemmMicroKernels.MR != 0) {
      throw new IllegalArgumentException(
          "sgemm blocking kc="
              + kc
              + " mc="
              + mc
              + " nc="
              + nc
              + ": need kc >= 16, mc a positive multiple of "
              + SgemmMicroKernels.MR
              + ", nc >= 64");
    }
  }

  /** {@code "kc,mc,nc"}, as the property and the tuner's file write it. */
  public String spec() {
    return kc + "," + mc + "," + nc;
  }

  /** Parses {@code "kc,mc,nc"}; {@code source} says where it came from. */
  public static SgemmBlocking parse(String spec, String source) {
    String[] p = spec.trim().split("\\s*,\\s*");
    if (p.length != 3) {
      throw new IllegalArgumentException(
          source + ": sgemm blocking must be \"kc,mc,nc\", got \"" + spec + "\"");
    }
    try {
      return new SgemmBlocking(
          Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]), source);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          source + ": sgemm blocking must be three integers \"kc,mc,nc\", got \"" + spec + "\"");
    }
  }

  /** The blocking for this machine (see the class comment). */
  static SgemmBlocking choose() {
    String prop = System.getProperty("research4j.sgemm");
    if (prop != null && !prop.isBlank()) return parse(prop, "-Dresearch4j.sgemm");
    Path tuned = tunedFile();
    if (Files.isRegularFile(tuned)) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(tuned)) {
        p.load(in);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the sgemm tuning " + tuned, e);
      }
      String spec = p.getProperty("blocking");
      if (spec == null) {
        throw new IllegalStateException(tuned + ": no 'blocking=kc,mc,nc' line (delete the file)");
      }
      return parse(spec, "tuned (" + tuned + ")");
    }
    return forL2(l2Bytes());
  }

  /** The rule on the L2 size per core; {@code l2 <= 0}: unknown. */
  static SgemmBlocking forL2(long l2) {
    if (l2 <= 0) return DEFAULT;
    int mc = l2 >= 4L << 20 ? 480 : l2 >= 2L << 20 ? 240 : 120;
    return new SgemmBlocking(512, mc, 4096, "L2 " + (l2 >> 10) + " KiB per core");
  }

  /** Where the tuner keeps its choice for this CPU. */
  public static Path tunedFile() {
    return Path.of(
        System.getProperty("user.home"), ".research4j", "sgemm-" + cpuKey() + ".properties");
  }

  /**
   * A name for this CPU: vendor, family and model from {@code /proc/cpuinfo} and the L2 size, e.g.
   * {@code authenticamd-26-2-l2-1024k}; {@code unknown} off Linux.
   */
  public static String cpuKey() {
    String vendor = "unknown";
    String family = "";
    String model = "";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        int colon = line.indexOf(':');
        if (colon < 0) continue;
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        switch (key) {
          case "vendor_id" -> vendor = value;
          case "cpu family" -> family = value;
          case "model" -> model = value;
          default -> {}
        }
        if (key.equals("processor") && !family.isEmpty()) break;
      }
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
    String key = vendor + "-" + family + "-" + model + "-l2-" + (l2Bytes() >> 10) + "k";
    return key.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "");
  }

  /** The L2 cache per core in bytes from sysfs, or -1. */
  static long l2Bytes() {
    Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
    try (var entries = Files.list(dir)) {
      for (Path index :
          entries.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
        Path level = index.resolve("level");
        Path size = index.resolve("size");
        if (Files.isRegularFile(level)
            && Files.readString(level).trim().equals("2")
            && Files.isRegularFile(size)) {
          return parseSize(Files.readString(size).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** {@code "1024K"}, {@code "2M"} or plain bytes. */
  static long parseSize(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT);
    long unit = t.endsWith("K") ? 1L << 10 : t.endsWith("M") ? 1L << 20 : 1;
    String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
    return Long.parseLong(digits.trim()) * unit;
  }
}
