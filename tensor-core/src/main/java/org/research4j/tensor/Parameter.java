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

  /** Sets the gradient to zero. */
  public void zeroGrad() {
    device().fill(gradBuf(), 0, numel(), 0f);
  }

  @Override
  public Parameter named(String name) {
    super.named(name);
    return this;
  }
}
