package org.research4j.kernels;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.kernels.opencl.ClDevice;
import org.research4j.kernels.opencl.ClKernels;
import org.research4j.kernels.opencl.OpenClUnavailableException;
import org.research4j.kernels.opencl.SgemmTuning;

/**
 * Chooses the device a run computes on and says so in one line on stderr, e.g. {@code device:
 * opencl: NVIDIA H100 80GB HBM3 (OpenCL 3.0 CUDA) — first OpenCL GPU}.
 *
 * <p>Device specs: {@code auto} (an OpenCL GPU if there is one, else the Java CPU kernels; never an
 * OpenCL CPU device such as PoCL, which is slower than the Java kernels), {@code cpu}, {@code
 * opencl} (the first OpenCL device of any type), {@code opencl:gpu}, {@code opencl:cpu}, {@code
 * opencl:<platform>:<device>} (indices as {@code clinfo -l} lists them) and {@code pocl}. The
 * environment variable {@value #ENV} supplies the spec when none is given; {@value #TUNE_ENV}{@code
 * =1} runs the sgemm autotuner on an OpenCL device after opening it.
 */
public final class Devices {
  /** Environment variable holding the default device spec. */
  public static final String ENV = "RESEARCH4J_DEVICE";

  /** Environment variable that, set to 1 or true, autotunes sgemm on an opened OpenCL device. */
  public static final String TUNE_ENV = "RESEARCH4J_OPENCL_TUNE";

  /** The accepted specs, for messages. */
  public static final String SPECS =
      "auto, cpu, opencl, opencl:gpu, opencl:cpu, opencl:<platform>:<device>, pocl";

  private Devices() {}

  /**
   * Opens the device named by {@code spec} ({@code null} or blank: {@value #ENV}, else {@code
   * auto}) and prints the choice and its reason to stderr.
   *
   * @throws IllegalArgumentException for a spec that names no device kind
   * @throws IllegalStateException when an explicitly requested OpenCL device is not there
   */
  public static Kernels open(String spec) {
    return open(spec, System.getenv(), System.err, ClDevice::discover);
  }

  /** {@link #open(String)} with the environment, the log and OpenCL discovery given. */
  static Kernels open(
      String spec, Map<String, String> env, PrintStream log, Supplier<List<ClDevice>> discovery) {
    // Where the spec came from, for the log line and error messages.
    String source;
    if (spec != null && !spec.isBlank()) {
      source = "requested";
    } else if (env.get(ENV) != null && !env.get(ENV).isBlank()) {
      spec = env.get(ENV);
      source = ENV + "=" + spec.trim();
    } else {
      spec = "auto";
      source = "default";
    }
    String s = spec.trim().toLowerCase(Locale.ROOT);
    Opened opened =
        switch (s) {
          case "auto" -> auto(discovery);
          case "cpu" -> new Opened(new CpuKernels(), source);
          case "opencl" -> openCl(discovery, d -> true, "the first OpenCL device", source);
          case "opencl:gpu" -> openCl(discovery, ClDevice::isGpu, "the first OpenCL GPU", source);
          case "opencl:cpu" ->
              openCl(discovery, ClDevice::isCpu, "the first OpenCL CPU device", source);
          case "pocl" -> openCl(discovery, ClDevice::isPocl, "the PoCL device", source);
          default -> {
            String[] parts = s.split(":");
            if (parts.length == 3 && parts[0].equals("opencl")) {
              try {
                int p = Integer.parseInt(parts[1]), d = Integer.parseInt(parts[2]);
                yield openCl(
                    discovery,
                    x -> x.platformIndex() == p && x.deviceIndex() == d,
                    "OpenCL platform " + p + " device " + d,
                    source);
              } catch (NumberFormatException e) {
                // falls through to the error below
              }
            }
            throw new IllegalArgumentException(
                "unknown device '" + spec + "'" + by(source) + "; use one of: " + SPECS);
          }
        };
    log.println("device: " + opened.kernels().description() + " — " + opened.reason());
    if (opened.kernels() instanceof ClKernels cl && tuneRequested(env)) {
      List<SgemmTuning.Result> results = SgemmTuning.tune(cl, 1024, SgemmTuning.Listener.NONE);
      log.printf(
          "sgemm tuned (%s=1): %s, %.0f GFLOP/s at n=1024%n",
          TUNE_ENV, results.get(0).config(), results.get(0).gflops());
    }
    return opened.kernels();
  }

  private record Opened(Kernels kernels, String reason) {}

  private static Opened auto(Supplier<List<ClDevice>> discovery) {
    List<ClDevice> devices;
    try {
      devices = discovery.get();
    } catch (OpenClUnavailableException e) {
      return new Opened(new CpuKernels(), oneLine(e.getMessage()));
    }
    for (ClDevice d : devices) {
      if (!d.isGpu()) continue;
      try {
        return new Opened(new ClKernels(d), "first OpenCL GPU");
      } catch (RuntimeException e) {
        return new Opened(
            new CpuKernels(),
            "the OpenCL GPU " + d.describe() + " failed to open: " + oneLine(e.getMessage()));
      }
    }
    String platforms =
        devices.stream().map(ClDevice::platformName).distinct().collect(Collectors.joining(", "));
    return new Opened(
        new CpuKernels(),
        "no OpenCL GPU found (platforms: " + (platforms.isEmpty() ? "none" : platforms) + ")");
  }

  private static Opened openCl(
      Supplier<List<ClDevice>> discovery, Predicate<ClDevice> match, String what, String source) {
    List<ClDevice> devices;
    try {
      devices = discovery.get();
    } catch (OpenClUnavailableException e) {
      throw new IllegalStateException(
          what + " was requested" + by(source) + " but " + e.getMessage(), e);
    }
    for (ClDevice d : devices) {
      if (match.test(d)) {
        return new Opened(new ClKernels(d), source + " (" + what + ")");
      }
    }
    throw new IllegalStateException(
        what
            + " was requested"
            + by(source)
            + " but is not there; OpenCL devices: "
            + list(devices));
  }

  /** One line per OpenCL device, as {@code platform:device name (version) [type]}. */
  public static String list(List<ClDevice> devices) {
    if (devices.isEmpty()) return "none";
    return devices.stream()
        .map(
            d ->
                d.platformIndex()
                    + ":"
                    + d.deviceIndex()
                    + " "
                    + d.describe()
                    + " ["
                    + (d.isGpu() ? "GPU" : d.isCpu() ? "CPU" : "other")
                    + ", "
                    + d.platformName()
                    + "]")
        .collect(Collectors.joining("; "));
  }

  private static boolean tuneRequested(Map<String, String> env) {
    String v = env.getOrDefault(TUNE_ENV, System.getProperty("research4j.opencl.tune", ""));
    return v.equals("1") || v.equalsIgnoreCase("true");
  }

  /** {@code " by RESEARCH4J_DEVICE=..."} when the spec came from the environment. */
  private static String by(String source) {
    return source.startsWith(ENV) ? " by " + source : "";
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
