#!/usr/bin/env node
// Makes fixtures/tokens/golden.jsonl: varied strings and their token ids under
// o200k_base and cl100k_base, as js-tiktoken encodes them. Run once, by hand,
// after tools/setup has installed js-tiktoken; tests/tokens_test.cpp checks
// airlock's tokenizer against every line. The strings come from a seeded
// generator, so running it again gives the same file.
//
//   node tools/token-golden.mjs > fixtures/tokens/golden.jsonl
//
// Each line: {"text": "...", "o200k_base": [ids], "cl100k_base": [ids]}.
// Special-token text ("<|endoftext|>") is encoded as ordinary text, the way
// airlock counts it.
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

const npmDir = process.env.AIRLOCK_NPM_DIR ?? join(homedir(), ".cache/airlock/npm");
const require = createRequire(join(npmDir, "node_modules/"));
const { Tiktoken } = require("js-tiktoken/lite");
const encodings = {
  o200k_base: new Tiktoken(require("js-tiktoken/ranks/o200k_base")),
  cl100k_base: new Tiktoken(require("js-tiktoken/ranks/cl100k_base")),
};

// mulberry32: small, seeded, the same on every machine.
let seed = 0x2a1f0c;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const between = (low, high) => low + Math.floor(random() * (high - low + 1));
const repeat = (make, count) => Array.from({ length: count }, make).join("");
const fromRange = ([low, high]) => String.fromCodePoint(between(low, high));

const english = `The quick brown fox jumps over the lazy dog. It's what they're saying: we've
got to ship it, and I'll tell you why. DON'T PANIC! She'd said "hello" (twice). Mr. O'Neil's
car isn't here; you'd better call 555-0134 or e-mail ops@example.com before 9:30am on 2024-08-06.`
  .split(/\s+/);
