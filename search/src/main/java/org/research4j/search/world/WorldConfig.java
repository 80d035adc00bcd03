package org.research4j.search.world;

/**
 * What world to generate.
 *
 * @param seed the seed every random choice derives from
 * @param scale multiplies every entity count; 1 is the demo world of a few thousand passages
 * @param trainQuestions questions wanted in train.jsonl (fewer if the entities run out)
 * @param devQuestions questions wanted in dev.jsonl
 * @param testQuestions questions wanted in test.jsonl
 * @param passageWords the chunker's word limit per passage
 * @param arithmetic whether questions that need arithmetic over retrieved facts (years between two
 *     foundings, an age at an event, a sum of founding years) are drawn beside the five
 *     MuSiQue-like types; off by default, and off leaves every file byte for byte as without it
 */
public record WorldConfig(
    long seed,
    double scale,
    int trainQuestions,
    int devQuestions,
    int testQuestions,
    int passageWords,
    boolean arithmetic) {

  public static final long DEFAULT_SEED = 42;

  /** Passages a scale-1 world holds, about: used to turn a passage target into a scale. */
  static final double PASSAGES_PER_SCALE = 2600;

  public WorldConfig {
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw new IllegalArgumentException("scale must be positive, got " + scale);
    }
    if (trainQuestions < 0 || devQuestions < 0 || testQuestions < 0) {
      throw new IllegalArgumentException("question counts must be >= 0");
    }
    if (passageWords < 20) {
      throw new IllegalArgumentException("passageWords must be at least 20, got " + passageWords);
    }
  }

  /** A world without arithmetic questions. */
  public WorldConfig(
      long seed,
      double scale,
      int trainQuestions,
      int devQuestions,
      int testQuestions,
      int passageWords) {
    this(seed, scale, trainQuestions, devQuestions, testQuestions, passageWords, false);
  }

  public static WorldConfig defaults() {
    return new WorldConfig(DEFAULT_SEED, 1.0, 5000, 500, 500, 100);
  }

  public WorldConfig withSeed(long seed) {
    return new WorldConfig(
        seed, scale, trainQuestions, devQuestions, testQuestions, passageWords, arithmetic);
  }

  public WorldConfig withScale(double scale) {
    return new WorldConfig(
        seed, scale, trainQuestions, devQuestions, testQuestions, passageWords, arithmetic);
  }

  /** With or without the questions that need arithmetic over retrieved facts. */
  public WorldConfig withArithmetic(boolean arithmetic) {
    return new WorldConfig(
        seed, scale, trainQuestions, devQuestions, testQuestions, passageWords, arithmetic);
  }

  /** The scale whose world holds about {@code passages} passages (within a few per cent). */
  public WorldConfig withPassages(long passages) {
    if (passages < 100) {
      throw new IllegalArgumentException("a world needs at least 100 passages, asked " + passages);
    }
    return withScale(passages / PASSAGES_PER_SCALE);
  }

  public WorldConfig withQuestions(int train, int dev, int test) {
    return new WorldConfig(seed, scale, train, dev, test, passageWords, arithmetic);
  }
}
