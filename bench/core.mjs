// Benchmarks the core: median time to validate the spec's spec-example.json from its text, and
// the module's size. Runs under Node and Deno: `npm run bench:core` runs both.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wasmPath = join(root, "dist/capsa-core.wasm");
const bytes = readFileSync(wasmPath);
const example = join(root, "..", "shared/runtime-spec/schema/test/config/good/spec-example.json");
let text;
try {
  text = readFileSync(example, "utf8");
} catch {
  text = readFileSync(join(root, "test/fixtures/configs/spec-example.json"), "utf8");
}
const runtime = globalThis.Deno ? `deno ${globalThis.Deno.version.deno}` : `node ${process.version}`;

const t0 = performance.now();
const { instance } = await WebAssembly.instantiate(bytes, {});
const tInst = performance.now() - t0;
const x = instance.exports;
const input = new TextEncoder().encode(text);

function validateOnce() {
  const p = x.alloc(input.length);
  new Uint8Array(x.memory.buffer, p, input.length).set(input);
  const st = x.validate(p, input.length);
  x.dealloc(p);
  return st;
}

for (let i = 0; i < 2000; i++) validateOnce(); // warm-up
const samples = [];
const batch = 50;
for (let r = 0; r < 200; r++) {
  const s = performance.now();
  for (let i = 0; i < batch; i++) validateOnce();
  samples.push(((performance.now() - s) * 1000) / batch);
}
samples.sort((a, b) => a - b);
const med = samples[samples.length >> 1];
const out = new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.out_ptr(), x.out_len()));
const res = JSON.parse(out);
console.log(`${runtime}: validate spec-example.json (${input.length} bytes): median ${med.toFixed(1)} µs ` +
  `(min ${samples[0].toFixed(1)}, max ${samples[samples.length - 1].toFixed(1)}); ` +
  `valid=${res.valid} diagnostics=${res.diagnostics.length}; module ${(bytes.length / 1024).toFixed(1)} KiB; ` +
  `compile+instantiate ${tInst.toFixed(2)} ms`);
