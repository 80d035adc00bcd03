package org.research4j.search.world;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Draws questions for one split from the entities of that split. Every entity a question names
 * belongs to the split, so no test question names an entity any training question names; entities
 * reached only through a hop (a founder, a birthplace) may belong to any split, as they would in
 * MuSiQue.
 *
 * <p>A question is drawn by choosing a type uniformly, then a template of that type, then its
 * entities; a template that finds no fitting entities returns null and another draw is made.
 *
 * <p>With arithmetic on, three more types join the draw (so the draw differs from the default
 * world's; off, it is the default world's exactly): the years between two foundings, an age at an
 * event, the sum of two founding years. Their facts must be retrieved (search hops) and then
 * combined (a code hop, with the program that computes the answer from the retrieved values).
 */
final class QuestionFactory {
  private final Random rnd;
  private final int split;
  private final List<Country> countries;
  private final List<City> cities;
  private final List<Company> companies;
  private final List<Person> people;

  /** People of this split who were mayor of a city of this split after their birth year. */
  private final List<Person> mayors;

  /** The types drawn from, in draw order: the five, then with arithmetic the three more. */
  private final List<QuestionType> types;

  private final Map<QuestionType, List<Supplier<Question>>> templates =
      new EnumMap<>(QuestionType.class);

  QuestionFactory(Population world, int split, Random rnd) {
    this(world, split, rnd, false);
  }

  QuestionFactory(Population world, int split, Random rnd, boolean arithmetic) {
    this.rnd = rnd;
    this.split = split;
    this.countries = world.countries.stream().filter(e -> e.split == split).toList();
    this.cities = world.cities.stream().filter(e -> e.split == split).toList();
    this.companies = world.companies.stream().filter(e -> e.split == split).toList();
    this.people = world.people.stream().filter(e -> e.split == split).toList();
    this.mayors =
        people.stream()
            .filter(
                p -> p.mayorTerm != null && p.mayorOf.split == split && p.mayorTerm.from > p.born)
            .toList();
    templates.put(
        QuestionType.ONE_HOP,
        List.of(
            this::companyFoundedYear,
            this::companyFounder,
            this::companyHeadquarters,
            this::personBirthplace,
            this::personBirthYear,
            this::cityCountry,
            this::cityFounded,
            this::mayorInYear,
            this::countryCapital,
            this::leaderInYear));
    templates.put(
        QuestionType.TWO_HOP_BRIDGE,
        List.of(
            this::founderBirthplace,
            this::founderBirthYear,
            this::headquartersCountry,
            this::birthplaceCountry,
            this::mayorBirthplace,
            this::capitalFounded,
            this::headquartersFounded));
    templates.put(
        QuestionType.TWO_HOP_TEMPORAL,
        List.of(
            this::mayorWhenCompanyFounded,
            this::mayorWhenPersonBorn,
            this::leaderWhenPersonBorn,
            this::leaderWhenCompanyFounded));
    templates.put(
        QuestionType.COMPARISON, List.of(this::companyOlder, this::personOlder, this::cityOlder));
    templates.put(
        QuestionType.THREE_HOP,
        List.of(
            this::founderBirthCountry,
            this::founderBirthplaceFounded,
            this::headquartersCountryCapital,
            this::mayorBirthCountry));
    if (arithmetic) {
      templates.put(
          QuestionType.YEARS_BETWEEN, List.of(this::companyYearsBetween, this::cityYearsBetween));
      templates.put(
          QuestionType.AGE_AT_EVENT, List.of(this::founderAgeAtFounding, this::mayorAgeAtTerm));
      templates.put(
          QuestionType.YEAR_SUM, List.of(this::cityFoundingSum, this::companyFoundingSum));
    }
    this.types = QuestionType.drawn(arithmetic);
  }

  /** Up to {@code wanted} distinct questions; fewer if the split's entities run out. */
  List<Question> draw(int wanted) {
    List<Question> out = new ArrayList<>(wanted);
    Set<String> seen = new HashSet<>();
    for (long attempts = 0; out.size() < wanted && attempts < 50L * wanted + 1000; attempts++) {
      QuestionType type = types.get(rnd.nextInt(types.size()));
      List<Supplier<Question>> ofType = templates.get(type);
      Question q = ofType.get(rnd.nextInt(ofType.size())).get();
      if (q != null && seen.add(q.text())) {
        out.add(q);
      }
    }
    return out;
  }

