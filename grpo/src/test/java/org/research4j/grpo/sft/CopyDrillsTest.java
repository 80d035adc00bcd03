package org.research4j.grpo.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyDrillsTest {
  private static final List<int[]> PIECES =
      List.of(new int[] {1}, new int[] {2, 3}, new int[] {4, 5, 6});

  @Test
  void eachDrillIsARunOfWholePiecesThenTheSameRun() {
    List<int[]> drills = SftExample.copyDrills(PIECES, 200, 2, 4, 11);
    assertEquals(200, drills.size());
    int[] seenLengths = new int[5];
    for (int[] d : drills) {
      assertEquals(0, d.length % 2);
      int half = d.length / 2;
      assertArrayEquals(Arrays.copyOf(d, half), Arrays.copyOfRange(d, half, d.length));
      int pieces = 0;
      for (int i = 0; i < half; ) {
        int first = d[i];
        int len = first == 1 ? 1 : first == 2 ? 2 : 3;
        int[] want = PIECES.get(len - 1);
        assertArrayEquals(want, Arrays.copyOfRange(d, i, i + len), "a piece is never cut");
        i += len;
        pieces++;
      }
      assertTrue(pieces >= 2 && pieces <= 4, "pieces " + pieces);
      seenLengths[pieces]++;
    }
    for (int k = 2; k <= 4; k++)
      assertTrue(seenLengths[k] > 40, "run length " + k + " drawn " + seenLengths[k] + " of 200");
  }

  @Test
  void theSeedFixesTheDrills() {
    List<int[]> a = SftExample.copyDrills(PIECES, 20, 1, 5, 3);
    List<int[]> b = SftExample.copyDrills(PIECES, 20, 1, 5, 3);
    for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i));
  }

  @Test
  void badArgumentsAreRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> SftExample.copyDrills(List.of(), 1, 1, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> SftExample.copyDrills(PIECES, 1, 3, 2, 0));
    assertThrows(IllegalArgumentException.class, () -> SftExample.copyDrills(PIECES, -1, 1, 2, 0));
  }
}
