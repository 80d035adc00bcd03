package org.research4j.grpo.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A closed set of command-line values read into an enum. Each constant is known by its id (what
 * {@code --help} lists through {@code ${COMPLETION-CANDIDATES}}) and by any aliases (older
 * spellings that keep working), case-insensitively. A subclass per enum is both the option's {@code
 * converter} and its {@code completionCandidates}, so a bad value is refused by picocli with the
 * option's name and the ids to choose from.
 */
abstract class ChoiceConverter<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {
  private final Map<String, E> byName = new LinkedHashMap<>();
  private final List<String> ids = new ArrayList<>();

  ChoiceConverter(Class<E> type, Function<E, String> id, Function<E, List<String>> aliases) {
    for (E e : type.getEnumConstants()) {
      ids.add(id.apply(e));
      byName.put(id.apply(e).toLowerCase(Locale.ROOT), e);
      for (String a : aliases.apply(e)) byName.put(a.toLowerCase(Locale.ROOT), e);
    }
  }

  @Override
  public E convert(String value) {
    E e = byName.get(value.strip().toLowerCase(Locale.ROOT));
    if (e == null) {
      throw new TypeConversionException("'" + value + "' is not one of " + String.join(", ", ids));
    }
    return e;
  }

  /** The ids, in declaration order: the completion candidates {@code --help} lists. */
  @Override
  public Iterator<String> iterator() {
    return ids.iterator();
  }
}
