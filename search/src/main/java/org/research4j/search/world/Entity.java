package org.research4j.search.world;

import java.util.List;

/**
 * What every invented entity has: a canonical name (the article title and the name questions use),
 * the other names an answer may take, and the split whose questions may name it.
 *
 * <p>Entities are filled in while the world is generated and written (passage ordinals are known
 * only once the articles are chunked), so their fields are mutable and package-private; nothing
 * outside this package sees them.
 */
abstract sealed class Entity permits Country, City, Company, Person {
  /** 0 train, 1 dev, 2 test. */
  int split;

  abstract String name();

  /** The canonical name first, then aliases. */
  abstract List<String> answers();
}
