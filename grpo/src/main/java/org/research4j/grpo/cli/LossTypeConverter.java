package org.research4j.grpo.cli;

import java.util.Iterator;
import java.util.List;
import org.research4j.grpo.train.LossType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --loss-type}: {@link LossType} by TRL's and verl's spellings ({@link LossType#parse}), the
 * verl ones listed in {@code --help}.
 */
final class LossTypeConverter implements ITypeConverter<LossType>, Iterable<String> {
  private static final List<String> IDS = List.of("token-mean", "seq-mean", "dr_grpo");

  @Override
  public LossType convert(String value) {
    try {
      return LossType.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }

  @Override
  public Iterator<String> iterator() {
    return IDS.iterator();
  }
}
