package org.research4j.search.world;

import java.util.List;

final class Company extends Entity {
  /** The distinctive word, "Karvell" in "Karvell Works"; also an alias of the full name. */
  final String root;

  final String suffix;
  final String industry;
  final int founded;
  final Person founder;
  final City headquarters;

  /** A second office opened later: a distractor for headquarters and founding questions. */
  final City office;

  final int officeYear;
  int foundingPassage = -1;
  int headquartersPassage = -1;

  Company(
      String root,
      String suffix,
      String industry,
      int founded,
      Person founder,
      City headquarters,
      City office,
      int officeYear) {
    this.root = root;
    this.suffix = suffix;
    this.industry = industry;
    this.founded = founded;
    this.founder = founder;
    this.headquarters = headquarters;
    this.office = office;
    this.officeYear = officeYear;
  }

  @Override
  String name() {
    return root + " " + suffix;
  }

  @Override
  List<String> answers() {
    return List.of(name(), root);
  }
}
