package org.research4j.grpo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.research4j.transformer.checkpoint.GenerationConfig;
import org.research4j.transformer.checkpoint.Qwen2Config;
import org.research4j.transformer.tokenizer.ChatTemplate;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Where a checkpoint's responses end: the config's and generation config's EOS ids, and the ChatML
 * end of turn and end of text where the tokenizer has them (an instruct model ends its turn with
 * the first, a base model its text with the second).
 */
final class StopTokens {
  private StopTokens() {}

  static Set<Integer> of(Path modelDir, Qwen2Config config, Tokenizer tok) throws IOException {
    Set<Integer> ids = new LinkedHashSet<>(config.eosTokenIds());
    Path gen = modelDir.resolve("generation_config.json");
    if (Files.exists(gen)) ids.addAll(GenerationConfig.read(gen).eosTokenIds());
    for (String t : List.of(ChatTemplate.IM_END, "<|endoftext|>")) {
      if (tok.findId(t) >= 0) ids.add(tok.findId(t));
    }
    if (ids.isEmpty()) {
      throw new IllegalArgumentException(
          modelDir
              + ": no eos_token_id in config.json or"
              + " generation_config.json, and the tokenizer has neither <|im_end|> nor <|endoftext|>:"
              + " responses could never end");
    }
    return ids;
  }
}
