package org.research4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How the CPU sgemm's cache blocking is chosen per machine, and bad settings refused. */
class SgemmBlockingTest {
  @Test
  void l2RuleGivesTheMeasuredBlockingAtOneMebibyteAndScalesTheABlock() {
    assertEquals("512,120,4096", SgemmBlocking.forL2(1L << 20).spec());
    assertEquals("512,120,4096", SgemmBlocking.forL2(512L << 10).spec());
    assertEquals("512,240,4096", SgemmBlocking.forL2(2L << 20).spec());
    assertEquals("512,480,4096", SgemmBlocking.forL2(8L << 20).spec());
    assertEquals(SgemmBlocking.DEFAULT, SgemmBlocking.forL2(-1));
    assertEquals(1L << 20, SgemmBlocking.parseSize("1024K"));
    assertEquals(2L << 20, SgemmBlocking.parseSize("2M"));
  }

  @Test
  void parsesAndRefusesBadSpecsNamingTheirSource() {
    SgemmBlocking b = SgemmBlocking.parse(" 384, 60 ,2048", "test");
    assertEquals(384, b.kc());
    assertEquals(60, b.mc());
    assertEquals(2048, b.nc());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SgemmBlocking.parse("512,120", "src"));
    assertTrue(e.getMessage().startsWith("src: sgemm blocking must be"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> SgemmBlocking.parse("512,121,4096", "x"));
    assertTrue(e.getMessage().contains("mc a positive multiple of 6"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SgemmBlocking.parse("a,b,c", "x"));
  }

  @Test
  void theBlockingInUseIsTheChosenOneAndNamesItsSource() {
    // This JVM's choice (no property and no tuner file in a test run, or whichever is set).
    SgemmBlocking chosen = SgemmBlocking.choose();
    assertEquals(chosen.kc(), CpuSgemm.KC);
    assertEquals(chosen.mc(), CpuSgemm.MC);
    assertTrue(CpuSgemm.describe().contains(chosen.source()), CpuSgemm.describe());
    assertTrue(SgemmBlocking.cpuKey().matches("[a-z0-9.-]+"), SgemmBlocking.cpuKey());
  }
}
