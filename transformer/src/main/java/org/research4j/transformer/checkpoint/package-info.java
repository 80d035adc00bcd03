/**
 * Hugging Face model directories: {@code config.json} ({@link
 * org.research4j.transformer.checkpoint.Qwen2Config}), {@code generation_config.json} ({@link
 * org.research4j.transformer.checkpoint.GenerationConfig}) and weights in the safetensors format,
 * single-file or sharded through {@code model.safetensors.index.json}.
 *
 * <p>Reading: {@link org.research4j.transformer.checkpoint.Checkpoint#open} gives the config and
 * every tensor by its HF name (for example {@code model.layers.0.self_attn.q_proj.weight}),
 * memory-mapped and converted to float32 on request from F32, BF16 or F16. Writing: {@link
 * org.research4j.transformer.checkpoint.CheckpointWriter#write} saves a whole directory atomically
 * (written beside the target, fsynced, then renamed in), so an interrupted save never leaves a
 * directory that looks complete but is not.
 *
 * <p>Format problems are reported as {@link
 * org.research4j.transformer.checkpoint.CheckpointException} naming the file and what to do.
 */
package org.research4j.transformer.checkpoint;
