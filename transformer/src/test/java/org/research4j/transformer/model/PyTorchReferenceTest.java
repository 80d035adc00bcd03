package org.research4j.transformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.tensor.Parameter;
import org.research4j.tensor.Tape;
import org.research4j.tensor.Tensor;
import org.research4j.transformer.checkpoint.SafetensorsFile;

/**
 * The whole model against PyTorch, llm.c style: a tiny checkpoint written by {@link
 * ReferenceCheckpoints} and a float64 PyTorch recording of it ({@code
 * tools/pytorch/qwen2_reference.py}, committed under {@code src/test/resources/reference}) of the
 * logits, the mean cross-entropy loss and the gradient of every parameter. Each tensor's error is
 * {@code max|java - torch| / max(max|torch|, 1e-30)}; all must be at most {@code 1e-4}. The table
 * of every tensor's error is printed, worst last, so a failure shows where the model departs from
 * the reference.
 */
class PyTorchReferenceTest {
  static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny-untied", "qwen2-tiny-tied"})
  void logitsLossAndEveryGradientMatchPyTorch(String name) throws Exception {
    CpuKernels cpu = new CpuKernels();
    Path dir = resource("/reference/" + name);
    try (Qwen2Model model = Qwen2Model.load(cpu, dir);
        SafetensorsFile ref =
            SafetensorsFile.open(resource("/reference/" + name + ".reference.safetensors"));
        Tape tape = new Tape(cpu)) {
      int[] idsShape = ref.shape("input_ids");
      int[] ids = toInts(ref.readF32("input_ids"));
      int[] targets = toInts(ref.readF32("targets"));
      Tensor idsT = tape.ints(ids, idsShape);
      Tensor targetsT = tape.ints(targets, idsShape);

      Tensor logits = model.logits(tape.ops(), idsT);
      Tensor loss = tape.ops().crossEntropyMean(logits, targetsT.view(-1), -100);
      tape.backward(loss);

      List<Comparison> all = new ArrayList<>();
      all.add(compare("logits", logits.toFloatArray(), ref.readF32("logits")));
      all.add(compare("loss", new float[] {loss.item()}, ref.readF32("loss")));
      int gradients = 0;
      for (Parameter p : model.parameters()) {
        String key = "grad." + p.name();
        assertTrue(ref.contains(key), "the recording has no gradient for parameter " + p.name());
        all.add(compare(key, p.gradToFloatArray(), ref.readF32(key)));
        gradients++;
      }
      assertEquals(
          ref.names().stream().filter(n -> n.startsWith("grad.")).count(),
          gradients,
          "the recording has gradients for parameters the model does not have");

      all.sort((a, b) -> Double.compare(a.error, b.error));
      System.out.println(name + ": relative error max|java - torch| / max|torch| per tensor");
      for (Comparison c : all) System.out.printf("  %-50s %.3e%n", c.name, c.error);
      Comparison worst = all.getLast();
      System.out.printf(
          "%s: worst %s %.3e (tolerance %.0e)%n", name, worst.name, worst.error, TOLERANCE);
      assertTrue(
          worst.error <= TOLERANCE,
          name + ": " + worst.name + " differs from PyTorch by " + worst.error + " > " + TOLERANCE);
    }
  }

  record Comparison(String name, double error) {}

  static Comparison compare(String name, float[] actual, float[] expected) {
    assertEquals(expected.length, actual.length, name + ": element count");
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs((double) actual[i] - expected[i]);
      maxDiff = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(maxDiff, diff);
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    return new Comparison(name, maxDiff / Math.max(maxRef, 1e-30));
  }

  static int[] toInts(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) out[i] = (int) values[i];
    return out;
  }

  static Path resource(String name) throws URISyntaxException {
    var url = PyTorchReferenceTest.class.getResource(name);
    if (url == null) {
      throw new IllegalStateException(
          "test resource "
              + name
              + " is missing; regenerate it with tools/pytorch/record-reference.sh");
    }
    return Path.of(url.toURI());
  }
}
