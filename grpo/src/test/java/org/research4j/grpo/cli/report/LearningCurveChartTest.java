package org.research4j.grpo.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningCurveChartTest {
  /** The image: 2x2 panels of 600x400. */
  private static final int EXPECTED_WIDTH = 1200;

  private static final int EXPECTED_HEIGHT = 800;

  /**
   * The dev series' colour (LearningCurveChart.DEV_COLOR): the centres of its markers are drawn in
   * it exactly.
   */
  private static final int DEV_RGB = (200 << 16) | (60 << 8) | 30;

  @TempDir Path dir;

  /**
   * Twelve GRPO steps (1..12) of the four metrics and more, dev evaluations at steps 0, 5 and 10 (0
   * on its own line before training, as the trainer logs it), and a cut-off last line.
   *
   * @param rising whether the training metrics rise over the run or fall
   * @param evals whether the dev evaluation lines are there
   */
  private static String log(boolean rising, boolean evals) {
    StringBuilder b = new StringBuilder();
    if (evals) b.append(evalLine(0, 0.05, 0.02, 0.30, 0.4));
    for (int step = 1; step <= 12; step++) {
      double t = (rising ? step : 13 - step) / 12.0;
      double jitter = (step % 2 == 0 ? 0.04 : -0.04);
      b.append(
          String.format(
              Locale.ROOT,
              "{\"step\":%d,\"reward\":%.4f,\"reward_std\":0.1,\"f1\":%.4f,\"em\":0.1,\"well_formed\":%.4f,"
                  + "\"searches\":%.4f,\"loss\":0.5,\"phase\":\"grpo\"}%n",
              step,
              0.1 + 0.6 * t + jitter,
              0.05 + 0.5 * t + jitter,
              0.3 + 0.6 * t - jitter,
              0.5 + 1.5 * t + jitter));
      if (evals && step % 5 == 0) {
        b.append(
            evalLine(
                step, 0.1 + 0.05 * step, 0.05 + 0.05 * step, 0.4 + 0.05 * step, 0.5 + 0.1 * step));
      }
    }
    return b + "{\"step\":13,\"reward\":0.";
  }

  private static String evalLine(
      int step, double reward, double f1, double wellFormed, double searches) {
    return String.format(
        Locale.ROOT,
        "{\"step\":%d,\"eval_em\":0.1,\"eval_f1\":%.4f,\"eval_reward\":%.4f,\"eval_well_formed\":%.4f,"
            + "\"eval_searches\":%.4f}%n",
        step,
        f1,
        reward,
        wellFormed,
        searches);
  }

  private BufferedImage draw(String name, String log) throws IOException {
    Path metrics = dir.resolve(name + ".jsonl");
    Files.writeString(metrics, log);
    Path png = dir.resolve(name + ".png");
    LearningCurveChart.write(metrics, png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img, png + " is not a readable image");
    return img;
  }

  /**
   * Pixels of one panel (0 top left, 1 top right, 2 bottom left, 3 bottom right) that {@code count}
   * selects.
   */
  private static int count(BufferedImage img, int panel, IntPredicate rgb) {
    int x0 = (panel % 2) * EXPECTED_WIDTH / 2;
    int y0 = (panel / 2) * EXPECTED_HEIGHT / 2;
    int n = 0;
    for (int y = y0; y < y0 + EXPECTED_HEIGHT / 2; y++) {
      for (int x = x0; x < x0 + EXPECTED_WIDTH / 2; x++) {
        if (rgb.test(img.getRGB(x, y) & 0xFFFFFF)) n++;
      }
    }
    return n;
  }

  @Test
  void writesOnePngOfFourPanelsAndNoTemporaryFile() throws IOException {
    Path metrics = dir.resolve("metrics.jsonl");
    Files.writeString(metrics, log(true, true));
    Path png = dir.resolve("learning.png");
    LearningCurveChart.write(metrics, png);

    byte[] bytes = Files.readAllBytes(png);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(bytes, 4));
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img);
    assertEquals(EXPECTED_WIDTH, img.getWidth());
    assertEquals(EXPECTED_HEIGHT, img.getHeight());
    assertEquals(EXPECTED_WIDTH, LearningCurveChart.WIDTH);
    assertEquals(EXPECTED_HEIGHT, LearningCurveChart.HEIGHT);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          Set.of("metrics.jsonl", "learning.png"),
          files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()),
          "no temporary file left");
    }

    // Every panel is drawn (a chart has thousands of non-white pixels: axes, labels, lines; about
    // 17,000 here) and holds the dev series, its three markers and the legend's (about 300 pixels).
    for (int panel = 0; panel < 4; panel++) {
      int ink = count(img, panel, rgb -> rgb != 0xFFFFFF);
      assertTrue(ink > 5_000, "panel " + panel + ": " + ink + " non-white pixels");
      int dev = count(img, panel, rgb -> rgb == DEV_RGB);
      assertTrue(dev > 100, "panel " + panel + ": " + dev + " pixels of the dev markers");
    }
  }

  @Test
  void withoutDevEvaluationsNoDevSeriesIsDrawn() throws IOException {
    BufferedImage img = draw("train-only", log(true, false));
    for (int panel = 0; panel < 4; panel++) {
      assertEquals(0, count(img, panel, rgb -> rgb == DEV_RGB), "panel " + panel);
      assertTrue(count(img, panel, rgb -> rgb != 0xFFFFFF) > 5_000, "panel " + panel);
    }
  }

  @Test
  void differentRunsDrawDifferentCurves() throws IOException {
    BufferedImage rising = draw("rising", log(true, true));
    BufferedImage falling = draw("falling", log(false, true));
    BufferedImage again = draw("rising-again", log(true, true));
    for (int panel = 0; panel < 4; panel++) {
      int p = panel;
      int differ = 0;
      int unstable = 0;
      for (int y = (p / 2) * EXPECTED_HEIGHT / 2; y < (p / 2 + 1) * EXPECTED_HEIGHT / 2; y++) {
        for (int x = (p % 2) * EXPECTED_WIDTH / 2; x < (p % 2 + 1) * EXPECTED_WIDTH / 2; x++) {
          if (rising.getRGB(x, y) != falling.getRGB(x, y)) differ++;
          if (rising.getRGB(x, y) != again.getRGB(x, y)) unstable++;
        }
      }
      assertEquals(0, unstable, "panel " + panel + ": the same log draws the same image");
      // About 5,000 pixels per panel here (the curves), 17,000 in the searches panel, whose axis
      // changes too.
      assertTrue(differ > 1_000, "panel " + panel + ": " + differ + " pixels differ");
    }
  }

  @Test
  void missingFileOrNoGrpoKeysFailsNamingTheFile() throws IOException {
    Path missing = dir.resolve("missing.jsonl");
    IOException e =
        assertThrows(
            NoSuchFileException.class,
            () -> LearningCurveChart.write(missing, dir.resolve("a.png")));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

    Path sft = dir.resolve("sft.jsonl");
    Files.writeString(
        sft,
        "{\"step\":1,\"loss\":2.0,\"lr\":1e-5}\n{\"step\":2,\"loss\":1.5,\"lr\":2e-5}\n"
            + "{\"step\":3,\"reward\":\"text\",\"f1\":\"NaN\"}\n");
    e = assertThrows(IOException.class, () -> LearningCurveChart.write(sft, dir.resolve("b.png")));
    assertTrue(
        e.getMessage().startsWith(sft + ": no step logs reward, f1, well_formed or searches"),
        e.getMessage());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          Set.of("sft.jsonl"),
          files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()),
          "nothing written when there is nothing to draw");
    }
  }
}
