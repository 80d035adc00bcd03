package org.research4j.tensor;

import java.util.ArrayList;
import java.util.List;
import org.research4j.kernels.Buf;
import org.research4j.kernels.Kernels;

/**
 * Reverse-mode autograd for one device: records each op run through {@link #ops()} together with
 * its backward, then {@link #backward(Tensor)} runs the backwards newest first. Backward kernels
 * accumulate ({@code +=}) into gradient buffers, so a tensor used by several ops gets the sum of
 * their gradients without extra bookkeeping.
 *
 * <p>The tape also owns the memory of activations: every op output, its gradient and every
 * temporary comes from a pool and goes back to it at {@link #reset()}. One training step is
 * therefore {@code reset(); forward; backward(loss); clip; optimiser step}, and after the first
 * step a loop with repeating shapes allocates no device memory.
 *
 * <p>{@link #noGrad()} opens a scope in which ops record nothing (generation, old-policy and
 * reference log-probs). A tape is single-threaded.
 *
 * <p>The NaN/Inf debug check ({@link #setNanCheck}, or {@code -Dresearch4j.debug.nan=true}, or
 * {@code RESEARCH4J_DEBUG_NAN=1}) makes every op count non-finite values in its output, and every
 * backward in the gradients it produced, and throws {@link NonFiniteException} naming the first
 * offender. It synchronises with the device after every op, so it is for debugging only.
 */
public final class Tape implements AutoCloseable {
  private static volatile boolean nanCheck = nanCheckFromEnvironment();

  private final Kernels kernels;
  private final BufferPool pool;
  private final Ops ops;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Storage> lent = new ArrayList<>();
  private final List<Buf> scratch = new ArrayList<>();
  private int opCount;
  private int noGradDepth;
  private boolean backwardDone;
  private boolean closed;

  /** An op as recorded: its output, its inputs and the closure that runs its backward kernels. */
  private record Node(int index, String op, Tensor output, Tensor[] inputs, Runnable backward) {}

  public Tape(Kernels kernels) {
    this.kernels = kernels;
    this.pool = new BufferPool(kernels);
    this.ops = new Ops(this);
  }

  public Kernels kernels() {
    return kernels;
  }

  /** The ops that record on this tape. */
  public Ops ops() {
    return ops;
  }

  // ---------------------------------------------------------------------------------------------
  // Debug switch.

  /** Turns the NaN/Inf check of every op on or off, for all tapes. */
  public static void setNanCheck(boolean on) {
    nanCheck = on;
  }

  public static boolean nanCheck() {
    return nanCheck;
  }

  private static boolean nanCheckFromEnvironment() {
    String env = System.getenv("RESEARCH4J_DEBUG_NAN");
    return Boolean.getBoolean("research4j.debug.nan")
        || "1".equals(env)
        || "true".equalsIgnoreCase(env);
  }

  // ---------------------------------------------------------------------------------------------
  // Grad mode.

  /** A scope in which ops record nothing; close it (try-with-resources) to resume recording. */
  public NoGrad noGrad() {
    checkOpen();
    noGradDepth++;
    return new NoGrad();
  }

  /** Scope returned by {@link #noGrad()}. */
  public final class NoGrad implements AutoCloseable {
    private boolean closed;

