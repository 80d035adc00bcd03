/**
 * The kernel set: compute primitives on flat device buffers, one interface ({@link
 * org.research4j.kernels.Kernels}) with one implementation per device kind.
 *
 * <p>This package knows nothing of shapes beyond the integers each primitive takes, nothing of
 * autograd and nothing of models: it is the floor that {@code tensor-core} stands on. Every
 * primitive exists once per device (the Java CPU kernels in {@code cpu}, the OpenCL kernels in
 * {@code opencl}) and every device's kernel is tested against its CPU twin. {@link
 * org.research4j.kernels.Devices} opens the device a run computes on (an OpenCL GPU if there is
 * one, else the CPU kernels; {@code RESEARCH4J_DEVICE} or a spec forces one) and prints the choice.
 *
 * <p>The argument and shape contract of every primitive is written once, in {@link
 * org.research4j.kernels.KernelContract}: each kernel set calls it before it runs, so the same
 * misuse throws the same message on every device ({@code KernelContractTest} provokes each on the
 * CPU and on OpenCL and compares).
 *
 * <p>Conventions shared by all primitives:
 *
 * <ul>
 *   <li>Layouts are row-major. Activations of a sequence batch are {@code [B, T, H, D]}, which is
 *       exactly the {@code [B*T, H*D]} output of a linear projection, so no transposes are needed
 *       between a projection and attention.
 *   <li>Backward primitives <em>accumulate</em> ({@code +=}) into gradient buffers, as in llm.c;
 *       callers zero gradients before a backward pass. A tensor used twice gets its gradients
 *       summed for free.
 *   <li>Buffers hold float32 or int32 elements ({@link org.research4j.kernels.Buf.Type}); sizes and
 *       offsets are counted in elements. Frozen weights may also be bfloat16 ({@code BF16}, the top
 *       half of a float32; host-side conversions in {@link org.research4j.kernels.Bf16}): only
 *       {@code sgemmBf16} and {@code embeddingForwardBf16} read them, widening each value exactly
 *       and accumulating in float32, so inference-only models and GRPO's reference take half the
 *       memory of float32 weights. The one exception to row-major: a bfloat16 matrix allocated with
 *       {@code allocBf16Matrix} is stored as the device prefers (grouped column by column on the
 *       CPU, so a product over few rows streams its weights and needs no horizontal sums), but is
 *       still addressed row-major by every primitive. Frozen weights may also be int8 with a
 *       float32 scale per row ({@code I8}, always a matrix from {@code allocInt8Matrix}; host-side
 *       quantization in {@link org.research4j.kernels.Int8}): only {@code sgemmInt8} and {@code
 *       embeddingForwardInt8} read them, dequantizing to float32 and accumulating in float32, at a
 *       quarter of float32's bytes.
 * </ul>
 */
package org.research4j.kernels;