  // ---- one hop: one passage holds the answer ----

  private Question companyFoundedYear() {
    Company c = pick(companies);
    return c == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "company_founded_year",
            pick(
                "In what year was " + c.name() + " founded?",
                "When was " + c.name() + " founded?",
                "In which year was " + c.name() + " established?"),
            foundedHop(c),
            List.of(c.name()));
  }

  private Question companyFounder() {
    Company c = pick(companies);
    return c == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "company_founder",
            pick("Who founded " + c.name() + "?", "Who was the founder of " + c.name() + "?"),
            founderHop(c),
            List.of(c.name()),
            c.founder.answers());
  }

  private Question companyHeadquarters() {
    Company c = pick(companies);
    return c == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "company_headquarters",
            pick(
                "Where is " + c.name() + " headquartered?",
                "In which city is " + c.name() + " headquartered?"),
            headquartersHop(c),
            List.of(c.name()),
            c.headquarters.answers());
  }

  private Question personBirthplace() {
    Person p = pick(people);
    return p == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "person_birthplace",
            pick("Where was " + p.name() + " born?", "In which city was " + p.name() + " born?"),
            birthplaceHop(p),
            List.of(p.name()),
            p.birthplace.answers());
  }

  private Question personBirthYear() {
    Person p = pick(people);
    return p == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "person_birth_year",
            pick("In what year was " + p.name() + " born?", "When was " + p.name() + " born?"),
            birthYearHop(p),
            List.of(p.name()));
  }

  private Question cityCountry() {
    City c = pick(cities);
    return c == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "city_country",
            pick("In which country is " + c.name + "?", c.name + " is a city in which country?"),
            countryHop(c),
            List.of(c.name),
            c.country.answers());
  }

  private Question cityFounded() {
    City c = pick(cities);
    return c == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "city_founded",
            pick("When was " + c.name + " founded?", "In what year was " + c.name + " founded?"),
            cityFoundedHop(c),
            List.of(c.name));
  }

  private Question mayorInYear() {
    City c = pick(cities);
    if (c == null) {
      return null;
    }
    Term t = c.mayors.get(rnd.nextInt(c.mayors.size()));
    int year = t.from + rnd.nextInt(t.to - t.from + 1);
    return single(
        QuestionType.ONE_HOP,
        "mayor_in_year",
        pick(
            "Who was mayor of " + c.name + " in " + year + "?",
            "Who was the mayor of " + c.name + " in " + year + "?"),
        mayorHop(c, year),
        List.of(c.name),
        t.holder.answers());
  }

  private Question countryCapital() {
    Country k = pick(countries);
    return k == null
        ? null
        : single(
            QuestionType.ONE_HOP,
            "country_capital",
            pick(
                "What is the capital of " + k.name + "?",
                "Which city is the capital of " + k.name + "?"),
            capitalHop(k),
            List.of(k.name),
            k.capital.answers());
  }

  private Question leaderInYear() {
    Country k = pick(countries);
    if (k == null) {
      return null;
    }
    Term t = k.leaders.get(rnd.nextInt(k.leaders.size()));
    int year = t.from + rnd.nextInt(t.to - t.from + 1);
    return single(
        QuestionType.ONE_HOP,
        "leader_in_year",
        "Who was " + k.form.leaderTitle + " of " + k.name + " in " + year + "?",
        leaderHop(k, year),
        List.of(k.name),
        t.holder.answers());
  }

  // ---- two hops through a bridge entity ----

  private Question founderBirthplace() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.TWO_HOP_BRIDGE,
            "founder_birthplace",
            "Where was the founder of " + c.name() + " born?",
            List.of(c.name()),
            c.founder.birthplace.answers(),
            founderHop(c),
            birthplaceHop(c.founder));
  }

  private Question founderBirthYear() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.TWO_HOP_BRIDGE,
            "founder_birth_year",
            "In what year was the founder of " + c.name() + " born?",
            List.of(c.name()),
            List.of(Integer.toString(c.founder.born)),
            founderHop(c),
            birthYearHop(c.founder));
  }

  private Question headquartersCountry() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.TWO_HOP_BRIDGE,
            "headquarters_country",
            pick(
                "In which country is " + c.name() + " headquartered?",
                "In which country are the headquarters of " + c.name() + "?"),
            List.of(c.name()),
            c.headquarters.country.answers(),
            headquartersHop(c),
            countryHop(c.headquarters));
  }

  private Question birthplaceCountry() {
    Person p = pick(people);
    return p == null
        ? null
        : chain(
            QuestionType.TWO_HOP_BRIDGE,
            "birthplace_country",
            "In which country was " + p.name() + " born?",
            List.of(p.name()),
            p.birthplace.country.answers(),
            birthplaceHop(p),
            countryHop(p.birthplace));
  }

  private Question mayorBirthplace() {
    City c = pick(cities);
    if (c == null) {
      return null;
    }
    Term t = c.mayors.get(rnd.nextInt(c.mayors.size()));
    int year = t.from + rnd.nextInt(t.to - t.from + 1);
    return chain(
        QuestionType.TWO_HOP_BRIDGE,
        "mayor_birthplace",
        "Where was the mayor of " + c.name + " in " + year + " born?",
        List.of(c.name),
        t.holder.birthplace.answers(),
        mayorHop(c, year),
        birthplaceHop(t.holder));
  }

  private Question capitalFounded() {
    Country k = pick(countries);
    return k == null
        ? null
        : chain(
            QuestionType.TWO_HOP_BRIDGE,
            "capital_founded",
            "In what year was the capital of " + k.name + " founded?",
            List.of(k.name),
            List.of(Integer.toString(k.capital.founded)),
            capitalHop(k),
            cityFoundedHop(k.capital));
  }

  private Question headquartersFounded() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.TWO_HOP_BRIDGE,
            "headquarters_founded",
            "In what year was the city where " + c.name() + " is headquartered founded?",
            List.of(c.name()),
            List.of(Integer.toString(c.headquarters.founded)),
            headquartersHop(c),
            cityFoundedHop(c.headquarters));
  }

  // ---- two hops, the second needing the first hop's year ----

  private Question mayorWhenCompanyFounded() {
    Company c = pick(companies);
    if (c == null) {
      return null;
    }
    City z = cityCovering(c.founded, c.headquarters);
    if (z == null) {
      return null;
    }
    return chain(
        QuestionType.TWO_HOP_TEMPORAL,
        "mayor_when_company_founded",
        "Who was mayor of " + z.name + " in the year " + c.name() + " was founded?",
        List.of(c.name(), z.name),
        z.mayorIn(c.founded).holder.answers(),
        foundedHop(c),
        mayorHop(z, c.founded));
  }

  private Question mayorWhenPersonBorn() {
    Person p = pick(people);
    if (p == null) {
      return null;
    }
    City z = cityCovering(p.born, p.birthplace);
    if (z == null) {
      return null;
    }
    return chain(
        QuestionType.TWO_HOP_TEMPORAL,
        "mayor_when_person_born",
        "Who was mayor of " + z.name + " when " + p.name() + " was born?",
        List.of(p.name(), z.name),
        z.mayorIn(p.born).holder.answers(),
        birthYearHop(p),
        mayorHop(z, p.born));
  }

  private Question leaderWhenPersonBorn() {
    Person p = pick(people);
    if (p == null) {
      return null;
    }
    Country k = countryCovering(p.born, p.birthplace.country);
    if (k == null) {
      return null;
    }
    return chain(
        QuestionType.TWO_HOP_TEMPORAL,
        "leader_when_person_born",
        "Who was "
            + k.form.leaderTitle
            + " of "
            + k.name
            + " in the year "
            + p.name()
            + " was born?",
        List.of(p.name(), k.name),
        k.leaderIn(p.born).holder.answers(),
        birthYearHop(p),
        leaderHop(k, p.born));
  }

  private Question leaderWhenCompanyFounded() {
    Company c = pick(companies);
    if (c == null) {
      return null;
    }
    Country k = countryCovering(c.founded, c.headquarters.country);
    if (k == null) {
      return null;
    }
    return chain(
        QuestionType.TWO_HOP_TEMPORAL,
        "leader_when_company_founded",
        "Who was " + k.form.leaderTitle + " of " + k.name + " when " + c.name() + " was founded?",
        List.of(c.name(), k.name),
        k.leaderIn(c.founded).holder.answers(),
        foundedHop(c),
        leaderHop(k, c.founded));
  }

  /** The preferred city when this split may name it and it had a mayor that year, else another. */
  private City cityCovering(int year, City preferred) {
    if (preferred.split == split && preferred.mayorIn(year) != null) {
      return preferred;
    }
    return find(cities, c -> c.mayorIn(year) != null);
  }

  private Country countryCovering(int year, Country preferred) {
    if (preferred.split == split && preferred.leaderIn(year) != null) {
      return preferred;
    }
    return find(countries, k -> k.leaderIn(year) != null);
  }

  // ---- comparison of two entities of one kind ----

  private Question companyOlder() {
    Company a = pick(companies);
    Company b = pick(companies);
    if (a == null || a == b || a.founded == b.founded) {
      return null;
    }
    Company first = a.founded < b.founded ? a : b;
    return chain(
        QuestionType.COMPARISON,
        "company_older",
        pick(
            "Which company was founded first, " + a.name() + " or " + b.name() + "?",
            "Which was founded earlier, " + a.name() + " or " + b.name() + "?"),
        List.of(a.name(), b.name()),
        first.answers(),
        foundedHop(a),
        foundedHop(b));
  }

  private Question personOlder() {
    Person a = pick(people);
    Person b = pick(people);
    if (a == null || a == b || a.born == b.born) {
      return null;
    }
    Person first = a.born < b.born ? a : b;
    return chain(
        QuestionType.COMPARISON,
        "person_older",
        pick(
            "Who was born first, " + a.name() + " or " + b.name() + "?",
            "Who is older, " + a.name() + " or " + b.name() + "?"),
        List.of(a.name(), b.name()),
        first.answers(),
        birthYearHop(a),
        birthYearHop(b));
  }

  private Question cityOlder() {
    City a = pick(cities);
    City b = pick(cities);
    if (a == null || a == b || a.founded == b.founded) {
      return null;
    }
    City first = a.founded < b.founded ? a : b;
    return chain(
        QuestionType.COMPARISON,
        "city_older",
        pick(
            "Which city was founded first, " + a.name + " or " + b.name + "?",
            "Which city is older, " + a.name + " or " + b.name + "?"),
        List.of(a.name, b.name),
        first.answers(),
        cityFoundedHop(a),
        cityFoundedHop(b));
  }

  // ---- three hops ----

  private Question founderBirthCountry() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.THREE_HOP,
            "founder_birth_country",
            "In which country was the founder of " + c.name() + " born?",
            List.of(c.name()),
            c.founder.birthplace.country.answers(),
            founderHop(c),
            birthplaceHop(c.founder),
            countryHop(c.founder.birthplace));
  }

  private Question founderBirthplaceFounded() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.THREE_HOP,
            "founder_birthplace_founded",
            "In what year was the birthplace of the founder of " + c.name() + " founded?",
            List.of(c.name()),
            List.of(Integer.toString(c.founder.birthplace.founded)),
            founderHop(c),
            birthplaceHop(c.founder),
            cityFoundedHop(c.founder.birthplace));
  }

  private Question headquartersCountryCapital() {
    Company c = pick(companies);
    return c == null
        ? null
        : chain(
            QuestionType.THREE_HOP,
            "headquarters_country_capital",
            "What is the capital of the country where " + c.name() + " is headquartered?",
            List.of(c.name()),
            c.headquarters.country.capital.answers(),
            headquartersHop(c),
            countryHop(c.headquarters),
            capitalHop(c.headquarters.country));
  }

  private Question mayorBirthCountry() {
    City c = pick(cities);
    if (c == null) {
      return null;
    }
    Term t = c.mayors.get(rnd.nextInt(c.mayors.size()));
    int year = t.from + rnd.nextInt(t.to - t.from + 1);
    return chain(
        QuestionType.THREE_HOP,
        "mayor_birth_country",
        "In which country was the mayor of " + c.name + " in " + year + " born?",
        List.of(c.name),
        t.holder.birthplace.country.answers(),
        mayorHop(c, year),
        birthplaceHop(t.holder),
        countryHop(t.holder.birthplace));
  }

  // ---- arithmetic over retrieved facts: searches, then one computation ----

  private Question companyYearsBetween() {
    Company a = pick(companies);
    Company b = pick(companies);
    if (a == null || a == b || a.founded == b.founded) {
      return null;
    }
    return arithmetic(
        QuestionType.YEARS_BETWEEN,
        "company_years_between",
        pick(
            "How many years passed between the founding of "
                + a.name()
                + " and the founding of "
                + b.name()
                + "?",
            "How many years apart were " + a.name() + " and " + b.name() + " founded?"),
        List.of(a.name(), b.name()),
        difference(a.founded, b.founded),
        foundedHop(a),
        foundedHop(b));
  }

  private Question cityYearsBetween() {
    City a = pick(cities);
    City b = pick(cities);
    if (a == null || a == b || a.founded == b.founded) {
      return null;
    }
    return arithmetic(
        QuestionType.YEARS_BETWEEN,
        "city_years_between",
        pick(
            "How many years passed between the founding of "
                + a.name
                + " and the founding of "
                + b.name
                + "?",
            "How many years apart were " + a.name + " and " + b.name + " founded?"),
        List.of(a.name, b.name),
        difference(a.founded, b.founded),
        cityFoundedHop(a),
        cityFoundedHop(b));
  }

  private Question founderAgeAtFounding() {
    Company c = pick(companies);
    if (c == null || c.founded <= c.founder.born) {
      return null;
    }
    Person f = c.founder;
    return arithmetic(
        QuestionType.AGE_AT_EVENT,
        "founder_age_at_founding",
        "How old was the founder of " + c.name() + " when " + c.name() + " was founded?",
        List.of(c.name()),
        Question.Hop.computed(
            "How many years are there from " + f.born + " to " + c.founded + "?",
            Integer.toString(c.founded - f.born),
            "console.log(" + c.founded + " - " + f.born + ")"),
        founderHop(c),
        foundedHop(c),
        birthYearHop(f));
  }

  private Question mayorAgeAtTerm() {
    Person p = pick(mayors);
    if (p == null) {
      return null;
    }
    Term t = p.mayorTerm;
    return arithmetic(
        QuestionType.AGE_AT_EVENT,
        "mayor_age_at_term",
        "How old was " + p.name() + " on becoming mayor of " + p.mayorOf.name + "?",
        List.of(p.name(), p.mayorOf.name),
        Question.Hop.computed(
            "How many years are there from " + p.born + " to " + t.from + "?",
            Integer.toString(t.from - p.born),
            "console.log(" + t.from + " - " + p.born + ")"),
        birthYearHop(p),
        new Question.Hop(
            "In what year did " + p.name() + " become mayor of " + p.mayorOf.name + "?",
            Integer.toString(t.from),
            t.passage));
  }

  private Question cityFoundingSum() {
    City a = pick(cities);
    City b = pick(cities);
    if (a == null || a == b) {
      return null;
    }
    return arithmetic(
        QuestionType.YEAR_SUM,
        "city_founding_sum",
        "What is the sum of the years in which " + a.name + " and " + b.name + " were founded?",
        List.of(a.name, b.name),
        sum(a.founded, b.founded),
        cityFoundedHop(a),
        cityFoundedHop(b));
  }

  private Question companyFoundingSum() {
    Company a = pick(companies);
    Company b = pick(companies);
    if (a == null || a == b) {
      return null;
    }
    return arithmetic(
        QuestionType.YEAR_SUM,
        "company_founding_sum",
        "What is the sum of the years in which " + a.name() + " and " + b.name() + " were founded?",
        List.of(a.name(), b.name()),
        sum(a.founded, b.founded),
        foundedHop(a),
        foundedHop(b));
  }

  /** The years between two years, later minus earlier. */
  private static Question.Hop difference(int x, int y) {
    int later = Math.max(x, y);
    int earlier = Math.min(x, y);
    return Question.Hop.computed(
        "How many years are there from " + earlier + " to " + later + "?",
        Integer.toString(later - earlier),
        "console.log(" + later + " - " + earlier + ")");
  }

  private static Question.Hop sum(int x, int y) {
    return Question.Hop.computed(
        "What is " + x + " + " + y + "?",
        Integer.toString(x + y),
        "console.log(" + x + " + " + y + ")");
  }

  /** The searches, each marked as one, then the computation whose answer is the question's. */
  private static Question arithmetic(
      QuestionType type,
      String template,
      String text,
      List<String> entities,
      Question.Hop computed,
      Question.Hop... searches) {
    List<Question.Hop> hops = new ArrayList<>(searches.length + 1);
    for (Question.Hop h : searches) {
      hops.add(h.searched());
    }
    hops.add(computed);
    return new Question(
        text, List.of(computed.answer()), type, template, List.copyOf(hops), entities);
  }

  // ---- the single-fact hops every template is built from ----

  private static Question.Hop foundedHop(Company c) {
    return new Question.Hop(
        "In what year was " + c.name() + " founded?",
        Integer.toString(c.founded),
        c.foundingPassage);
  }

  private static Question.Hop founderHop(Company c) {
    return new Question.Hop("Who founded " + c.name() + "?", c.founder.name(), c.foundingPassage);
  }

  private static Question.Hop headquartersHop(Company c) {
    return new Question.Hop(
        "Where is " + c.name() + " headquartered?", c.headquarters.name, c.headquartersPassage);
  }

  private static Question.Hop birthplaceHop(Person p) {
    return new Question.Hop("Where was " + p.name() + " born?", p.birthplace.name, p.birthPassage);
  }

  private static Question.Hop birthYearHop(Person p) {
    return new Question.Hop(
        "In what year was " + p.name() + " born?", Integer.toString(p.born), p.birthPassage);
  }

  private static Question.Hop countryHop(City c) {
    return new Question.Hop(
        "In which country is " + c.name + "?", c.country.name, c.countryPassage);
  }

  private static Question.Hop cityFoundedHop(City c) {
    return new Question.Hop(
        "In what year was " + c.name + " founded?", Integer.toString(c.founded), c.foundedPassage);
  }

  private static Question.Hop mayorHop(City c, int year) {
    Term t = c.mayorIn(year);
    return new Question.Hop(
        "Who was mayor of " + c.name + " in " + year + "?", t.holder.name(), t.passage);
  }

  private static Question.Hop capitalHop(Country k) {
    return new Question.Hop(
        "What is the capital of " + k.name + "?", k.capital.name, k.capitalPassage);
  }

  private static Question.Hop leaderHop(Country k, int year) {
    Term t = k.leaderIn(year);
    return new Question.Hop(
        "Who was " + k.form.leaderTitle + " of " + k.name + " in " + year + "?",
        t.holder.name(),
        t.passage);
  }

  private static Question single(
      QuestionType type, String template, String text, Question.Hop hop, List<String> entities) {
    return new Question(text, List.of(hop.answer()), type, template, List.of(hop), entities);
  }

  private static Question single(
      QuestionType type,
      String template,
      String text,
      Question.Hop hop,
      List<String> entities,
      List<String> answers) {
    return new Question(text, answers, type, template, List.of(hop), entities);
  }

  private static Question chain(
      QuestionType type,
      String template,
      String text,
      List<String> entities,
      List<String> answers,
      Question.Hop... hops) {
    return new Question(text, answers, type, template, List.of(hops), entities);
  }

  private <T> T pick(List<T> list) {
    return list.isEmpty() ? null : list.get(rnd.nextInt(list.size()));
  }

  private String pick(String... options) {
    return options[rnd.nextInt(options.length)];
  }

  /** A random element satisfying the test, trying a bounded number of draws. */
  private <T> T find(List<T> list, Predicate<T> test) {
    for (int attempt = 0; attempt < 30 && !list.isEmpty(); attempt++) {
      T t = list.get(rnd.nextInt(list.size()));
      if (test.test(t)) {
        return t;
      }
    }
    return null;
  }
}
