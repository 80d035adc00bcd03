package org.research4j.search.world;

import java.util.ArrayList;
import java.util.List;

final class City extends Entity {
  final String name;
  final Country country;
  final int founded;
  final String landmark;
  final List<Term> mayors = new ArrayList<>();
  int countryPassage = -1;
  int foundedPassage = -1;

  City(String name, Country country, int founded, String landmark) {
    this.name = name;
    this.country = country;
    this.founded = founded;
    this.landmark = landmark;
  }

  @Override
  String name() {
    return name;
  }

  @Override
  List<String> answers() {
    return List.of(name);
  }

  Term mayorIn(int year) {
    for (Term t : mayors) {
      if (t.covers(year)) {
        return t;
      }
    }
    return null;
  }
}
