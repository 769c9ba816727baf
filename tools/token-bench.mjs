#!/usr/bin/env node
// node tools/token-bench.mjs FILE ENCODING: js-tiktoken's side of
// `tools/bench tokens`. Tokenizes every line of FILE and prints
// "bytes tokens seconds" for the tokenizing alone, like airlock-tokens-bench.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

const [file, encodingName] = process.argv.slice(2);
const npmDir = process.env.AIRLOCK_NPM_DIR ?? join(homedir(), ".cache/airlock/npm");
const require = createRequire(join(npmDir, "node_modules/"));
const { Tiktoken } = require("js-tiktoken/lite");
const encoding = new Tiktoken(require(`js-tiktoken/ranks/${encodingName}`));

const bytes = readFileSync(file);
const lines = bytes.toString("utf8").split("\n");
const start = process.hrtime.bigint();
let tokens = 0;
for (const line of lines) tokens += encoding.encode(line, [], []).length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${bytes.length} ${tokens} ${seconds.toFixed(3)}`);
