package org.research4j.search.world;

import java.util.ArrayList;
import java.util.List;

final class Country extends Entity {
  /** The form of state names the office its leader holds. */
  enum Form {
    REPUBLIC("Republic of", "president"),
    KINGDOM("Kingdom of", "monarch"),
    FEDERATION("Federation of", "chancellor"),
    COMMONWEALTH("Commonwealth of", "premier");

    final String prefix;
    final String leaderTitle;

    Form(String prefix, String leaderTitle) {
      this.prefix = prefix;
      this.leaderTitle = leaderTitle;
    }
  }

  final String name;
  final Form form;
  final int founded;
  final List<City> cities = new ArrayList<>();
  final List<Term> leaders = new ArrayList<>();
  City capital;
  int capitalPassage = -1;
  int foundedPassage = -1;

  Country(String name, Form form, int founded) {
    this.name = name;
    this.form = form;
    this.founded = founded;
  }

  @Override
  String name() {
    return name;
  }

  String formalName() {
    return form.prefix + " " + name;
  }

  @Override
  List<String> answers() {
    return List.of(name, formalName());
  }

  Term leaderIn(int year) {
    for (Term t : leaders) {
      if (t.covers(year)) {
        return t;
      }
    }
    return null;
  }
}
