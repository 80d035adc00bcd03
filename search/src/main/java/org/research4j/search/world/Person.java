package org.research4j.search.world;

import java.util.ArrayList;
import java.util.List;

final class Person extends Entity {
  final String first;
  final String last;

  /** A middle initial, or 0; the formal name "First M. Last" is then an alias. */
  final char middle;

  final int born;
  final City birthplace;
  final String occupation;
  final List<Company> founded = new ArrayList<>();

  /** A later city in the person's life: a distractor for birthplace questions. */
  City movedTo;

  int movedYear;
  City mayorOf;
  Term mayorTerm;
  Country ledCountry;
  Term leaderTerm;
  int birthPassage = -1;

  Person(String first, String last, char middle, int born, City birthplace, String occupation) {
    this.first = first;
    this.last = last;
    this.middle = middle;
    this.born = born;
    this.birthplace = birthplace;
    this.occupation = occupation;
  }

  @Override
  String name() {
    return first + " " + last;
  }

  String formalName() {
    return middle == 0 ? name() : first + " " + middle + ". " + last;
  }

  @Override
  List<String> answers() {
    return middle == 0 ? List.of(name()) : List.of(name(), formalName());
  }
}
