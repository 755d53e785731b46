#!/usr/bin/env node
// Runs the core's start function at build time: Binaryen's wasm-ctor-eval executes it (the static
// tables: op, syscall, errno and capability names, seccomp and mount tables) and writes the memory
// it leaves as the module's data, so instantiating dist/capsa-core.wasm only copies data in place
// of running that code at each start of the runtime. asc exports the start function as `_start`
// for this (core/asconfig.json: exportStart); once evaluated it is gone, and the module is again
// one that runs nothing on instantiation and imports nothing (core/ABI.md). The build fails
// rather than leave a `_start` the hosts would have to call.
//   node scripts/snapshot-core.mjs [dist/capsa-core.wasm]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wasm = process.argv[2] ?? join(root, "dist/capsa-core.wasm");
const tool = join(dirname(createRequire(import.meta.url).resolve("binaryen/package.json")), "bin", "wasm-ctor-eval");
const r = spawnSync(process.execPath, [tool, wasm, "--all-features", "--ctors=_start", "-o", wasm], { encoding: "utf8" });
const said = `${r.stdout ?? ""}${r.stderr ?? ""}`;
const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasm))).map((e) => e.name);
if (r.status !== 0 || !/success on _start/.test(said) || exports.includes("_start")) {
  console.error(`snapshot-core: the start function of ${wasm} could not be evaluated at build time:\n${said.trim()}`);
  process.exit(1);
}
