package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.jocl.cl_mem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failures say what failed: a kernel that does not compile names its program and carries the
 * compiler's log; an allocation that cannot fit names the requested and available sizes before the
 * driver is asked; an error from an enqueue throws instead of leaving wrong numbers behind.
 */
class ClErrorsTest {
  private static ClKernels cl;

  @BeforeAll
  static void device() {
    cl = ClTestDevice.kernels();
  }

  @Test
  void buildFailureReportsProgramNameAndCompilerLog() {
    String broken =
        "__kernel void broken_kernel(__global float *x) {\n"
            + "  x[get_global_id(0)] = no_such_variable * 2.0f;\n"
            + "}\n";
    ClException e =
        assertThrows(ClException.class, () -> cl.programs().build("broken.cl", broken, ""));
    String msg = e.getMessage();
    assertTrue(msg.contains("'broken.cl'"), msg);
    assertTrue(msg.contains("CL_BUILD_PROGRAM_FAILURE"), msg);
    assertTrue(msg.contains("compiler log"), msg);
    assertTrue(msg.contains("no_such_variable"), "the compiler's own log must be in: " + msg);
    assertTrue(msg.contains(cl.device().name()), msg);
  }

  @Test
  void oversizedAllocationReportsRequestedAndAllowedSizes() {
    long maxAlloc = cl.device().maxAllocSize();
    assumeTrue(
        maxAlloc * 3 / 2 < 4L * Integer.MAX_VALUE,
        "the device allows single buffers larger than any Java-sized request");
    int n = (int) (maxAlloc / 4 + (maxAlloc / 4) / 2 + 1);
    ClException e = assertThrows(ClException.class, () -> cl.allocF32(n));
    String msg = e.getMessage();
    assertTrue(msg.contains("requested " + 4L * n + " bytes"), msg);
    assertTrue(msg.contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE = " + maxAlloc), msg);
  }

  @Test
  void allocationBeyondGlobalMemoryReportsAvailableBytes() {
    ClDevice real = cl.device();
    // The same device, pretending to have 1 MiB: four 256 KiB buffers fit, a fifth does not.
    ClDevice tiny =
        new ClDevice(
            real.platformIndex(),
            real.deviceIndex(),
            real.platform(),
            real.id(),
            real.platformName(),
            real.name(),
            real.vendor(),
            real.version(),
            real.type(),
            real.computeUnits(),
            real.maxWorkGroupSize(),
            real.localMemSize(),
            1 << 20,
            1 << 19);
    try (ClBufferPool pool = new ClBufferPool(cl.context(), tiny)) {
      cl_mem[] held = new cl_mem[4];
      for (int i = 0; i < 4; i++) held[i] = pool.take(1 << 18, "test buffer");
      ClException e = assertThrows(ClException.class, () -> pool.take(1 << 18, "fifth buffer"));
      String msg = e.getMessage();
      assertTrue(msg.contains("requested 262144 bytes"), msg);
      assertTrue(msg.contains("available 0 of CL_DEVICE_GLOBAL_MEM_SIZE = 1048576"), msg);
      // Released buffers are reused, and trimmed when the limit needs room.
      pool.give(held[0], 1 << 18);
      held[0] = pool.take(1 << 18, "reused buffer");
      for (cl_mem m : held) pool.give(m, 1 << 18);
      cl_mem big = pool.take(1 << 19, "after trim");
      pool.give(big, 1 << 19);
    }
  }

  @Test
  void enqueueErrorThrowsWithKernelName() {
    long tooMany = 2 * cl.device().maxWorkGroupSize();
    try (ClBuf x = cl.allocF32(16)) {
      ClException e =
          assertThrows(
              ClException.class,
              () ->
                  cl.launch(
                      "ops.cl",
                      "",
                      "scale",
                      new long[] {tooMany},
                      new long[] {tooMany},
                      x,
                      2f,
                      16));
      String msg = e.getMessage();
      assertTrue(msg.contains("kernel scale"), msg);
      assertTrue(msg.contains("CL_INVALID_WORK_GROUP_SIZE"), msg);
    }
  }

  @Test
  void sizeClassesWasteAtMostAQuarter() {
    for (long bytes = 1; bytes < 1L << 34; bytes = bytes * 3 / 2 + 1) {
      long cls = ClBufferPool.sizeClass(bytes);
      assertTrue(
          cls >= bytes && cls <= Math.max(256, bytes * 1.25 + 1), bytes + " bytes -> class " + cls);
    }
  }
}
