package org.research4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.research4j.tensor.Fixtures.CPU;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input fails at once, before any kernel runs or anything is recorded, with a message naming
 * the op and both shapes.
 */
class ShapeErrorTest {

  private static void assertFails(Tape tape, String expected, Executable call) {
    int before = tape.recordedOps();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertEquals(expected, e.getMessage());
    assertEquals(before, tape.recordedOps(), "nothing recorded");
  }

  @Test
  void messagesNameTheOpAndBothShapes() {
    try (Tape tape = new Tape(CPU);
        Parameter w = Parameter.zeros(CPU, "w", 704, 512);
        Parameter norm = Parameter.zeros(CPU, "norm", 255)) {
      Ops ops = tape.ops();
      Tensor x = tape.zeros(8, 256);
      assertFails(
          tape,
          "linear: x has shape [8, 256] but weight has shape [704, 512] (expected in-features 256)",
          () -> ops.linear(x, w, null));
      assertFails(
          tape,
          "linear: bias has shape [255] but weight has shape [704, 512] (expected [704])",
          () -> ops.linear(tape.zeros(8, 512), w, norm));
      assertFails(
          tape,
          "add: a has shape [8, 256] but b has shape [256, 8] (expected equal shapes)",
          () -> ops.add(x, tape.zeros(256, 8)));
      assertFails(
          tape,
          "matmul: a has shape [8, 256] but b has shape [255, 3] (expected b to have 256 rows)",
          () -> ops.matmul(x, tape.zeros(255, 3)));
      assertFails(
          tape,
          "rmsnorm: x has shape [8, 256] but weight has shape [255] (expected [256])",
          () -> ops.rmsnorm(x, norm, 1e-6f));
      assertFails(
          tape,
          "crossEntropy: logits has shape [8, 256] but targets has shape [7] (expected 8 targets,"
              + " one per row)",
          () -> ops.crossEntropy(x, tape.allocateInt(7), Ops.IGNORE_INDEX));
      assertFails(
          tape,
          "rope: x has shape [2, 3, 4, 8] but pos has shape [5] (expected 6 positions, one per"
              + " token)",
          () -> ops.rope(tape.zeros(2, 3, 4, 8), tape.allocateInt(5), 10000f));
      assertFails(
          tape,
          "attention: q has shape [2, 3, 4, 8] but k has shape [2, 3, 3, 8] (expected [B, T, Hkv,"
              + " D] with B, D as in q and Hq a multiple of Hkv)",
          () ->
              ops.attention(
                  tape.zeros(2, 3, 4, 8), tape.zeros(2, 3, 3, 8), tape.zeros(2, 3, 3, 8)));
      assertFails(
          tape, "embedding: ids must be I32 but F32[8, 256] is F32", () -> ops.embedding(w, x));
      assertFails(
          tape,
          "grpoLoss: logp has shape [8, 256] but adv has shape [8] (expected equal shapes)",
          () -> ops.grpoLoss(x, x, x, tape.zeros(8), x, 0.2f, 0.2f, 0.01f));
      assertFails(
          tape, "view: cannot view F32[8, 256] (2048 elements) as [3, -1]", () -> x.view(3, -1));
    }
  }
}
