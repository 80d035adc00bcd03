/**
 * The Qwen2 decoder ({@link org.research4j.transformer.model.Qwen2Model}) and its KV cache.
 *
 * <p>The model is a set of named parameters plus one forward pass written with tensor-core ops, so
 * training (forward, loss, backward through the tape) and inference (the same pass over a {@link
 * org.research4j.transformer.model.KvCache}) share every line and run on any device. Weights load
 * from and save to Hugging Face model directories by their HF tensor names; the PyTorch reference
 * in {@code tools/pytorch} checks logits, loss and every gradient against float64 PyTorch.
 */
package org.research4j.transformer.model;
