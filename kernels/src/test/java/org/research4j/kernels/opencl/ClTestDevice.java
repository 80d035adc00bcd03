package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.research4j.kernels.Devices;

/**
 * The OpenCL device the tests run on, opened once per test JVM (PoCL builds each program with LLVM,
 * seconds apiece, so every test class shares one {@link ClKernels} and its program cache).
 *
 * <p>The PoCL CPU device is preferred, then the first device of any kind. The system property
 * {@code research4j.opencl.test.device}, or else the environment variable {@value #ENV}, picks
 * another: {@code gpu} (the first OpenCL GPU, how tools/gpu/run.sh runs these tests on a lent GPU),
 * {@code pocl}, or {@code platform:device} indices. With no OpenCL runtime the tests fail, because
 * CI must run them; {@code -Dresearch4j.opencl.optional=true} turns the failure into a skip for
 * machines that cannot install one.
 */
public final class ClTestDevice {
  /** Environment variable naming the test device when the system property is not set. */
  public static final String ENV = "RESEARCH4J_OPENCL_TEST_DEVICE";

  private static ClKernels kernels;
  private static String problem;

  private ClTestDevice() {}

  public static synchronized ClKernels kernels() {
    if (kernels == null && problem == null) open();
    if (kernels != null) return kernels;
    if (Boolean.getBoolean("research4j.opencl.optional")) {
      Assumptions.abort("OpenCL tests skipped (research4j.opencl.optional=true): " + problem);
    }
    return fail(
        problem
            + ". The OpenCL kernel tests must run: install PoCL and the OpenCL"
            + " loader (apt-get install pocl-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev), or run"
            + " with -Dresearch4j.opencl.optional=true to skip them");
  }

  private static void open() {
    List<ClDevice> devices;
    try {
      devices = ClDevice.discover();
    } catch (OpenClUnavailableException e) {
      problem = e.getMessage();
      return;
    }
    if (devices.isEmpty()) {
      problem = "OpenCL platforms exist but have no devices";
      return;
    }
    String wanted = System.getProperty("research4j.opencl.test.device", System.getenv(ENV));
    ClDevice pick = devices.stream().filter(ClDevice::isPocl).findFirst().orElse(devices.get(0));
    if (wanted != null && !wanted.isBlank()) {
      String w = wanted.trim();
      Predicate<ClDevice> match =
          switch (w) {
            case "gpu" -> ClDevice::isGpu;
            case "pocl" -> ClDevice::isPocl;
            default -> d -> (d.platformIndex() + ":" + d.deviceIndex()).equals(w);
          };
      pick =
          devices.stream()
              .filter(match)
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "OpenCL test device '"
                              + w
                              + "' (research4j.opencl.test"
                              + ".device or "
                              + ENV
                              + ": gpu, pocl or platform:device) matches none of: "
                              + Devices.list(devices)));
    }
    kernels = new ClKernels(pick);
    System.err.println("OpenCL tests on " + kernels.description());
  }
}
