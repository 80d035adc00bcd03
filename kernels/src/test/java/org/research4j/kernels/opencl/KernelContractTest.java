package org.research4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.research4j.kernels.Buf;
import org.research4j.kernels.KernelContract;
import org.research4j.kernels.Kernels;
import org.research4j.kernels.cpu.CpuKernels;

/**
 * The kernel contract is written once ({@link KernelContract}): every misuse below is provoked on
 * the CPU kernels and on the OpenCL kernels (PoCL here, a GPU where one is lent), and both must
 * throw an {@link IllegalArgumentException} with exactly the message written next to it.
 */
class KernelContractTest {
  private static ClKernels cl;
  private static final CpuKernels CPU = new CpuKernels();

  @BeforeAll
  static void device() {
    cl = ClTestDevice.kernels();
  }

  private static Buf f(Kernels k, int n) {
    return k.allocF32(n);
  }

  private static Buf i(Kernels k, int n) {
    return k.allocI32(n);
  }

  private static Arguments misuse(String message, Consumer<Kernels> call) {
    return Arguments.of(message, call);
  }

  static Stream<Arguments> misuses() {
    return Stream.of(
        misuse("allocF32: n = -1 < 0", k -> k.allocF32(-1)),
        misuse("allocI32: n = -2 < 0", k -> k.allocI32(-2)),
        misuse(
            "upload: dst has 10 elements, dst offset + n = 8 + 4 = 12",
            k -> k.upload(new float[4], 0, f(k, 10), 8, 4)),
        misuse(
            "upload: src has 4 elements, src offset + n = 2 + 3 = 5",
            k -> k.upload(new int[4], 2, i(k, 10), 0, 3)),
        misuse("upload: dst must be I32, got F32", k -> k.upload(new int[4], 0, f(k, 10), 0, 4)),
        misuse(
            "download: src has 4 elements, src offset + n = -1 + 2 = 1",
            k -> k.download(f(k, 4), -1, new float[4], 0, 2)),
        misuse(
            "download: dst has 2 elements, dst offset + n = 0 + 3 = 3",
            k -> k.download(i(k, 4), 0, new int[2], 0, 3)),
        misuse(
            "copy: src is F32 but dst is I32; both must have one type",
            k -> k.copy(f(k, 4), 0, i(k, 4), 0, 4)),
        misuse(
            "copy: dst has 4 elements, dst offset + n = 1 + 4 = 5",
            k -> k.copy(f(k, 8), 0, f(k, 4), 1, 4)),
        misuse("copy: src is null", k -> k.copy(null, 0, f(k, 4), 0, 1)),
        misuse("fill: x has 4 elements, x offset + n = 2 + 3 = 5", k -> k.fill(f(k, 4), 2, 3, 1f)),
        misuse(
            "sgemm: m = -1 < 0",
            k ->
                k.sgemm(false, false, -1, 2, 2, 1, f(k, 4), 0, 2, f(k, 4), 0, 2, 0, f(k, 4), 0, 2)),
        misuse(
            "sgemm: a has 45 elements, aOff + (rows-1)*lda + cols = 46 (5 x 9)",
            k ->
                k.sgemm(
                    false, false, 5, 4, 9, 1, f(k, 45), 1, 9, f(k, 36), 0, 4, 0, f(k, 20), 0, 4)),
        misuse(
            "sgemm: lda = 3, the leading dimension of a, is smaller than its 4 columns",
            k ->
                k.sgemm(
                    false, false, 4, 4, 4, 1, f(k, 100), 0, 3, f(k, 100), 0, 4, 0, f(k, 100), 0,
                    4)),
        misuse(
            "sgemm: bOff = -1 is negative",
            k -> k.sgemm(false, true, 2, 2, 2, 1, f(k, 4), 0, 2, f(k, 4), -1, 2, 0, f(k, 4), 0, 2)),
        misuse(
            "sgemm: c must be F32, got I32",
            k -> k.sgemm(true, false, 2, 2, 2, 1, f(k, 4), 0, 2, f(k, 4), 0, 2, 0, i(k, 4), 0, 2)),
        misuse(
            "attentionForward: hq = 3 must be a positive multiple of hkv = 2",
            k ->
                k.attentionForward(
                    f(k, 96), f(k, 64), f(k, 64), f(k, 96), null, null, 1, 4, 4, 3, 2, 8, 1f)),
        misuse(
            "attentionForward: head size d = 0 must be >= 1",
            k ->
                k.attentionForward(
                    f(k, 1), f(k, 1), f(k, 1), f(k, 1), null, null, 1, 1, 1, 1, 1, 0, 1f)),
        misuse(
            "attentionForward: k has 31 elements, b*tk*hkv*d = 32",
            k ->
                k.attentionForward(
                    f(k, 32), f(k, 31), f(k, 32), f(k, 32), null, null, 1, 4, 4, 1, 1, 8, 1f)),
        misuse(
            "attentionForward: sequence 0 has start 0 and tq = 5, so its last query sits at"
                + " position 4, but only tk = 4 keys exist (need 0 <= start and start + tq <= tk)",
            k ->
                k.attentionForward(
                    f(k, 40), f(k, 32), f(k, 32), f(k, 40), null, null, 1, 5, 4, 1, 1, 8, 1f)),
        misuse(
            "attentionForward: start must be I32, got F32",
            k ->
                k.attentionForward(
                    f(k, 8), f(k, 32), f(k, 32), f(k, 8), null, f(k, 1), 1, 1, 4, 1, 1, 8, 1f)),
        misuse(
            "attentionBackward: lse has 3 elements, b*hq*t = 4",
            k ->
                k.attentionBackward(
                    f(k, 32), f(k, 32), f(k, 32), f(k, 32), f(k, 3), f(k, 32), f(k, 32), f(k, 32),
                    f(k, 32), 1, 4, 1, 1, 8, 1f)),
        misuse(
            "attentionBackward: t = -1 < 0",
            k ->
                k.attentionBackward(
                    f(k, 1), f(k, 1), f(k, 1), f(k, 1), f(k, 1), f(k, 1), f(k, 1), f(k, 1), f(k, 1),
                    1, -1, 1, 1, 8, 1f)),
        misuse(
            "writeCache: cache has 20 elements, b*tmax*rowSize = 24",
            k -> k.writeCache(f(k, 8), f(k, 20), i(k, 2), 2, 1, 3, 4)),
        misuse(
            "rmsnormForward: x has 100 elements, rows*dim = 128",
            k -> k.rmsnormForward(f(k, 100), f(k, 64), f(k, 128), f(k, 2), 2, 64, 1e-6f)),
        misuse(
            "rmsnormBackward: dw has 3 elements, dim = 4",
            k -> k.rmsnormBackward(f(k, 8), f(k, 4), f(k, 2), f(k, 8), f(k, 8), f(k, 3), 2, 4)),
        misuse(
            "ropeForward: head size d = 5 must be positive and even",
            k -> k.ropeForward(f(k, 10), f(k, 10), i(k, 2), 2, 1, 5, 1e4f)),
        misuse(
            "ropeBackward: pos must be I32, got F32",
            k -> k.ropeBackward(f(k, 8), f(k, 8), f(k, 2), 2, 1, 4, 1e4f)),
        misuse(
            "ropeForward: y has 7 elements, n*h*d = 8",
            k -> k.ropeForward(f(k, 8), f(k, 7), i(k, 2), 2, 1, 4, 1e4f)),
        misuse("swigluForward: n = -3 < 0", k -> k.swigluForward(f(k, 1), f(k, 1), f(k, 1), -3)),
        misuse(
            "swigluBackward: dup has 4 elements, n = 5",
            k -> k.swigluBackward(f(k, 5), f(k, 5), f(k, 5), f(k, 5), f(k, 4), 5)),
        misuse(
            "embeddingForward: ids has 2 elements, n = 3",
            k -> k.embeddingForward(f(k, 40), i(k, 2), f(k, 12), 3, 4)),
        misuse(
            "embeddingBackward: dout has 11 elements, n*dim = 12",
            k -> k.embeddingBackward(f(k, 11), i(k, 3), f(k, 40), 3, 4)),
        misuse(
            "softmaxForward: y has 5 elements, rows*cols = 6",
            k -> k.softmaxForward(f(k, 6), f(k, 5), 2, 3)),
        misuse(
            "logSoftmaxBackward: dx must be F32, got I32",
            k -> k.logSoftmaxBackward(f(k, 6), f(k, 6), i(k, 6), 2, 3)),
        misuse(
            "softmaxBackward: cols = -1 < 0",
            k -> k.softmaxBackward(f(k, 6), f(k, 6), f(k, 6), 2, -1)),
        misuse(
            "crossEntropyForward: targets must be I32, got F32",
            k -> k.crossEntropyForward(f(k, 6), f(k, 2), f(k, 2), f(k, 2), 2, 3, -100)),
        misuse(
            "crossEntropyBackward: dlogits has 5 elements, rows*v = 6",
            k -> k.crossEntropyBackward(f(k, 6), i(k, 2), f(k, 2), f(k, 2), f(k, 5), 2, 3, -100)),
        misuse(
            "grpoLossForward: kl has 3 elements, n = 4",
            k ->
                k.grpoLossForward(
                    f(k, 4), f(k, 4), f(k, 4), f(k, 4), f(k, 4), f(k, 4), f(k, 3), 4, 0.2f, 0.2f,
                    0.001f)),
        misuse(
            "grpoLossBackward: dlogp is null",
            k ->
                k.grpoLossBackward(
                    f(k, 4), f(k, 4), f(k, 4), f(k, 4), f(k, 4), f(k, 4), null, 4, 0.2f, 0.2f,
                    0.001f)),
        misuse("add: a must be F32, got I32", k -> k.add(i(k, 10), f(k, 10), f(k, 10), 5)),
        misuse("mulAcc: out is null", k -> k.mulAcc(f(k, 5), f(k, 5), null, 5)),
        misuse("mul: b has 4 elements, n = 5", k -> k.mul(f(k, 5), f(k, 4), f(k, 5), 5)),
        misuse("axpy: y has 2 elements, n = 3", k -> k.axpy(1f, f(k, 3), f(k, 2), 3)),
        misuse("scale: n = -1 < 0", k -> k.scale(f(k, 1), 2f, -1)),
        misuse("addBias: bias has 2 elements, cols = 3", k -> k.addBias(f(k, 6), f(k, 2), 2, 3)),
        misuse(
            "sumRowsAcc: x has 5 elements, rows*cols = 6",
            k -> k.sumRowsAcc(f(k, 5), f(k, 3), 2, 3)),
        misuse("reduceSum: out has 0 elements, 1 = 1", k -> k.reduceSum(f(k, 4), f(k, 0), 4)),
        misuse(
            "reduceSumBackward: dx has 3 elements, n = 4",
            k -> k.reduceSumBackward(f(k, 1), f(k, 3), 4)),
        misuse("sumSquares: x has 3 elements, n = 4", k -> k.sumSquares(f(k, 3), 4)),
        misuse("countNonFinite: x must be F32, got I32", k -> k.countNonFinite(i(k, 3), 3)),
        misuse(
            "adamw: step = 0 must be >= 1",
            k ->
                k.adamw(
                    f(k, 2), f(k, 2), f(k, 2), f(k, 2), 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1f, 0)),
        misuse(
            "adamw: v has 1 elements, n = 2",
            k ->
                k.adamw(
                    f(k, 2), f(k, 2), f(k, 2), f(k, 1), 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1f, 1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("misuses")
  void theSameMisuseReadsTheSameOnEveryKernelSet(String message, Consumer<Kernels> call) {
    for (Kernels k : List.<Kernels>of(CPU, cl)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> call.accept(k), k.description());
      assertEquals(message, e.getMessage(), k.description());
    }
  }

  @Test
  void aForeignBufferNamesTheKernelSetItWasGivenTo() {
    Buf cpuBuf = CPU.allocF32(4);
    try (Buf clBuf = cl.allocF32(4)) {
      IllegalArgumentException onCl =
          assertThrows(IllegalArgumentException.class, () -> cl.scale(cpuBuf, 2f, 4));
      assertEquals(
          "scale: x is not a buffer of " + cl.description() + " but " + cpuBuf, onCl.getMessage());
      IllegalArgumentException onCpu =
          assertThrows(IllegalArgumentException.class, () -> CPU.scale(clBuf, 2f, 4));
      assertEquals("scale: x is not a buffer of the CPU kernels but " + clBuf, onCpu.getMessage());
    }
  }

  @Test
  void aClosedOpenClBufferIsNamed() {
    Buf closed = cl.allocF32(4);
    closed.close();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> cl.fill(closed, 0, 4, 1f));
    assertEquals("fill: x was closed", e.getMessage());
  }

  @Test
  void valuesInsideIndexBuffersAreCheckedWhereTheHostReadsThem() {
    Buf ids = CPU.allocI32(2);
    CPU.upload(new int[] {1, 10}, 0, ids, 0, 2);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CPU.embeddingForward(CPU.allocF32(40), ids, CPU.allocF32(8), 2, 4));
    assertEquals("embeddingForward: ids[1] = 10 is outside the table's 10 rows", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KernelContract.targets("crossEntropyForward", new int[] {0, 3}, 2, 3, -100));
    assertEquals(
        "crossEntropyForward: targets[1] = 3 is neither in [0, v = 3) nor the ignore"
            + " index -100",
        e.getMessage());
    assertTrue(e.getMessage().startsWith("crossEntropyForward"));
  }
}
