package org.research4j.tensor;

import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * A named, trainable tensor: float32 values and a gradient buffer of the same size, both owned
 * until {@link #close()}. Backward passes accumulate into the gradient; {@link #zeroGrad()} clears
 * it between optimiser steps.
 */
public final class Parameter extends Tensor {

  private Parameter(Storage storage, int[] shape) {
    super(storage, shape);
  }

  /** A parameter holding a copy of {@code data}. */
  public static Parameter of(Kernels kernels, String name, float[] data, int... shape) {
    checkLength("Parameter.of " + name, data.length, shape);
    Parameter p = zeros(kernels, name, shape);
    kernels.upload(data, 0, p.buf(), 0, data.length);
    return p;
  }

  /** A zero-filled parameter (to be loaded from a checkpoint or initialised with copyFrom). */
  public static Parameter zeros(Kernels kernels, String name, int... shape) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a parameter needs a name (for checkpoints and errors)");
    }
    int n = Math.max(Shapes.numel(shape), 1);
    Storage s = new Storage(kernels, Buf.Type.F32, kernels.allocF32(n), null);
    s.grad = kernels.allocF32(n);
    s.name = name;
    s.requiresGrad = true;
    return new Parameter(s, shape);
  }

  /**
   * A frozen parameter: zero-filled values of {@code dtype} (F32, BF16, or I8 for a matrix) and no
   * gradient buffer, so it costs its values only. Ops read it like any parameter but no gradient
   * flows to it; a BF16 one is read widened to float32, an I8 one (int8 with a float32 scale per
   * row, see {@code Int8}) dequantized to float32, by the kernels that accept them ({@code
   * Ops.linear}, {@code Ops.embedding}). For inference-only models and the frozen reference of
   * GRPO.
   */
  public static Parameter frozen(Kernels kernels, String name, Buf.Type dtype, int... shape) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a parameter needs a name (for checkpoints and errors)");
    }
    int n = Math.max(Shapes.numel(shape), 1);
    Buf data =
        switch (dtype) {
          case F32 -> kernels.allocF32(n);
          // A matrix lets the device pick its layout (the CPU: groups of rows column by column).
          case BF16 ->
              shape.length == 2 && shape[0] > 0 && shape[1] > 0
                  ? kernels.allocBf16Matrix(shape[0], shape[1])
                  : kernels.allocBf16(n);
          case I8 -> {
            if (shape.length != 2) {
              throw new IllegalArgumentException(
                  "parameter "
                      + name
                      + ": an I8 parameter is a matrix with a scale per row, got shape "
                      + Shapes.str(shape));
            }
            yield kernels.allocInt8Matrix(shape[0], shape[1]);
          }
          case I32 -> throw new IllegalArgumentException("parameter " + name + " cannot be I32");
        };
    Storage s = new Storage(kernels, dtype, data, null);
    s.name = name;
    return new Parameter(s, shape);
  }

  /** Whether this parameter is frozen (made by {@link #frozen}: no gradient). */
  public boolean frozen() {
    return !requiresGrad();
  }

  /** Sets the gradient to zero; a frozen parameter has none, and nothing happens. */
  public void zeroGrad() {
    if (gradBuf() != null) device().fill(gradBuf(), 0, numel(), 0f);
  }

  @Override
  public Parameter named(String name) {
    super.named(name);
    return this;
  }
}
