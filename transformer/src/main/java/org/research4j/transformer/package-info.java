/**
 * The Qwen2-architecture decoder, its Hugging Face config and checkpoints, the byte-level BPE
 * tokenizer and batched KV-cache generation.
 */
package org.research4j.transformer;
