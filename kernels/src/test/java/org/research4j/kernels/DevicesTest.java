package org.research4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.kernels.opencl.ClDevice;
import org.research4j.kernels.opencl.ClKernels;
import org.research4j.kernels.opencl.ClTestDevice;
import org.research4j.kernels.opencl.OpenClUnavailableException;

/**
 * Device selection: each spec opens the device it names and prints one line saying what and why;
 * {@code auto} never picks an OpenCL CPU device; with no OpenCL runtime the CPU kernels run.
 * Discovery is the real one filtered to non-GPU devices, so the results do not depend on whether
 * the test machine has a GPU.
 */
class DevicesTest {
  private static List<ClDevice> noGpus;

  @BeforeAll
  static void discover() {
    ClTestDevice.kernels();
    noGpus = ClDevice.discover().stream().filter(d -> !d.isGpu()).toList();
  }

  private record Run(Kernels kernels, String log) {}

  private static Run open(String spec, Map<String, String> env, Supplier<List<ClDevice>> disc) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Kernels k = Devices.open(spec, env, log, disc);
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(1, out.lines().count(), "exactly one line: " + out);
    return new Run(k, out.strip());
  }

  @Test
  void autoFallsBackToJavaCpuWhenNoGpu() {
    Run r = open(null, Map.of(), () -> noGpus);
    assertInstanceOf(CpuKernels.class, r.kernels());
    String platforms =
        String.join(", ", noGpus.stream().map(ClDevice::platformName).distinct().toList());
    assertEquals(
        "device: "
            + r.kernels().description()
            + " — no OpenCL GPU found (platforms: "
            + platforms
            + ")",
        r.log());
  }

  @Test
  void autoRunsOnCpuWithOneClearLineWithoutOpenClRuntime() {
    Run r =
        open(
            "auto",
            Map.of(),
            () -> {
              throw new OpenClUnavailableException(
                  "no OpenCL runtime: JOCL could not load" + " libOpenCL.so (test)\n; install it",
                  null);
            });
    assertInstanceOf(CpuKernels.class, r.kernels());
    assertTrue(r.log().startsWith("device: cpu: "), r.log());
    assertTrue(
        r.log()
            .contains(
                "— no OpenCL runtime: JOCL could not load libOpenCL.so (test) ;" + " install it"),
        r.log());
  }

  @Test
  void cpuSpecAndEnvironmentDefault() {
    Run r = open("CPU", Map.of(), () -> noGpus);
    assertInstanceOf(CpuKernels.class, r.kernels());
    assertTrue(r.log().endsWith("— requested"), r.log());
    r = open(null, Map.of(Devices.ENV, "cpu"), () -> noGpus);
    assertInstanceOf(CpuKernels.class, r.kernels());
    assertTrue(r.log().endsWith("— RESEARCH4J_DEVICE=cpu"), r.log());
    // An explicit spec wins over the environment.
    r = open("cpu", Map.of(Devices.ENV, "pocl"), () -> noGpus);
    assertInstanceOf(CpuKernels.class, r.kernels());
  }

  @Test
  void openClSpecsOpenTheNamedDevice() {
    ClDevice first = noGpus.get(0);
    for (String spec :
        List.of("opencl", "opencl:" + first.platformIndex() + ":" + first.deviceIndex())) {
      Run r = open(spec, Map.of(), () -> noGpus);
      try (Kernels k = r.kernels()) {
        ClKernels cl = assertInstanceOf(ClKernels.class, k);
        assertEquals(first.id(), cl.device().id());
        assertEquals(
            "device: opencl: "
                + first.describe()
                + " — requested ("
                + (spec.equals("opencl")
                    ? "the first OpenCL device"
                    : "OpenCL platform " + first.platformIndex() + " device " + first.deviceIndex())
                + ")",
            r.log());
      }
    }
    if (noGpus.stream().anyMatch(ClDevice::isPocl)) {
      Run r = open(null, Map.of(Devices.ENV, "pocl"), () -> noGpus);
      try (Kernels k = r.kernels()) {
        assertTrue(assertInstanceOf(ClKernels.class, k).device().isPocl());
        assertTrue(r.log().endsWith("— RESEARCH4J_DEVICE=pocl (the PoCL device)"), r.log());
      }
    }
  }

  @Test
  void missingOrUnknownDevicesFailWithTheChoices() {
    var missing =
        assertThrows(
            IllegalStateException.class,
            () -> open(null, Map.of(Devices.ENV, "opencl:gpu"), () -> noGpus));
    assertTrue(
        missing
            .getMessage()
            .startsWith(
                "the first OpenCL GPU was requested by"
                    + " RESEARCH4J_DEVICE=opencl:gpu but is not there; OpenCL devices: 0:0 "),
        missing.getMessage());
    var badIndex =
        assertThrows(IllegalStateException.class, () -> open("opencl:9:0", Map.of(), () -> noGpus));
    assertTrue(
        badIndex
            .getMessage()
            .contains("OpenCL platform 9 device 0 was requested but is" + " not there"),
        badIndex.getMessage());
    var unknown =
        assertThrows(IllegalArgumentException.class, () -> open("tpu", Map.of(), () -> noGpus));
    assertTrue(
        unknown.getMessage().contains("unknown device 'tpu'")
            && unknown.getMessage().contains(Devices.SPECS),
        unknown.getMessage());
    var noRuntime =
        assertThrows(
            IllegalStateException.class,
            () ->
                open(
                    "opencl",
                    Map.of(),
                    () -> {
                      throw new OpenClUnavailableException("no OpenCL platform installed", null);
                    }));
    assertTrue(
        noRuntime.getMessage().contains("no OpenCL platform installed"), noRuntime.getMessage());
  }
}
