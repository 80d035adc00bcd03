/**
 * Benchmarks of the Qwen2 decoder on one fixed model, {@code BenchModel} (d=256, 4 layers, vocab
 * 4096, tied embeddings): JMH {@link org.research4j.benchmarks.transformer.TrainStepBench}
 * (training tokens/s), {@link org.research4j.benchmarks.transformer.DecodeBench} (KV-cache decode
 * tokens/s at batch 1 and 32) and {@link org.research4j.benchmarks.transformer.GrpoUpdateBench}
 * (the GRPO policy update, trained tokens/s), plus plain timing mains for the scripts in {@code
 * benchmarks/scripts} (side by side with PyTorch) and a per-kernel profile ({@link
 * org.research4j.benchmarks.transformer.KernelProfile}) that says which op a step spends its time
 * in. {@link org.research4j.benchmarks.transformer.RolloutCheckpoint} writes that model with random
 * weights and a BPE of its vocabulary trained on a generated world, in Hugging Face layout, for
 * timing {@code research train}'s rollout phase against an older build ({@code
 * benchmarks/scripts/rollout-phase.sh}).
 *
 * <p>At real size: {@link org.research4j.benchmarks.transformer.QwenShapeCheckpoint} writes the
 * Qwen2.5-0.5B or 1.5B shape with random bfloat16 weights ({@code tools/qwen-shape-checkpoint.sh}),
 * {@link org.research4j.benchmarks.transformer.RealSizeTiming} measures load time, memory, prefill
 * and decode on it ({@code benchmarks/scripts/real-size.sh}, {@code decode-vs-jlama.sh}), JMH
 * {@link org.research4j.benchmarks.transformer.RealSizeBench} times a decode step and a prefill at
 * the 0.5B and 1.5B shapes ({@code benchmarks/scripts/real-size-jmh.sh}), and {@link
 * org.research4j.benchmarks.transformer.Bf16Accuracy} measures how far bfloat16 weights move a
 * checkpoint's logits and greedy output from float32, {@link
 * org.research4j.benchmarks.transformer.Int8Accuracy} the same for int8 weights (beside bfloat16).
 */
package org.research4j.benchmarks.transformer;
