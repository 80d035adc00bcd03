package org.research4j.search.world;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.LongConsumer;
import org.research4j.search.flashrag.Chunker;
import org.research4j.search.flashrag.CorpusWriter;
import org.research4j.search.flashrag.Passage;

/**
 * Writes one article per entity, each sentence in one of several phrasings, chunks each article
 * into passages with the article's title, and streams them to the corpus in a shuffled article
 * order (so that passage ids say nothing about what a passage is about).
 *
 * <p>Names are written the way questions use them: the canonical name everywhere except the first
 * sentence of a person's article, which may give the formal "First M. Last". Every fact sentence
 * names its subject, so a passage cut from the middle of an article still says whose fact it is.
 */
final class Encyclopedia {
  private final Population world;
  private final Chunker chunker;
  private final Random rnd;

  Encyclopedia(Population world, WorldConfig config) {
    this.world = world;
    this.chunker = new Chunker(config.passageWords());
    this.rnd = Streams.of(config.seed(), "phrasing");
  }

  /** Writes every article; {@code progress} hears the number of passages written so far. */
  void write(CorpusWriter out, Random order, LongConsumer progress) throws IOException {
    List<Entity> all =
        new ArrayList<>(
            world.countries.size()
                + world.cities.size()
                + world.companies.size()
                + world.people.size());
    all.addAll(world.countries);
    all.addAll(world.cities);
    all.addAll(world.companies);
    all.addAll(world.people);
    Collections.shuffle(all, order);
    long next = 0;
    for (Entity e : all) {
      Article article =
          switch (e) {
            case Country c -> article(c);
            case City c -> article(c);
            case Company c -> article(c);
            case Person p -> article(p);
          };
      writeChunks(article, out);
      if (out.written() - next >= 10_000) {
        next = out.written();
        progress.accept(next);
      }
    }
    progress.accept(out.written());
  }

  private void writeChunks(Article a, CorpusWriter out) throws IOException {
    List<List<String>> groups = chunker.pack(a.sentences);
    int sentence = 0;
    for (List<String> group : groups) {
      int ordinal = Math.toIntExact(out.written());
      for (int i = 0; i < group.size(); i++, sentence++) {
        if (a.placed.get(sentence) != null) {
          a.placed.get(sentence).accept(ordinal);
        }
      }
      out.write(Passage.of(Integer.toString(ordinal), a.title, String.join(" ", group)));
    }
    if (sentence != a.sentences.size()) {
      throw new IllegalStateException(
          "a sentence of \""
              + a.title
              + "\" is longer than the "
              + chunker.maxWords()
              + "-word passage limit; raise the limit");
    }
  }

  private String pick(String... options) {
    return options[rnd.nextInt(options.length)];
  }

  private Article article(Person p) {
    Article a = new Article(p.name());
    String f = p.formalName();
    String c = p.birthplace.name;
    int y = p.born;
    String o = p.occupation;
    a.state(
        pick(
            f + " was " + aOrAn(o) + " " + o + " born in " + c + " in " + y + ".",
            f + " (born " + y + " in " + c + ") was " + aOrAn(o) + " " + o + ".",
            "Born in " + c + " in " + y + ", " + f + " became " + aOrAn(o) + " " + o + ".",
            f
                + " was born in "
                + y
                + " in the city of "
                + c
                + " and worked as "
                + aOrAn(o)
                + " "
                + o
                + "."),
        ord -> p.birthPassage = ord);
    String n = p.name();
    if (p.mayorTerm != null) {
      City city = p.mayorOf;
      a.say(
          pick(
              n
                  + " served as mayor of "
                  + city.name
                  + " from "
                  + p.mayorTerm.from
                  + " to "
                  + p.mayorTerm.to
                  + ".",
              "From "
                  + p.mayorTerm.from
                  + " to "
                  + p.mayorTerm.to
                  + ", "
                  + n
                  + " was the mayor of "
                  + city.name
                  + "."));
    }
    if (p.leaderTerm != null) {
      String title = p.ledCountry.form.leaderTitle;
      a.say(
          pick(
              n
                  + " was "
                  + title
                  + " of "
                  + p.ledCountry.name
                  + " from "
                  + p.leaderTerm.from
                  + " to "
                  + p.leaderTerm.to
                  + ".",
              n
                  + " served as "
                  + title
                  + " of "
                  + p.ledCountry.name
                  + " between "
                  + p.leaderTerm.from
                  + " and "
                  + p.leaderTerm.to
                  + "."));
    }
    for (Company co : p.founded) {
      a.say(
          pick(
              n + " founded " + co.name() + " in " + co.founded + ".",
              "In "
                  + co.founded
                  + ", "
                  + n
                  + " founded "
                  + co.name()
                  + ", "
                  + aOrAn(co.industry)
                  + " "
                  + co.industry
                  + " company."));
    }
    if (p.movedTo != null) {
      a.say(
          pick(
              n + " moved to " + p.movedTo.name + " in " + p.movedYear + ".",
              "In " + p.movedYear + ", " + n + " settled in " + p.movedTo.name + ".",
              n + " later lived in " + p.movedTo.name + "."));
    }
    return a;
  }

