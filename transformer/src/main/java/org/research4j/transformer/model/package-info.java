/**
 * The Qwen2 decoder ({@link org.research4j.transformer.model.Qwen2Model}) and its KV cache.
 *
 * <p>The model is a set of named parameters plus one forward pass written with tensor-core ops, so
 * training (forward, loss, backward through the tape) and inference (the same pass over a {@link
 * org.research4j.transformer.model.KvCache}) share every line and run on any device. Weights load
 * from and save to Hugging Face model directories by their HF tensor names; the PyTorch reference
 * in {@code tools/pytorch} checks logits, loss and every gradient against float64 PyTorch.
 *
 * <p>A model keeps its weights as trainable float32 or, for inference only ({@link
 * org.research4j.transformer.model.WeightPrecision#BF16}: the frozen reference of GRPO, {@code
 * eval}, {@code ask}, {@code serve-model}), as frozen bfloat16 matrices read with float32
 * accumulation: a quarter of a trainable float32 model's memory (half the weights, no gradients),
 * or ({@link org.research4j.transformer.model.WeightPrecision#INT8}) as int8 matrices with a
 * float32 scale per row, half that again: the fewest bytes read per decoded token. On the CPU
 * kernels a model that cannot fit in the Java heap fails before allocating, with both sizes ({@code
 * Qwen2Model.memoryBytes}).
 */
package org.research4j.transformer.model;
