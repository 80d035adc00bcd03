package org.research4j.benchmarks.opencl;

import java.util.List;
import org.research4j.kernels.Devices;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.opencl.ClKernels;
import org.research4j.kernels.opencl.GemmConfig;
import org.research4j.kernels.opencl.SgemmTuning;

/**
 * Runs the sgemm autotuner on an OpenCL device and prints every candidate tiling with its speed,
 * fastest first: how the table entries of {@link SgemmTuning} are chosen for a new device.
 *
 * <p>Usage: {@code ClSgemmTune [device=opencl] [n=1024]}
 */
public final class ClSgemmTune {
  private ClSgemmTune() {}

  public static void main(String[] args) {
    String spec = args.length > 0 ? args[0] : "opencl";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    try (Kernels k = Devices.open(spec)) {
      if (!(k instanceof ClKernels cl)) {
        throw new IllegalArgumentException("device '" + spec + "' is not an OpenCL device");
      }
      System.out.println("# table choice: " + cl.gemmChoice().large());
      List<SgemmTuning.Result> results =
          SgemmTuning.tune(
              cl,
              n,
              new SgemmTuning.Listener() {
                @Override
                public void timed(GemmConfig config, double gflops) {
                  System.out.printf("sgemm tune: %s %.1f GFLOP/s%n", config, gflops);
                }

                @Override
                public void skipped(GemmConfig config, double worst) {
                  System.out.println(
                      "sgemm tune: "
                          + config
                          + " skipped: differs from the first"
                          + " candidate by "
                          + worst);
                }
              });
      System.out.println("# fastest first, n=" + n);
      for (SgemmTuning.Result r : results) {
        System.out.printf("%8.1f GFLOP/s  %s%n", r.gflops(), r.config());
      }
    }
  }
}
