import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import org.research4j.kernels.cpu.CpuKernels;
import org.research4j.tensor.Tape;
import org.research4j.transformer.model.Qwen2Model;
import org.research4j.transformer.model.WeightPrecision;

/**
 * research4j's logits for the correctness check of decode_torch.py: loads MODEL with the weights
 * kept as asked (f32 or bf16), runs the token ids (comma-separated, batch 1) through {@code
 * Qwen2Model.logits} (the full causal forward, every position) and writes the logits {@code [T,
 * vocab]} as raw little-endian float32 to OUT.
 *
 * <p>Usage: java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * benchmarks/scripts/torch/JavaLogits.java MODEL IDS OUT [f32|bf16]
 */
public class JavaLogits {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int[] ids = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
    WeightPrecision precision = WeightPrecision.parse(args.length > 3 ? args[3] : "f32");
    float[] logits;
    try (Qwen2Model model = Qwen2Model.load(new CpuKernels(), dir, precision);
        Tape tape = new Tape(model.kernels())) {
      logits = model.logits(tape.ops(), tape.ints(ids, 1, ids.length)).toFloatArray();
    }
    ByteBuffer buf = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(logits);
    try (DataOutputStream out = new DataOutputStream(new FileOutputStream(args[2]))) {
      out.write(buf.array());
    }
    System.out.printf(
        "java logits: %d positions x %d, weights %s%n",
        ids.length, logits.length / ids.length, precision);
  }
}
