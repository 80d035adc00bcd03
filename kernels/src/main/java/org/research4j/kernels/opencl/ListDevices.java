package org.research4j.kernels.opencl;

import java.util.List;

/**
 * Prints every OpenCL device with the limits the kernels size themselves by and the sgemm tilings
 * the table picks for it: the first thing to read on a new machine (tools/gpu/run.sh starts with
 * it). Exits with status 1 when there is no OpenCL runtime or no device.
 *
 * <p>Usage: {@code java -cp kernels.jar:jocl.jar org.research4j.kernels.opencl.ListDevices}
 */
public final class ListDevices {
  private ListDevices() {}

  public static void main(String[] args) {
    List<ClDevice> devices;
    try {
      devices = ClDevice.discover();
    } catch (OpenClUnavailableException e) {
      System.err.println("OpenCL: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (devices.isEmpty()) {
      System.err.println("OpenCL: platforms exist but have no devices");
      System.exit(1);
    }
    for (ClDevice d : devices) {
      System.out.printf(
          "%d:%d %s [%s, %s, vendor %s]%n",
          d.platformIndex(),
          d.deviceIndex(),
          d.describe(),
          d.isGpu() ? "GPU" : d.isCpu() ? "CPU" : "other",
          d.platformName(),
          d.vendor());
      System.out.printf(
          "    %d compute units, work-groups up to %d, local memory %d KiB,"
              + " global memory %d MiB, largest buffer %d MiB%n",
          d.computeUnits(),
          d.maxWorkGroupSize(),
          d.localMemSize() / 1024,
          d.globalMemSize() >> 20,
          d.maxAllocSize() >> 20);
      SgemmTuning.Choice gemm = SgemmTuning.defaults(d);
      System.out.println(
          "    sgemm tilings (table): large " + gemm.large() + ", small " + gemm.small());
    }
  }
}