    private NoGrad() {}

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      noGradDepth--;
    }
  }

  /** Whether ops run now are recorded (outside every {@link #noGrad()} scope). */
  public boolean recording() {
    return noGradDepth == 0;
  }

  /** Whether an op over {@code inputs} run now would be recorded. */
  public boolean needsGrad(Tensor... inputs) {
    if (!recording()) return false;
    for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Activation memory (released at reset).

  /** An uninitialised float tensor from the pool, for an op's output. */
  public Tensor allocate(int... shape) {
    return lend(Buf.Type.F32, shape);
  }

  /** An uninitialised int tensor from the pool. */
  public Tensor allocateInt(int... shape) {
    return lend(Buf.Type.I32, shape);
  }

  /** A zero-filled float tensor from the pool. */
  public Tensor zeros(int... shape) {
    Tensor t = allocate(shape);
    kernels.fill(t.buf(), 0, t.numel(), 0f);
    return t;
  }

  /** A float tensor from the pool holding a copy of {@code data} (a batch input, a mask). */
  public Tensor tensor(float[] data, int... shape) {
    Tensor.checkLength("Tape.tensor", data.length, shape);
    Tensor t = allocate(shape);
    kernels.upload(data, 0, t.buf(), 0, data.length);
    return t;
  }

  /** An int tensor from the pool holding a copy of {@code data} (token ids, positions, targets). */
  public Tensor ints(int[] data, int... shape) {
    Tensor.checkLength("Tape.ints", data.length, shape);
    Tensor t = allocateInt(shape);
    kernels.upload(data, 0, t.buf(), 0, data.length);
    return t;
  }

  private Tensor lend(Buf.Type type, int[] shape) {
    checkOpen();
    int n = Shapes.numel(shape);
    Storage s = new Storage(kernels, type, pool.acquire(type, n), this);
    lent.add(s);
    return new Tensor(s, shape);
  }

  void releaseEarly(Tensor t) {
    if (t.storage.pinned) {
      throw new IllegalStateException(
          "cannot close "
              + t
              + ": an op recorded on the tape still needs it for backward; it is released by"
              + " Tape.reset()");
    }
    t.storage.release(pool);
  }

  /** Device allocations this tape's pool has made (constant in a steady-state loop). */
  public long deviceAllocations() {
    return pool.allocations();
  }

  // ---------------------------------------------------------------------------------------------
  // Recording.

  /**
   * Finishes an op whose forward kernels have run: numbers it, runs the NaN/Inf check on {@code
   * output}, and, when recording and some input requires grad, records {@code backward} and marks
   * {@code output} as requiring grad. This is the extension point for custom ops: {@code backward}
   * reads the output gradient with {@link #grad(Tensor)} and accumulates into {@code grad(input)}.
   */
  public Tensor record(String op, Tensor output, Tensor[] inputs, Runnable backward) {
    int index = ++opCount;
    if (nanCheck) {
      int bad = kernels.countNonFinite(output.buf(), output.numel());
      if (bad > 0) {
        throw new NonFiniteException(
            "op "
                + op
                + " (#"
                + index
                + " on the tape) produced "
                + bad
                + " non-finite values in its output "
                + Shapes.str(output.shape()),
            op,
            index,
            bad);
      }
    }
    if (needsGrad(inputs)) {
      if (backwardDone) {
        throw new IllegalStateException(
            "op " + op + " recorded after backward(); call reset() before the next step");
      }
      output.storage.requiresGrad = true;
      pin(output);
      for (Tensor t : inputs) pin(t);
      nodes.add(new Node(index, op, output, inputs.clone(), backward));
    }
    return output;
  }

  private static void pin(Tensor t) {
    if (t.storage.tape != null) t.storage.pinned = true;
  }

  /** Number of ops recorded since the last reset (those that will run a backward). */
  public int recordedOps() {
    return nodes.size();
  }

  /**
   * The gradient buffer of {@code t} for a backward to read or accumulate into: its own (allocated
   * and zeroed on first use) when it requires grad, else a scratch buffer whose contents are thrown
   * away (for fused backward kernels that always write every input's gradient).
   */
  public Buf grad(Tensor t) {
    Storage s = t.storage;
    if (!s.requiresGrad) {
      Buf b = pool.acquire(Buf.Type.F32, t.numel());
      scratch.add(b);
      return b;
    }
    t.buf();
    if (s.grad == null) {
      s.grad = pool.acquire(Buf.Type.F32, s.data(t).length());
      kernels.fill(s.grad, 0, s.grad.length(), 0f);
    }
    return s.grad;
  }

  // ---------------------------------------------------------------------------------------------
  // Backward and reset.

  /**
   * Seeds {@code d loss = 1} and runs every recorded backward newest first, accumulating into the
   * gradients of parameters (and of activations on the way). Ops whose output no gradient reached
   * are skipped. Runs once per step; {@link #reset()} before recording the next.
   */
  public void backward(Tensor loss) {
    checkOpen();
    if (loss.numel() != 1) {
      throw new IllegalArgumentException(
          "backward: the loss must have one element but " + loss + " has " + loss.numel());
    }
    if (!loss.requiresGrad() || loss.storage.tape != this) {
      throw new IllegalArgumentException(
          "backward: "
              + loss
              + " was not computed on this tape from a tensor that requires grad (was it computed"
              + " under noGrad(), or from constants only?)");
    }
    if (backwardDone) {
      throw new IllegalStateException("backward already ran on this tape; call reset() first");
    }
    backwardDone = true;
    kernels.fill(grad(loss), 0, 1, 1f);
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node node = nodes.get(i);
      if (node.output.storage.grad == null) continue;
      node.backward.run();
      if (nanCheck) checkGradients(node);
    }
    for (Buf b : scratch) pool.release(b);
    scratch.clear();
  }

  private void checkGradients(Node node) {
    for (int j = 0; j < node.inputs.length; j++) {
      Tensor in = node.inputs[j];
      if (!in.requiresGrad() || in.storage.grad == null) continue;
      int bad = kernels.countNonFinite(in.storage.grad, in.numel());
      if (bad > 0) {
        throw new NonFiniteException(
            "backward of op "
                + node.op
                + " (#"
                + node.index
                + " on the tape) produced "
                + bad
                + " non-finite values in the gradient of input "
                + j
                + " "
                + in,
            node.op,
            node.index,
            bad);
      }
    }
  }

  /**
   * Forgets every recorded op and returns all activation memory (values and gradients) to the pool;
   * tensors made by this tape are unusable afterwards. Parameter gradients are untouched.
   */
  public void reset() {
    for (Storage s : lent) s.release(pool);
    lent.clear();
    for (Buf b : scratch) pool.release(b);
    scratch.clear();
    nodes.clear();
    opCount = 0;
    backwardDone = false;
  }

  /** Resets and frees all pooled device memory. */
  @Override
  public void close() {
    if (closed) return;
    reset();
    pool.close();
    closed = true;
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("this tape is closed");
  }
}
