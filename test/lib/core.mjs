// Loads dist/capsa-core.wasm with nothing but WebAssembly.instantiate and calls it through the
// ABI in core/ABI.md (UTF-8 JSON in linear memory). Works under Node and Deno.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const wasmPath = fileURLToPath(new URL("../../dist/capsa-core.wasm", import.meta.url));
export const bytes = readFileSync(wasmPath);

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A fresh instance of the core, with `call(fn, text | bytes) -> {status, json}`. */
export async function load() {
  const { module, instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports;
  function raw(fn, input) {
    const data = typeof input === "string" ? enc.encode(input) : input;
    const p = x.alloc(data.length);
    new Uint8Array(x.memory.buffer, p, data.length).set(data);
    let status;
    try {
      status = x[fn](p, data.length);
    } finally {
      x.dealloc(p);
    }
    return { status, text: dec.decode(new Uint8Array(x.memory.buffer, x.out_ptr(), x.out_len())) };
  }
  function call(fn, input) {
    const r = raw(fn, input);
    return { status: r.status, json: JSON.parse(r.text) };
  }
  return { module, instance, exports: x, memory: x.memory, raw, call };
}

const shared = await load();
export const module = shared.module;
export const call = shared.call;
export const raw = shared.raw;
export const memory = shared.memory;
