/**
 * Byte-level BPE tokenization in Hugging Face's {@code tokenizer.json} format: loading and running
 * a real Qwen2/Qwen2.5/Qwen3 tokenizer with ids identical to Hugging Face tokenizers ({@link
 * org.research4j.transformer.tokenizer.Tokenizer}), the Qwen chat formats ({@link
 * org.research4j.transformer.tokenizer.ChatTemplate}), and training a small tokenizer of the same
 * kind from a corpus ({@link org.research4j.transformer.tokenizer.BpeTrainer}). The file itself is
 * read and written in one place, {@link org.research4j.transformer.tokenizer.TokenizerJson}, so the
 * layout a trained tokenizer is saved in is the one the reader checks.
 *
 * <p>The pipeline follows Hugging Face's stages, one class each: added tokens are cut out first
 * ({@link org.research4j.transformer.tokenizer.AddedVocabulary}), the rest is NFC-normalized, split
 * into words by the pre-tokenizer regex and mapped to byte characters ({@link
 * org.research4j.transformer.tokenizer.PreTokenizer}, {@link
 * org.research4j.transformer.tokenizer.ByteLevel}), and each word is merged by BPE ranks ({@link
 * org.research4j.transformer.tokenizer.Bpe}).
 */
package org.research4j.transformer.tokenizer;
