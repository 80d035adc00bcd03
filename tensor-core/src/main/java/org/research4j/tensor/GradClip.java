package org.research4j.tensor;

import org.research4j.kernels.Buf;

/**
 * Global gradient-norm clipping with {@code torch.nn.utils.clip_grad_norm_} semantics: the norm is
 * the 2-norm of all gradients taken together, the coefficient {@code maxNorm / (norm + 1e-6)}
 * clamped at 1.
 */
public final class GradClip {
  private GradClip() {}

  /** The 2-norm of all gradients together, summed in double. */
  public static double globalNorm(Iterable<? extends Tensor> params) {
    double ss = 0;
    for (Tensor p : params) {
      Buf g = p.gradBuf();
      if (g != null) ss += p.device().sumSquares(g, p.numel());
    }
    return Math.sqrt(ss);
  }

  /**
   * The factor gradients are multiplied by: {@code min(1, maxNorm / (norm + 1e-6))}; NaN when the
   * norm is (PyTorch's default, {@code error_if_nonfinite=False}).
   */
  public static float coefficient(double norm, double maxNorm) {
    return (float) Math.min(1.0, maxNorm / (norm + 1e-6));
  }

  /**
   * Scales the gradients in place so that their global norm is at most {@code maxNorm}; returns the
   * norm before clipping (what training logs report).
   */
  public static double clipGlobalNorm(Iterable<? extends Tensor> params, double maxNorm) {
    double norm = globalNorm(params);
    float coef = coefficient(norm, maxNorm);
    if (coef != 1f) {
      for (Tensor p : params) {
        Buf g = p.gradBuf();
        if (g != null) p.device().scale(g, coef, p.numel());
      }
    }
    return norm;
  }
}
