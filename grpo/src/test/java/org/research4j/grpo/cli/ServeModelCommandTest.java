package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.cli.SearchMain;
import picocli.CommandLine;

/**
 * {@code research serve-model}: a {@code --run} that is not a directory is named before anything
 * loads.
 */
class ServeModelCommandTest {

  @Test
  void aMissingRunDirectoryIsNamed(@TempDir Path dir) {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ResearchCli());
    cl.setErr(new PrintWriter(err, true));
    Path missing = dir.resolve("no-such-run");
    int code =
        SearchMain.execute(
            cl,
            new String[] {"serve-model", "--model", dir.toString(), "--run", missing.toString()});
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--run: no directory " + missing), err.toString());
  }
}
