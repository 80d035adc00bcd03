package org.research4j.tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * AdamW (Loshchilov and Hutter, decoupled weight decay) exactly as {@code torch.optim.AdamW}
 * computes it, with bias correction; first and second moments live on the device next to the
 * parameters. Gradient clipping folds in as {@code gradScale} (see {@link GradClip#coefficient}),
 * so clipping costs no extra pass over the gradients.
 */
public final class AdamW implements AutoCloseable {

  /**
   * Hyper-parameters, PyTorch's names and defaults: {@code betas=(0.9, 0.999)}, {@code eps=1e-8},
   * {@code weight_decay=0.01}.
   */
  public record Config(float lr, float beta1, float beta2, float eps, float weightDecay) {
    public Config {
      if (!(lr >= 0)) throw new IllegalArgumentException("AdamW: lr must be >= 0, got " + lr);
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException(
            "AdamW: betas must lie in [0, 1), got (" + beta1 + ", " + beta2 + ")");
      }
      if (!(eps >= 0)) throw new IllegalArgumentException("AdamW: eps must be >= 0, got " + eps);
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("AdamW: weight decay must be >= 0, got " + weightDecay);
      }
    }

    public static Config of(float lr) {
      return new Config(lr, 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    public Config withWeightDecay(float weightDecay) {
      return new Config(lr, beta1, beta2, eps, weightDecay);
    }

    public Config withBetas(float beta1, float beta2) {
      return new Config(lr, beta1, beta2, eps, weightDecay);
    }
  }

  /**
   * The customary decay rule: decay weight matrices and embeddings (rank 2 and up), not norm gains
   * or biases (rank 1), whose shrinking toward 0 only hurts.
   */
  public static final Predicate<Parameter> DECAY_MATRICES = p -> p.rank() >= 2;

  private record Slot(Parameter p, Buf m, Buf v, boolean decay) {}

  private final Config config;
  private final List<Slot> slots = new ArrayList<>();
  private int step;

  /** AdamW over {@code params} with {@link #DECAY_MATRICES}. */
  public AdamW(Iterable<Parameter> params, Config config) {
    this(params, config, DECAY_MATRICES);
  }

  /** AdamW over {@code params}; {@code decay} selects the parameters that get weight decay. */
  public AdamW(Iterable<Parameter> params, Config config, Predicate<Parameter> decay) {
    this.config = config;
    for (Parameter p : params) {
      Kernels k = p.device();
      int n = Math.max(p.numel(), 1);
      slots.add(new Slot(p, k.allocF32(n), k.allocF32(n), decay.test(p)));
    }
  }

  public Config config() {
    return config;
  }

  /** Number of steps taken (the bias-correction step count). */
  public int stepCount() {
    return step;
  }

  /** Whether {@code p} gets weight decay. */
  public boolean decays(Parameter p) {
    for (Slot s : slots) if (s.p == p) return s.decay;
    throw new IllegalArgumentException(
        "AdamW: " + p + " is not one of this optimiser's parameters");
  }

  /** One step with the configured learning rate and unscaled gradients. */
  public void step() {
    step(config.lr(), 1f);
  }

  /**
   * One step with learning rate {@code lr} (for schedules) on gradients multiplied by {@code
   * gradScale} (the clipping coefficient, or 1).
   */
  public void step(float lr, float gradScale) {
    step++;
    for (Slot s : slots) {
      s.p
          .device()
          .adamw(
              s.p.buf(),
              s.p.gradBuf(),
              s.m,
              s.v,
              s.p.numel(),
              lr,
              config.beta1(),
              config.beta2(),
              config.eps(),
              s.decay ? config.weightDecay() : 0f,
              gradScale,
              step);
    }
  }

  /**
   * The optimiser's state for a checkpoint: per parameter name, its first and second moments
   * ({@code "m." + name}, {@code "v." + name}) copied to the host. With {@link #stepCount()} this
   * is everything {@link #restore} needs to continue a run exactly. It holds every moment at once
   * (twice the model's size); a checkpoint writer streams them with {@link #momentNames()} and
   * {@link #moment(String)} instead.
   */
  public Map<String, float[]> moments() {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (String name : momentNames()) out.put(name, moment(name));
    return out;
  }

  /** The names of the moments, {@code "m." + name} then {@code "v." + name} per parameter. */
  public List<String> momentNames() {
    List<String> out = new ArrayList<>(2 * slots.size());
    for (Slot s : slots) {
      out.add("m." + s.p.name());
      out.add("v." + s.p.name());
    }
    return out;
  }

  /** The number of values of the moment {@code name} (its parameter's element count). */
  public int momentSize(String name) {
    return slot(name).p.numel();
  }

  /** One moment copied to the host, so that a checkpoint holds one at a time in memory. */
  public float[] moment(String name) {
    Slot s = slot(name);
    int n = s.p.numel();
    float[] out = new float[n];
    s.p.device().download(name.startsWith("m.") ? s.m : s.v, 0, out, 0, n);
    return out;
  }

  private Slot slot(String momentName) {
    if (momentName.startsWith("m.") || momentName.startsWith("v.")) {
      String param = momentName.substring(2);
      for (Slot s : slots) if (s.p.name().equals(param)) return s;
    }
    throw new IllegalArgumentException(
        "AdamW has no moment " + momentName + " (names are m.PARAM and v.PARAM)");
  }

  /**
   * Restores the state that {@link #moments()} and {@link #stepCount()} captured. Every parameter
   * must have both moments with its exact element count; otherwise nothing is changed and the error
   * names the parameter.
   */
  public void restore(Map<String, float[]> moments, int stepCount) {
    restore(
        key -> moments.containsKey(key) ? moments.get(key).length : -1, moments::get, stepCount);
  }

  /**
   * Restores moments read one at a time: {@code sizes} gives each stored moment's value count (-1
   * when it is missing) and is checked for every parameter before anything changes (the error names
   * the moment); then each moment is read with {@code read} and uploaded before the next is read,
   * so a checkpoint of any size restores within one moment's memory.
   */
  public void restore(ToLongFunction<String> sizes, Function<String, float[]> read, int stepCount) {
    if (stepCount < 0)
      throw new IllegalArgumentException("AdamW: step count " + stepCount + " < 0");
    for (String key : momentNames()) {
      long stored = sizes.applyAsLong(key);
      if (stored < 0) {
        throw new IllegalArgumentException("AdamW state has no " + key);
      }
      if (stored != momentSize(key)) {
        throw new IllegalArgumentException(
            "AdamW state " + key + " has " + stored + " values, parameter has " + momentSize(key));
      }
    }
    for (Slot s : slots) {
      int n = s.p.numel();
      s.p.device().upload(read.apply("m." + s.p.name()), 0, s.m, 0, n);
      s.p.device().upload(read.apply("v." + s.p.name()), 0, s.v, 0, n);
    }
    step = stepCount;
  }

  /** Frees the moment buffers. */
  @Override
  public void close() {
    for (Slot s : slots) {
      s.m.close();
      s.v.close();
    }
    slots.clear();
  }
}
