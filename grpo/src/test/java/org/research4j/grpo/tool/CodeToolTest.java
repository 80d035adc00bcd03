package org.research4j.grpo.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The code tool against programs whose output is known: arithmetic gives its exact result; loops,
 * allocation, huge output, exceptions and every attempt to reach the host (files, sockets,
 * processes, threads, Java classes) give one short error line and never an exception.
 */
class CodeToolTest {
  private static CodeTool tool;

  @BeforeAll
  static void start() {
    tool = new CodeTool(CodeTool.Limits.defaults().withParallelism(2));
  }

  @AfterAll
  static void stop() {
    tool.close();
  }

  @Test
  void arithmeticProgramsPrintTheirResult() {
    List<String> out =
        tool.call(
            List.of(
                "console.log(2025 - 1987)",
                "let founded = [1871, 1936, 1602]; console.log(founded.reduce((a, b) => a + b, 0))",
                "1936 - 1871",
                "const born = 1904, event = 1950; console.log('age', event - born)",
                "console.log(Math.abs(48210 - 51777))",
                "console.log((7 / 2).toFixed(1))"));
    assertEquals(List.of("\n38\n", "\n5409\n", "\n65\n", "\nage 46\n", "\n3567\n", "\n3.5\n"), out);
  }

  @Test
  void aProgramThatPrintsNothingSaysSo() {
    assertEquals("\n(no output)\n", tool.call(List.of("let x = 1;")).getFirst());
  }

  @Test
  void anEndlessLoopIsStoppedByTheStatementLimit() {
    assertEquals(
        "\nError: statement limit of 100000 exceeded\n",
        tool.call(List.of("let i = 0; while (true) { i++; }")).getFirst());
  }

  @Test
  void aLoopWithoutStatementsIsStoppedByTheWallTime() {
    // The statement and allocation limits set beyond reach: only the wall time can stop this one
    // (the interpreter's loop allocates as it runs; on a fast machine 64 MiB went first).
    try (CodeTool slow =
        new CodeTool(
            CodeTool.Limits.defaults()
                .withStatements(Long.MAX_VALUE)
                .withAllocationBytes(Long.MAX_VALUE)
                .withWallTime(Duration.ofMillis(300)))) {
      long t0 = System.nanoTime();
      String out = slow.run("let i = 0; while (true) { i++; }");
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertEquals("Error: time limit of 300 ms exceeded", out);
      assertTrue(
          seconds < 3.0,
          "stopped after " + seconds + " s, limit 0.3 s (+2.7 s slack for a" + " loaded machine)");
    }
  }

  @Test
  void unboundedAllocationIsStopped() {
    String out = tool.run("let a = []; for (;;) a.push(new Array(100000).fill(1));");
    assertTrue(
        out.equals("Error: memory limit of 64 MiB exceeded") || out.equals("Error: out of memory"),
        out);
    out = tool.run("new Array(2e8).fill(1.5).length");
    assertTrue(
        out.equals("Error: memory limit of 64 MiB exceeded") || out.equals("Error: out of memory"),
        out);
  }

  @Test
  void hostAccessIsRefused() {
    String[] programs = {
      "Java.type('java.lang.System').exit(1)",
      "Java.type('java.io.File')",
      "load('/etc/passwd')",
      "require('fs').readFileSync('/etc/passwd')",
      "fetch('http://localhost:8000/health')",
      "new XMLHttpRequest()",
      "new Worker('x.js')",
      "Polyglot.eval('python', '1')",
      "Packages.java.lang.Runtime.getRuntime().exec('ls')",
      "process.exit(1)",
      "quit()",
      "readline()",
    };
    for (String p : programs) {
      String out = tool.run(p);
      assertTrue(out.startsWith("Error: ") || out.matches("[A-Za-z]*Error: .*"), p + " -> " + out);
      assertFalse(out.contains("\n"), "one line: " + out);
      assertFalse(out.contains("root:"), p + " read a file: " + out);
    }
    assertEquals(
        "TypeError: Access to host class java.io.File is not allowed or does not exist.",
        tool.run("Java.type('java.io.File')"));
    assertEquals(
        "Error: Operation is not allowed for: /etc/passwd", tool.run("load('/etc/passwd')"));
    assertEquals("ReferenceError: require is not defined", tool.run("require('fs')"));
  }

  @Test
  void outputIsCutAtTheCap() {
    String out = tool.run("for (let i = 0; i < 1000; i++) console.log('line ' + i)");
    String note = "\n[output cut at 400 characters]";
    assertTrue(out.startsWith("line 0\nline 1\n"), out);
    assertTrue(out.endsWith(note), out);
    assertEquals(400 + note.length(), out.length());
    // megabytes in one print: kept to the cap, the rest dropped
    out = tool.run("console.log('x'.repeat(5000000))");
    assertEquals("x".repeat(400) + note, out);
  }

  @Test
  void errorsComeBackAsOneLineAfterWhatWasPrinted() {
    assertEquals(
        "partial\nError: boom", tool.run("console.log('partial'); throw new Error('boom')"));
    assertEquals("ReferenceError: x is not defined", tool.run("x + 1"));
    String syntax = tool.run("let = = 2");
    assertTrue(syntax.startsWith("SyntaxError: "), syntax);
    assertFalse(syntax.contains("\n"), syntax);
    assertEquals(
        "RangeError: Maximum call stack size exceeded",
        tool.run("function f(n) { return f(n + 1) + 1; } f(0)"));
  }

  @Test
  void eachProgramGetsAFreshContext() {
    assertEquals("set", tool.run("globalThis.leak = 42; console.log('set')"));
    assertEquals("undefined", tool.run("console.log(typeof leak)"));
  }

  @Test
  void aBatchRunsInParallelAndKeepsItsOrder() {
    List<String> programs = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      programs.add(i == 5 ? "while (true) {}" : "console.log(" + i + " * " + i + ")");
      expected.add(i == 5 ? "\nError: statement limit of 100000 exceeded\n" : "\n" + i * i + "\n");
    }
    assertEquals(expected, tool.call(programs));
  }

  @Test
  void badLimitsAreRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> CodeTool.Limits.defaults().withStatements(0));
    assertTrue(e.getMessage().contains("statement limit"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CodeTool.Limits.defaults().withWallTime(Duration.ZERO));
    assertTrue(e.getMessage().contains("wall time"), e.getMessage());
  }

  @Test
  void callTimes() {
    // Measured, not asserted (speed is never asserted in a test): the cold call is the engine's
    // start plus the first program, the warm call a fresh context on the running engine.
    int n = 20;
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++)
      tool.run("let s = 0; for (let k = 0; k < 100; k++) s += k; console.log(s)");
    double warmMs = (System.nanoTime() - t0) / 1e6 / n;
    System.out.printf(
        "code tool: cold start %.0f ms, warm call %.1f ms (mean of %d)%n",
        tool.warmUpNanos() / 1e6, warmMs, n);
    assertTrue(warmMs > 0);
  }
}
