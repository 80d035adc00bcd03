package org.research4j.grpo.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NameSwapTest {

  @Test
  void nameWordsLeaveOutCompanyKinds() {
    List<String> titles = new ArrayList<>();
    for (int i = 0; i < 20; i++) titles.add("Root" + (char) ('a' + i) + " Holdings");
    titles.add("Loza Rairel");
    titles.add("Pisvum");
    Set<String> words = NameSwap.nameWords(titles);
    assertFalse(words.contains("Holdings"), "20 titles end with it and none starts with it");
    assertTrue(words.containsAll(List.of("Loza", "Rairel", "Pisvum", "Roota", "Roott")));
    assertEquals(23, words.size());
  }

  @Test
  void renamingIsConsistentWholeWordAndAvoidsTheContext() {
    Set<String> pool = new java.util.LinkedHashSet<>();
    for (int i = 0; i < 40; i++) pool.add("Name" + (char) ('a' + i % 26) + (char) ('a' + i / 26));
    pool.addAll(List.of("Mybous", "Flopom", "Mainsto", "Vremer"));
    NameSwap swap = new NameSwap(pool);
    String context = "Vremer Industries was founded by Mybous Flopom. Nameaa was born in Mainsto.";
    Map<String, String> map =
        swap.renaming(
            List.of("Vremer Industries", "Mybous Flopom", "Mainsto"), context, new Random(7));
    assertEquals(
        Set.of("Vremer", "Mybous", "Flopom", "Mainsto"),
        map.keySet(),
        "Industries is not in the pool");
    assertEquals(4, Set.copyOf(map.values()).size(), "four distinct names stay distinct");
    assertFalse(
        map.containsValue("Nameaa"), "a replacement never names something already in the trace");
    String renamed = NameSwap.apply(context + " Mainstow and Mainsto.", map);
    String city = map.get("Mainsto");
    assertEquals(
        map.get("Vremer")
            + " Industries was founded by "
            + map.get("Mybous")
            + " "
            + map.get("Flopom")
            + ". Nameaa was born in "
            + city
            + ". Mainstow and "
            + city
            + ".",
        renamed);
    assertEquals(
        map,
        swap.renaming(
            List.of("Vremer Industries", "Mybous Flopom", "Mainsto"), context, new Random(7)),
        "same seed, same renaming");
    assertNotEquals(
        map,
        swap.renaming(
            List.of("Vremer Industries", "Mybous Flopom", "Mainsto"), context, new Random(8)));
  }

  @Test
  void aTinyPoolIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new NameSwap(Set.of("Ab", "Cd")));
  }
}