  private Article article(Company co) {
    Article a = new Article(co.name());
    String n = co.name();
    String f = co.founder.name();
    String ind = co.industry;
    a.state(
        pick(
            n
                + " is "
                + aOrAn(ind)
                + " "
                + ind
                + " company founded in "
                + co.founded
                + " by "
                + f
                + ".",
            f + " founded " + n + " in " + co.founded + ".",
            n + " was established in " + co.founded + " by " + f + ".",
            "Founded by "
                + f
                + " in "
                + co.founded
                + ", "
                + n
                + " is "
                + aOrAn(ind)
                + " "
                + ind
                + " company."),
        ord -> co.foundingPassage = ord);
    a.state(
        pick(
            n + " is headquartered in " + co.headquarters.name + ".",
            "The headquarters of " + n + " are in " + co.headquarters.name + ".",
            co.root + " has its headquarters in " + co.headquarters.name + "."),
        ord -> co.headquartersPassage = ord);
    a.say(
        pick(
            co.root + " is known for its " + ind + " business.",
            "The company works in the " + ind + " trade."));
    a.say(
        pick(
            "In " + co.officeYear + ", " + co.root + " opened an office in " + co.office.name + ".",
            co.root
                + " opened a second office in "
                + co.office.name
                + " in "
                + co.officeYear
                + "."));
    return a;
  }

  private Article article(City c) {
    Article a = new Article(c.name);
    a.state(
        pick(
            c.name + " is a city in " + c.country.name + ".",
            c.name + " is a town in the " + c.country.formalName() + ".",
            c.name + " lies in " + c.country.name + "."),
        ord -> c.countryPassage = ord);
    a.state(
        pick(
            c.name + " was founded in " + c.founded + ".",
            "The city of " + c.name + " was founded in " + c.founded + ".",
            c.name + " dates from " + c.founded + ", when it was founded."),
        ord -> c.foundedPassage = ord);
    a.say(c.name + " is known for its " + c.landmark + ".");
    for (Term t : c.mayors) {
      String m = t.holder.name();
      a.state(
          pick(
              m + " was mayor of " + c.name + " from " + t.from + " to " + t.to + ".",
              "From " + t.from + " to " + t.to + ", the mayor of " + c.name + " was " + m + ".",
              m + " served as mayor of " + c.name + " from " + t.from + " to " + t.to + ".",
              m + " governed " + c.name + " as mayor from " + t.from + " to " + t.to + "."),
          ord -> t.passage = ord);
    }
    return a;
  }

  private Article article(Country k) {
    Article a = new Article(k.name);
    String cap = k.capital.name;
    a.state(
        pick(
            "The capital of " + k.name + " is " + cap + ".",
            "The " + k.formalName() + " is a country whose capital is " + cap + ".",
            cap + " is the capital of " + k.name + "."),
        ord -> k.capitalPassage = ord);
    a.state(
        pick(
            k.name + " was founded in " + k.founded + ".",
            "The " + k.formalName() + " was established in " + k.founded + "."),
        ord -> k.foundedPassage = ord);
    List<String> some = k.cities.stream().limit(5).map(c -> c.name).toList();
    a.say(
        "Cities of "
            + k.name
            + " include "
            + String.join(", ", some.subList(0, some.size() - 1))
            + " and "
            + some.getLast()
            + ".");
    String title = k.form.leaderTitle;
    for (Term t : k.leaders) {
      String l = t.holder.name();
      a.state(
          pick(
              l + " was " + title + " of " + k.name + " from " + t.from + " to " + t.to + ".",
              "From " + t.from + " to " + t.to + ", the " + title + " of " + k.name + " was " + l
                  + ".",
              l
                  + " served as "
                  + title
                  + " of "
                  + k.name
                  + " from "
                  + t.from
                  + " to "
                  + t.to
                  + "."),
          ord -> t.passage = ord);
    }
    return a;
  }

  /** "a" or "an" before a word. */
  private static String aOrAn(String word) {
    return "aeiou".indexOf(Character.toLowerCase(word.charAt(0))) >= 0 ? "an" : "a";
  }
}