const code = [
  "def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in text]\n",
  "for (size_t i = 0; i < n; ++i) { sum += values[i] * 2; }",
  'const url = "https://api.example.com/v1/files?purpose=fine-tune";',
  "SELECT id, name FROM users WHERE created_at >= '2024-01-01' ORDER BY id DESC;",
  "#include <vector>\n\nint main() {\n\treturn 0;\n}\n",
  '{"messages": [{"role": "user", "content": "Hi"}]}',
  "if x != nil && len(x) > 0 {\n\t\tfmt.Println(x)\n\t}",
  "a/b//c///d\\e\\\\f :: <|endoftext|> ==> !== <=> ... ???",
  "    indented();\r\n\r\n    more();\r\n",
  "s/\\s+$//g; echo $HOME | tr a-z A-Z",
];
const ranges = {
  cjk: [0x4e00, 0x9fff],
  hiragana: [0x3041, 0x3096],
  katakana: [0x30a1, 0x30fa],
  hangul: [0xac00, 0xd7a3],
  cyrillic: [0x0410, 0x044f],
  greek: [0x0391, 0x03c9],
  arabic: [0x0621, 0x064a],
  hebrew: [0x05d0, 0x05ea],
  devanagari: [0x0905, 0x0939],
  thai: [0x0e01, 0x0e30],
  latinExtended: [0x00c0, 0x024f],
  emoji: [0x1f300, 0x1f64f],
  emoji2: [0x1f900, 0x1f9ff],
  combining: [0x0300, 0x036f],
  privateUse: [0xe000, 0xf8ff],
  supplementaryPrivate: [0xf0000, 0xf00ff],
  math: [0x1d400, 0x1d7ff],
  digitsOther: [0x0660, 0x0669],
  fullwidth: [0xff01, 0xff5e],
  symbols: [0x2190, 0x23ff],
  letterlike: [0x2100, 0x214f],
  numberForms: [0x2150, 0x218b],
};
const specials = [
  "\ufffd", "\ufffe", "\uffff", "\u{10ffff}", "\u{1fffe}", "\ufdd0", "\u00a0", "\u2028", "\u2029",
  "\u3000", "\u200b", "\u200d", "\ufeff", "\u0085", "\u202f", "\u1680", "\u000b", "\u000c",
  "\u01c5", "\u02b0", "\u0903", "\u20dd", "\u017f", "\u212a", "\u0130", "\u00df",
];
const whitespace = [" ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", " \n ", "\u00a0", "\u3000"];
const contractions = ["'s", "'S", "'t", "'T", "'re", "'rE", "'Re", "'RE", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'lL", "'d", "'D", "'x", "'", "''s"];
const punctuation = ["!", "?", ".", ",", ";", ":", "-", "--", "...", "/", "//", "(", ")", "[", "]", "{", "}", "\"", "'", "`", "@", "#", "$", "%", "^", "&", "*", "_", "+", "=", "<", ">", "|", "~", "\\"];

const makers = {
  english: () => repeat(() => pick(english) + pick([" ", " ", " ", "\n", ", ", ". "]), between(1, 20)),
  code: () => pick(code) + (random() < 0.5 ? pick(code) : ""),
  script: () => {
    const range = ranges[pick(Object.keys(ranges))];
    return repeat(() => repeat(() => fromRange(range), between(1, 8)) + pick(["", " ", "。", ", ", "\n"]), between(1, 8));
  },
  mixed: () => repeat(() => pick([
    () => pick(english),
    () => fromRange(ranges[pick(Object.keys(ranges))]),
    () => pick(specials),
    () => pick(whitespace),
    () => pick(contractions),
    () => pick(punctuation),
    () => String(between(0, 99999)),
  ])(), between(2, 30)),
  whitespaceRuns: () => repeat(() => pick([" ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2028"]), between(1, 40)) +
    pick(["", "x", "word", "!", "1", "\u4e2d"]) + repeat(() => pick([" ", "\n"]), between(0, 20)),
  digits: () => repeat(() => String(between(0, 9)), between(1, 40)) + pick(["", " ", ".", ",", "x", "\u0663", "\u00bd", "\u2163"]) +
    repeat(() => String(between(0, 9)), between(0, 12)),
  contractions: () => repeat(() => pick(english).replace(/[^A-Za-z]/g, "") + pick(contractions) + pick(["", " ", "x", "\u00e9", "'"]), between(1, 6)),
  combining: () => repeat(() => pick(["a", "e", "O", "\u4e2d", " ", "'", "1", ""]) + repeat(() => fromRange(ranges.combining), between(1, 4)), between(1, 10)),
  caseMix: () => repeat(() => pick(["HTTPServer", "iPhone", "McDonald", "XMLHttpRequest", "camelCase", "ÉCOLE", "ǅungla", "ʰello", "DŽ", "Σίσυφος", "ΣΊΣΥΦΟΣ", "straße", "İstanbul"]) + pick(["", " ", "'s", "'S", "."]), between(1, 6)),
  unusual: () => repeat(() => pick(specials) + pick(["", "a", " ", "1", "\n"]), between(1, 12)),
  emoji: () => repeat(() => fromRange(pick([ranges.emoji, ranges.emoji2])) + pick(["", "\u200d", "\ufe0f", " ", "\u{1f3fd}"]), between(1, 10)),
};

const fixed = [
  "", " ", "  ", "\n", " \n", "\n ", "a", "'s", " 's", "hello world", "Hello, World!", " leading", "trailing ",
  "x  y", "x   \ny", "x \t\n y", "1234567890", "12,345.678", "<|endoftext|>", "<|endofprompt|> <|fim_prefix|>",
  "don't can't won't I'm you're we've they'll he'd", "DON'T CAN'T I'M", "path/to/file\n/next", "!!!\n\n\n///",
  " ".repeat(100), "\n".repeat(50), " \t".repeat(64) + "end", "a".repeat(300), "9".repeat(200),
  "\u4e2d\u6587\u5b57\u7b26\u4e32\u6d4b\u8bd5", "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466}", "e\u0301\u0301\u0301",
  "\u0301leading mark", "x\u0301'S", "ABC\u0301def", "\ufffd\ufffd", "ſ's K't", "\u2163\u2164 roman",
];

const strings = [...fixed];
const kinds = Object.keys(makers);
while (strings.length < 2400) strings.push(makers[kinds[strings.length % kinds.length]]());
// A few long texts, so pieces cross any internal buffer size.
for (let i = 0; i < 4; ++i) strings.push(repeat(() => makers[pick(kinds)](), 60));

for (const text of strings) {
  const line = { text };
  for (const [name, encoding] of Object.entries(encodings)) line[name] = encoding.encode(text, [], []);
  process.stdout.write(JSON.stringify(line) + "\n");
}
