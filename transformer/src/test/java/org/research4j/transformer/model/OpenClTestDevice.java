package org.research4j.transformer.model;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.research4j.kernels.opencl.ClDevice;
import org.research4j.kernels.opencl.ClKernels;
import org.research4j.kernels.opencl.OpenClUnavailableException;

/**
 * The OpenCL device the transformer's OpenCL tests run on, opened once per test JVM (PoCL builds
 * each program with LLVM, seconds apiece), with the kernels module's test convention: the PoCL
 * device if there is one, else the first OpenCL device; {@code -Dresearch4j.opencl.test.device=
 * platform:device} picks another. Without an OpenCL runtime the tests fail, because CI must run
 * them; {@code -Dresearch4j.opencl.optional=true} turns the failure into a skip.
 */
final class OpenClTestDevice {
  private static ClKernels kernels;
  private static String problem;

  private OpenClTestDevice() {}

  static synchronized ClKernels kernels() {
    if (kernels == null && problem == null) open();
    if (kernels != null) return kernels;
    if (Boolean.getBoolean("research4j.opencl.optional")) {
      Assumptions.abort("OpenCL tests skipped (research4j.opencl.optional=true): " + problem);
    }
    return fail(problem + ". The OpenCL tests must run: install PoCL and the OpenCL loader"
        + " (apt-get install pocl-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev), or run with"
        + " -Dresearch4j.opencl.optional=true to skip them");
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
    String wanted = System.getProperty("research4j.opencl.test.device");
    ClDevice pick = devices.stream().filter(ClDevice::isPocl).findFirst().orElse(devices.get(0));
    if (wanted != null && !wanted.isBlank()) {
      pick = devices.stream()
          .filter(d -> (d.platformIndex() + ":" + d.deviceIndex()).equals(wanted.trim()))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException(
              "research4j.opencl.test.device=" + wanted + " matches no OpenCL device"));
    }
    kernels = new ClKernels(pick);
    System.err.println("OpenCL tests on " + kernels.description());
  }
}
