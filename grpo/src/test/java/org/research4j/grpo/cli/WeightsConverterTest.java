package org.research4j.grpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.research4j.transformer.model.WeightPrecision;

/** {@code --weights} and {@code --reference-weights} accept int8 under its names and aliases. */
class WeightsConverterTest {
  @Test
  void int8AndItsAliasesParse() throws Exception {
    SharedOptions.WeightsConverter c = new SharedOptions.WeightsConverter();
    assertEquals(WeightPrecision.INT8, c.convert("int8"));
    assertEquals(WeightPrecision.INT8, c.convert("I8"));
    assertEquals(WeightPrecision.INT8, c.convert("q8"));
    assertEquals(WeightPrecision.BF16, c.convert("bfloat16"));
    List<String> names = new ArrayList<>();
    c.forEach(names::add);
    assertTrue(names.contains("int8"), names.toString());
  }
}
