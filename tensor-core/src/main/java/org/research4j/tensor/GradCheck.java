package org.research4j.tensor;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.research4j.kernels.Kernels;

/**
 * Finite-difference gradient checking of anything built from ops.
 *
 * <p>The output {@code y = f(...)} of any shape is reduced to a scalar {@code L = sum_i w_i y_i}
 * with fixed random weights {@code w_i} in {@code [-1, 1)}, so that every output element, and every
 * path through the backward, contributes with a different weight (a plain sum would hide errors
 * that cancel, e.g. in softmax). The analytic gradient comes from one backward pass of {@code L}.
 * For each checked input element {@code x_j} the central difference {@code (L(x_j + h) - L(x_j -
 * h)) / 2h} is formed with {@code L} summed in double on the host from the float32 outputs, and
 * with the steps actually taken after rounding {@code x_j ± h} to float32.
 *
 * <p>An element passes when {@code |num - ana| <= atol + rtol * max(|num|, |ana|) + noise}. Why
 * these terms and the defaults ({@code h = 1e-2}, {@code rtol = 1e-2}, {@code atol = 1e-5}): the
 * kernels compute in float32, so {@code L} carries a rounding error of a few units of {@code 2^-24}
 * times {@code S = sum|w y|}; the difference quotient divides it by {@code 2h}, hence the noise
 * floor {@code noise = 8 * 2^-24 * S / h}, computed from the actual output so that large outputs
 * get the slack they need and small ones none. The truncation error of the central difference is
 * {@code O(h^2 f''')}, about {@code 1e-4} relative for smooth functions of {@code O(1)} inputs,
 * which {@code rtol} covers a hundredfold. A wrong backward (a missing term, a transposed index, a
 * wrong factor) is off by far more. Smaller {@code h} drowns in float32 rounding, larger in
 * truncation. Inputs near a kink (a clip boundary, a max) must be avoided by the caller.
 */
public final class GradCheck {
  private GradCheck() {}

  /**
   * {@code h} the step, {@code rtol}/{@code atol} the tolerance, at most {@code maxPerInput}
   * elements per input (a seeded sample beyond that), {@code seed} for the weights and the sample.
   */
  public record Config(double h, double rtol, double atol, int maxPerInput, long seed) {
    public static Config of(long seed) {
      return new Config(1e-2, 1e-2, 1e-5, 48, seed);
    }

    public Config withTolerance(double rtol, double atol) {
      return new Config(h, rtol, atol, maxPerInput, seed);
    }

    public Config withH(double h) {
      return new Config(h, rtol, atol, maxPerInput, seed);
    }
  }

  /**
   * Outcome: whether every checked element passed, how many were checked, and the worst element
   * ({@code worstRatio} its error over its tolerance; above 1 fails).
   */
  public record Result(boolean ok, int checked, double worstRatio, String worst) {
    @Override
    public String toString() {
      return (ok ? "gradcheck passed" : "gradcheck FAILED")
          + " ("
          + checked
          + " elements); worst: "
          + worst;
    }
  }

  /**
   * Checks the gradients of {@code f} with respect to {@code wrt}. {@code f} builds its output on
   * the ops it is given and is called many times (once with gradients, then twice per checked
   * element without), so it must be deterministic and create any tape tensors it needs itself.
   * Parameters are restored afterwards and hold the analytic gradient.
   */
  public static Result check(
      Kernels kernels, List<? extends Parameter> wrt, Function<Ops, Tensor> f, Config config) {
    try (Tape tape = new Tape(kernels)) {
      Ops ops = tape.ops();
      for (Parameter p : wrt) p.zeroGrad();
      Tensor out = f.apply(ops);
      Random rnd = new Random(config.seed());
      float[] w = new float[out.numel()];
      for (int i = 0; i < w.length; i++) w[i] = (float) (2 * rnd.nextDouble() - 1);
      double noise = 0;
      float[] y0 = out.toFloatArray();
      for (int i = 0; i < w.length; i++) noise += Math.abs((double) w[i] * y0[i]);
      noise *= 8 * 0x1p-24 / config.h();
      Tensor loss = ops.sum(ops.mul(out, tape.tensor(w, out.shape())));
      if (!loss.requiresGrad()) {
        throw new IllegalArgumentException(
            "GradCheck: f's output does not depend on any tensor that requires grad");
      }
      tape.backward(loss);

      int checked = 0;
      double worstRatio = 0;
      String worst = "none";
      for (Parameter p : wrt) {
        float[] analytic = p.gradToFloatArray();
        float[] x0 = p.toFloatArray();
        for (int j : sample(x0.length, config.maxPerInput(), rnd)) {
          float[] x = x0.clone();
          x[j] = (float) (x0[j] + config.h());
          double up = (double) x[j] - x0[j];
          double lossUp = weightedSum(tape, f, p, x, w);
          x[j] = (float) (x0[j] - config.h());
          double down = (double) x0[j] - x[j];
          double lossDown = weightedSum(tape, f, p, x, w);
          p.copyFrom(x0);

          double num = (lossUp - lossDown) / (up + down);
          double ana = analytic[j];
          double tol =
              config.atol() + config.rtol() * Math.max(Math.abs(num), Math.abs(ana)) + noise;
          double ratio = Math.abs(num - ana) / tol;
          checked++;
          if (ratio >= worstRatio || checked == 1) {
            worstRatio = ratio;
            worst =
                String.format(
                    "%s[%d]: analytic %.6g, numeric %.6g, |diff| %.3g vs tolerance %.3g",
                    p, j, ana, num, Math.abs(num - ana), tol);
          }
        }
      }
      return new Result(worstRatio <= 1, checked, worstRatio, worst);
    }
  }

  private static double weightedSum(
      Tape tape, Function<Ops, Tensor> f, Parameter p, float[] x, float[] w) {
    p.copyFrom(x);
    tape.reset();
    float[] y;
    try (Tape.NoGrad ignored = tape.noGrad()) {
      y = f.apply(tape.ops()).toFloatArray();
    }
    double sum = 0;
    for (int i = 0; i < y.length; i++) sum += (double) w[i] * y[i];
    return sum;
  }

  private static int[] sample(int n, int max, Random rnd) {
    if (n <= max) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) all[i] = i;
      return all;
    }
    return rnd.ints(0, n).distinct().limit(max).sorted().toArray();
  }
}
