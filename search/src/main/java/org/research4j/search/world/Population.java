package org.research4j.search.world;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The facts of a world: who and what exists, when, where and in which office. Generated before any
 * text is written. Offices are held in unbroken successions of terms, so "who was mayor of Z in
 * year Y" always has exactly one answer once Y is covered.
 */
final class Population {
  static final int LAST_YEAR = 2024;

  private static final String[] COMPANY_SUFFIXES = {
    "Works",
    "Industries",
    "Group",
    "Company",
    "Mills",
    "Foundry",
    "Press",
    "Holdings",
    "Brothers",
    "Manufacturing",
    "Trading",
    "Laboratories"
  };
  private static final String[] INDUSTRIES = {
    "shipbuilding", "textile", "railway", "brewing", "publishing", "mining", "glassmaking",
    "software", "pharmaceutical", "insurance", "aviation", "chocolate", "steel", "clockmaking",
    "printing", "shipping", "telegraph", "porcelain", "automobile", "banking"
  };
  private static final String[] OCCUPATIONS = {
    "painter",
    "poet",
    "engineer",
    "physician",
    "architect",
    "composer",
    "chemist",
    "lawyer",
    "astronomer",
    "sculptor",
    "historian",
    "botanist",
    "novelist",
    "mathematician",
    "actor",
    "photographer",
    "cartographer",
    "philosopher"
  };
  private static final String[] FOUNDER_OCCUPATIONS = {
    "industrialist", "merchant", "engineer", "entrepreneur", "inventor", "banker"
  };
  private static final String[] LANDMARKS = {
    "harbour", "old stone bridge", "cathedral", "covered market", "university", "botanical garden",
    "clock tower", "city walls", "opera house", "lighthouse", "river port", "town hall"
  };
  private static final String INITIALS = "ABCDEFGHJKLMNPRSTVW";

  final List<Country> countries = new ArrayList<>();
  final List<City> cities = new ArrayList<>();
  final List<Company> companies = new ArrayList<>();
  final List<Person> people = new ArrayList<>();

  private final Random rnd;
  private final NameRegistry names;
  private final List<String> firstNames = new ArrayList<>();
  private final List<String> surnames = new ArrayList<>();
  private final Set<String> fullNames = new HashSet<>();
  private final List<Person> founders = new ArrayList<>();

  private Population(Random rnd, NameRegistry names) {
    this.rnd = rnd;
    this.names = names;
  }

  static Population generate(WorldConfig config) {
    Population p =
        new Population(
            Streams.of(config.seed(), "facts"),
            new NameRegistry(Streams.of(config.seed(), "names")));
    p.populate(config.scale());
    p.assignSplits(Streams.of(config.seed(), "splits"));
    return p;
  }

  private int count(double base, double scale) {
    return Math.max(1, (int) Math.round(base * scale));
  }

  private void populate(double scale) {
    int expectedPeople = count(1700, scale);
    for (int i = 0, n = Math.max(40, expectedPeople / 6); i < n; i++) {
      firstNames.add(names.fresh());
    }
    for (int i = 0, n = Math.max(60, expectedPeople / 2); i < n; i++) {
      surnames.add(names.fresh());
    }
    int countryCount = Math.max(3, count(8, scale));
    for (int i = 0; i < countryCount; i++) {
      Country.Form form = Country.Form.values()[rnd.nextInt(Country.Form.values().length)];
      countries.add(new Country(names.fresh(), form, 1600 + rnd.nextInt(250)));
    }
    for (Country country : countries) {
      for (int i = 0; i < 6; i++) {
        String name =
            !cities.isEmpty() && rnd.nextInt(10) == 0
                ? names.twin(pick(cities).name)
                : names.fresh();
        City city = new City(name, country, 1450 + rnd.nextInt(450), pick(LANDMARKS));
        cities.add(city);
        country.cities.add(city);
      }
      country.capital = pick(country.cities);
    }
    for (City city : cities) {
      int start = Math.max(city.founded + rnd.nextInt(30), 1780 + rnd.nextInt(20));
      for (int from = start; from <= 2015; ) {
        int to = from + 2 + rnd.nextInt(12);
        City birthplace = rnd.nextInt(10) < 6 ? city : pick(city.country.cities);
        Person mayor = person(from - 30 - rnd.nextInt(31), birthplace, "politician");
        Term term = new Term(mayor, from, to);
        mayor.mayorOf = city;
        mayor.mayorTerm = term;
        city.mayors.add(term);
        from = to + 1;
      }
    }
    for (Country country : countries) {
      int start = Math.max(country.founded, 1750 + rnd.nextInt(30));
      for (int from = start; from <= 2015; ) {
        int to = from + 3 + rnd.nextInt(9);
        Person leader = person(from - 35 - rnd.nextInt(31), pick(country.cities), "statesman");
        Term term = new Term(leader, from, to);
        leader.ledCountry = country;
        leader.leaderTerm = term;
        country.leaders.add(term);
        from = to + 1;
      }
    }
    for (int i = 0, n = count(300, scale); i < n; i++) {
      companies.add(company());
    }
    for (int i = 0, n = count(450, scale); i < n; i++) {
      Person p;
      if (!people.isEmpty() && rnd.nextInt(100) < 15) {
        Person like = pick(people);
        p = twinOf(like);
      } else {
        p = person(1700 + rnd.nextInt(290), pick(cities), pick(OCCUPATIONS));
      }
      if (rnd.nextBoolean()) {
        moved(p);
      }
    }
  }

