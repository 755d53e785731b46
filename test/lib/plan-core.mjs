// A small loader for the plan and spec tests: instantiates dist/capsa-core.wasm (or
// $CAPSA_CORE_WASM) with a bare WebAssembly.instantiate and calls its exports through the ABI
// (core/ABI.md): UTF-8 in, i32 status, UTF-8 JSON out, program bytes in the blob.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";

export const wasmPath = process.env.CAPSA_CORE_WASM || fileURLToPath(new URL("../../dist/capsa-core.wasm", import.meta.url));
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const x = instance.exports;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Calls `fn` with `text`; returns {status, text, json (null when not JSON), blob (a copy)}. */
export function call(fn, text) {
  const bytes = enc.encode(text);
  const p = x.alloc(bytes.length);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  const status = x[fn](p, bytes.length);
  x.dealloc(p);
  const out = dec.decode(new Uint8Array(x.memory.buffer, x.out_ptr(), x.out_len()));
  let json = null;
  try { json = JSON.parse(out); } catch { /* not JSON */ }
  const blob = new Uint8Array(x.memory.buffer, x.blob_ptr(), x.blob_len()).slice();
  return { status, text: out, json, blob };
}

export const DEFAULT_FACTS = {
  id: "c1",
  bundle: "/bundle",
  stateDir: "/run/capsa/c1",
  fifo: "/run/capsa/c1/exec.fifo",
  lastCap: 40,
  noPivot: false,
  preserveFds: 0,
  process: null,
  hooks: true,
};

/** plan(facts, config): config may be an object or config.json's text. */
export function plan(config, facts = {}) {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  return call("plan", JSON.stringify({ ...DEFAULT_FACTS, ...facts }) + "\n" + text);
}

/** The op table from the core: name → {code, ints, strs}. */
export function opTable() {
  const t = call("tables", "{}").json;
  const byName = {}, byCode = {};
  for (const o of t.ops) { byName[o.name] = o; byCode[o.code] = o; }
  return { byName, byCode, constants: Object.fromEntries(t.constants.map((c) => [c.name, c.value])) };
}

/** Decodes a program blob (core/PROGRAM.md) into {magic, version, flags, count, size, ops}. */
export function decodeProgram(blob) {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const h = { magic: dv.getUint32(0, true), version: dv.getUint16(4, true), flags: dv.getUint16(6, true), count: dv.getUint32(8, true), size: dv.getUint32(12, true), ops: [] };
  let p = 16;
  for (let i = 0; i < h.count; i++) {
    const code = dv.getUint16(p, true), nints = dv.getUint16(p + 2, true), nstrs = dv.getUint16(p + 4, true);
    const size = dv.getUint32(p + 8, true), index = dv.getUint32(p + 12, true);
    let q = p + 16;
    const ints = [];
    for (let j = 0; j < nints; j++, q += 8) ints.push(dv.getBigInt64(q, true));
    const strs = [];
    for (let j = 0; j < nstrs; j++) {
      const len = dv.getUint32(q, true);
      strs.push(dec.decode(blob.subarray(q + 4, q + 4 + len)));
      if (blob[q + 4 + len] !== 0) throw new Error(`op ${i}: string ${j} is not NUL-terminated`);
      q += 4 + len + 1;
    }
    if (size % 8 !== 0 || q > p + size) throw new Error(`op ${i}: bad size ${size}`);
    h.ops.push({ code, index, size, ints, strs });
    p += size;
  }
  h.end = p;
  return h;
}
