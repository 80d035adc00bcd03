package org.research4j.transformer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.research4j.transformer.checkpoint.AtomicFiles;

/**
 * A byte-level BPE tokenizer read from a Hugging Face {@code tokenizer.json}, encoding and decoding
 * as Hugging Face tokenizers does for GPT-2-style and Qwen2/Qwen2.5/Qwen3 tokenizers.
 *
 * <p>Encoding, step by step as in Hugging Face: (1) the raw text is split on added tokens with
 * {@code normalized: false} (each becomes its id); (2) every remaining piece is normalized (NFC, if
 * the file says so) and split on added tokens with {@code normalized: true}; (3) the pre-tokenizer
 * cuts the text into words ({@link PreTokenizer}) and maps their UTF-8 bytes to byte characters;
 * (4) BPE merges each word. No BOS/EOS is added: Qwen's post-processor adds none.
 *
 * <p>Decoding concatenates the bytes of the tokens and reads them as UTF-8, replacing invalid
 * sequences with U+FFFD (so a multi-byte character split across tokens decodes whole once all its
 * tokens are there); added tokens contribute their text. Ids that no token has (the padding rows of
 * a model's larger embedding) are skipped, as Hugging Face does.
 *
 * <p>Supported tokenizer.json components: model {@code BPE} (no dropout, no byte fallback, no
 * subword prefix/suffix); normalizer none or {@code NFC}; pre-tokenizer {@code ByteLevel}, or a
 * {@code Sequence} of {@code Split} (Isolated) ending in {@code ByteLevel}; decoder {@code
 * ByteLevel}; post-processor none or {@code ByteLevel}. Anything else is refused by name.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Tokenizer {
  /**
   * The tokenizer.json bytes, kept rather than the parsed tree, which would hold ~10x the memory.
   */
  private final byte[] json;

  private final Bpe bpe;
  private final PreTokenizer preTokenizer;
  private final boolean nfc;
  private final List<AddedToken> addedTokens;
  private final Map<Integer, AddedToken> addedById;
  private final Map<String, AddedToken> addedByContent;
  private final AddedVocabulary rawAdded;
  private final AddedVocabulary normalizedAdded;
  private final int vocabSize;

  /** A tokenizer as {@link TokenizerJson} read it; {@code json} is the file's bytes. */
  Tokenizer(
      byte[] json, Bpe bpe, PreTokenizer preTokenizer, boolean nfc, List<AddedToken> addedTokens) {
    this.json = json;
    this.bpe = bpe;
    this.preTokenizer = preTokenizer;
    this.nfc = nfc;
    this.addedTokens = List.copyOf(addedTokens);
    Map<Integer, AddedToken> byId = new HashMap<>();
    Map<String, AddedToken> byContent = new HashMap<>();
    int max = bpe.maxId();
    for (AddedToken t : addedTokens) {
      byId.put(t.id(), t);
      byContent.put(t.content(), t);
      max = Math.max(max, t.id());
    }
    this.addedById = Collections.unmodifiableMap(byId);
    this.addedByContent = Collections.unmodifiableMap(byContent);
    this.rawAdded = new AddedVocabulary(addedTokens.stream().filter(t -> !t.normalized()).toList());
    this.normalizedAdded =
        new AddedVocabulary(addedTokens.stream().filter(AddedToken::normalized).toList());
    this.vocabSize = max + 1;
  }

  /** Reads a tokenizer.json file. */
  public static Tokenizer load(Path file) throws IOException {
    try {
      return fromJson(Files.readString(file), file.toString());
    } catch (NoSuchFileException e) {
      throw new TokenizerException(file + ": no such tokenizer.json");
    }
  }

  /** Parses tokenizer.json text; {@code where} names its source in messages. */
  public static Tokenizer fromJson(String text, String where) {
    return TokenizerJson.read(text, where);
  }

  /** Builds a tokenizer from a parsed tokenizer.json tree. */
  public static Tokenizer fromJson(JsonNode root, String where) {
    return TokenizerJson.read(root, where);
  }

  /**
   * Token ids of {@code text}, added and special tokens in it recognised (Hugging Face's {@code
   * encode}).
   */
  public int[] encode(String text) {
    return encode(text, false);
  }

  /**
   * Token ids of {@code text}. With {@code splitSpecialTokens} true, special tokens written in the
   * text are encoded as ordinary text (Hugging Face's {@code split_special_tokens}): use it for
   * untrusted text such as retrieved passages, so "&lt;|im_end|&gt;" in a document cannot end a
   * turn. Non-special added tokens ({@code <think>}) are still matched.
   */
  public int[] encode(String text, boolean splitSpecialTokens) {
    IntArrayList ids = new IntArrayList(text.length() / 3 + 4);
    if (rawAdded.isEmpty()) {
      encodeNormalizing(text, splitSpecialTokens, ids);
    } else {
      for (AddedVocabulary.Piece p : rawAdded.split(text, splitSpecialTokens)) {
        if (p.token() != null) {
          ids.add(p.token().id());
        } else {
          encodeNormalizing(p.text(), splitSpecialTokens, ids);
        }
      }
    }
    return ids.toIntArray();
  }

  private void encodeNormalizing(String text, boolean splitSpecialTokens, IntArrayList ids) {
    String norm = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
    if (normalizedAdded.isEmpty()) {
      encodeWords(norm, ids);
      return;
    }
    for (AddedVocabulary.Piece p : normalizedAdded.split(norm, splitSpecialTokens)) {
      if (p.token() != null) {
        ids.add(p.token().id());
      } else {
        encodeWords(p.text(), ids);
      }
    }
  }

  private void encodeWords(String text, IntArrayList ids) {
    preTokenizer.split(text, word -> ids.addElements(ids.size(), bpe.encodeWord(word)));
  }

  /**
   * The text of {@code ids}, special tokens included (Hugging Face's {@code decode} default in
   * transformers).
   */
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  /**
   * The text of {@code ids}; {@code skipSpecialTokens} leaves out special (not other added) tokens.
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    StringBuilder sb = new StringBuilder();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int id : ids) {
      AddedToken a = addedById.get(id);
      if (a != null) {
        if (!(skipSpecialTokens && a.special())) {
          sb.append(bytes.toString(StandardCharsets.UTF_8));
          bytes.reset();
          sb.append(a.content());
        }
        continue;
      }
      String t = bpe.token(id);
      if (t != null) {
        ByteLevel.appendBytes(t, bytes);
      }
    }
    return sb.append(bytes.toString(StandardCharsets.UTF_8)).toString();
  }

  /**
   * The raw bytes one token stands for (an added token: its UTF-8 text; an unknown id: none). A
   * token may hold part of a multi-byte character, so streaming output should collect bytes and
   * decode only complete UTF-8 sequences.
   */
  public byte[] tokenBytes(int id) {
    AddedToken a = addedById.get(id);
    if (a != null) {
      return a.content().getBytes(StandardCharsets.UTF_8);
    }
    String t = bpe.token(id);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (t != null) {
      ByteLevel.appendBytes(t, out);
    }
    return out.toByteArray();
  }

  /** Number of ids, added tokens included: the highest id plus one. */
  public int vocabSize() {
    return vocabSize;
  }

  /** The id of a token (vocabulary or added); throws if it has none. */
  public int idOf(String token) {
    int id = findId(token);
    if (id < 0) {
      throw new TokenizerException("the tokenizer has no token \"" + token + "\"");
    }
    return id;
  }

  /** The id of a token (vocabulary or added), or -1. */
  public int findId(String token) {
    AddedToken a = addedByContent.get(token);
    return a != null ? a.id() : bpe.id(token);
  }

  /**
   * The token string of an id (byte characters for vocabulary tokens), or null if no token has it.
   */
  public String token(int id) {
    AddedToken a = addedById.get(id);
    return a != null ? a.content() : bpe.token(id);
  }

  /** Whether the id is a special added token. */
  public boolean isSpecial(int id) {
    AddedToken a = addedById.get(id);
    return a != null && a.special();
  }

  /** The added tokens, in file order. */
  public List<AddedToken> addedTokens() {
    return addedTokens;
  }

  /** The pre-tokenizer, to inspect how text is cut into words. */
  public PreTokenizer preTokenizer() {
    return preTokenizer;
  }

  /** Number of merges of the BPE model. */
  public int mergeCount() {
    return bpe.merges().size();
  }

  /** The tokenizer.json text this tokenizer was read from or built as. */
  public byte[] toJsonBytes() {
    return json.clone();
  }

  /** Writes tokenizer.json atomically. */
  public void save(Path file) throws IOException {
    AtomicFiles.writeFile(file, json);
  }
}