  private Company company() {
    City hq = pick(cities);
    int earliest = Math.max(1800, hq.mayors.getFirst().from);
    String root;
    int founded;
    String industry;
    if (!companies.isEmpty() && rnd.nextInt(10) == 0) {
      Company like = pick(companies);
      root = names.twin(like.root);
      industry = like.industry;
      founded =
          Math.max(
              earliest,
              Math.min(2015, like.founded + (rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextInt(3))));
    } else {
      root = names.fresh();
      industry = pick(INDUSTRIES);
      founded = earliest + rnd.nextInt(2016 - earliest);
    }
    Person founder = null;
    if (!founders.isEmpty() && rnd.nextInt(5) == 0) {
      Person candidate = pick(founders);
      int age = founded - candidate.born;
      if (age >= 22 && age <= 70) {
        founder = candidate;
      }
    }
    if (founder == null) {
      City birthplace = rnd.nextInt(10) < 4 ? hq : pick(cities);
      founder = person(founded - 22 - rnd.nextInt(34), birthplace, pick(FOUNDER_OCCUPATIONS));
      founders.add(founder);
      if (rnd.nextInt(3) == 0) {
        moved(founder);
      }
    }
    City office;
    do {
      office = pick(cities);
    } while (office == hq);
    int officeYear = Math.min(LAST_YEAR, founded + 3 + rnd.nextInt(40));
    Company c =
        new Company(
            root, pick(COMPANY_SUFFIXES), industry, founded, founder, hq, office, officeYear);
    founder.founded.add(c);
    return c;
  }

  /** A new person with a full name no one else has. */
  private Person person(int born, City birthplace, String occupation) {
    String first;
    String last;
    do {
      first = pick(firstNames);
      last = pick(surnames);
    } while (!fullNames.add(first + " " + last));
    return add(
        new Person(first, last, middleInitial(), born, existingAt(born, birthplace), occupation));
  }

  /**
   * The preferred city if it was founded by then, else another that was: no one is born in a city
   * before it exists.
   */
  private City existingAt(int year, City preferred) {
    if (preferred.founded <= year) {
      return preferred;
    }
    for (int attempt = 0; attempt < 50; attempt++) {
      City c = pick(preferred.country.cities);
      if (c.founded <= year) {
        return c;
      }
    }
    for (int attempt = 0; attempt < 1000; attempt++) {
      City c = pick(cities);
      if (c.founded <= year) {
        return c;
      }
    }
    return preferred;
  }

  /**
   * A distractor: same first name, a surname one vowel away, born within three years of the
   * original somewhere else, in another walk of life.
   */
  private Person twinOf(Person like) {
    String last;
    do {
      last = names.twin(like.last);
    } while (!fullNames.add(like.first + " " + last));
    int born = like.born + (rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextInt(3));
    City birthplace = existingAt(born, pick(cities));
    for (int attempt = 0; attempt < 100 && birthplace == like.birthplace; attempt++) {
      birthplace = existingAt(born, pick(cities));
    }
    return add(new Person(like.first, last, middleInitial(), born, birthplace, pick(OCCUPATIONS)));
  }

  private Person add(Person p) {
    people.add(p);
    return p;
  }

  private char middleInitial() {
    return rnd.nextInt(10) < 3 ? INITIALS.charAt(rnd.nextInt(INITIALS.length())) : 0;
  }

  private void moved(Person p) {
    City to;
    do {
      to = pick(cities);
    } while (to == p.birthplace);
    p.movedTo = to;
    p.movedYear = Math.min(LAST_YEAR, p.born + 18 + rnd.nextInt(30));
  }

  /** Train 80 %, dev 8 %, test 12 % of every kind of entity. */
  private void assignSplits(Random splits) {
    List<Entity> all = new ArrayList<>();
    all.addAll(countries);
    all.addAll(cities);
    all.addAll(companies);
    all.addAll(people);
    for (Entity e : all) {
      int r = splits.nextInt(100);
      e.split = r < 80 ? 0 : r < 88 ? 1 : 2;
    }
  }

  private <T> T pick(List<T> list) {
    return list.get(rnd.nextInt(list.size()));
  }

  private String pick(String[] options) {
    return options[rnd.nextInt(options.length)];
  }
}
