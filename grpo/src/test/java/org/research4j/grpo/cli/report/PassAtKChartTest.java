package org.research4j.grpo.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.grpo.eval.PassAtK;

class PassAtKChartTest {
  @TempDir Path dir;

  @Test
  void writesOneReadablePngWithAllCurves() throws IOException {
    Map<String, PassAtK.Result> curves = new LinkedHashMap<>();
    curves.put(
        "base",
        PassAtK.Result.of(48, List.of(new PassAtK.Count("a", 3), new PassAtK.Count("b", 0))));
    curves.put(
        "grpo",
        PassAtK.Result.of(48, List.of(new PassAtK.Count("a", 30), new PassAtK.Count("b", 1))));
    Path png = dir.resolve("sub/passk.png");
    PassAtKChart.write(curves, png);
    byte[] bytes = Files.readAllBytes(png);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(bytes, 4));
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img, png + " is not a readable image");
    assertEquals(MetricChart.WIDTH, img.getWidth());
    assertEquals(MetricChart.HEIGHT, img.getHeight());
    try (var files = Files.list(png.getParent())) {
      assertEquals(
          List.of("passk.png"),
          files.map(p -> p.getFileName().toString()).toList(),
          "no temporary file left beside it");
    }
  }

  @Test
  void refusesNothingToDraw() {
    assertThrows(
        IllegalArgumentException.class, () -> PassAtKChart.write(Map.of(), dir.resolve("x.png")));
  }
}
