// Loads dist/capsa-core.wasm with a bare WebAssembly.instantiate and calls it through the ABI
// in core/ABI.md: UTF-8 JSON in, i32 status and UTF-8 JSON out.
import { readFile, distFile } from "./rt.ts";

export interface CoreExports {
  memory: WebAssembly.Memory;
  alloc(len: number): number;
  dealloc(ptr: number): void;
  out_ptr(): number;
  out_len(): number;
  blob_ptr(): number;
  blob_len(): number;
  [fn: string]: unknown;
}

export interface CoreResult {
  status: number;
  text: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class Core {
  constructor(readonly exports: CoreExports) {}

  /** Calls `fn` with JSON text (or a value to stringify); returns the status and output text. */
  call(fn: string, input: string | object): CoreResult {
    const x = this.exports;
    const f = x[fn] as ((p: number, n: number) => number) | undefined;
    if (typeof f !== "function") throw new Error(`capsa-core has no function "${fn}"`);
    const bytes = enc.encode(typeof input === "string" ? input : JSON.stringify(input));
    const p = x.alloc(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    let status: number;
    try {
      status = f(p, bytes.length);
    } finally {
      x.dealloc(p);
    }
    const text = dec.decode(new Uint8Array(x.memory.buffer, x.out_ptr(), x.out_len()));
    return { status, text };
  }

  /** Calls `fn` and parses its JSON output. */
  json<T = any>(fn: string, input: string | object): { status: number; value: T } {
    const r = this.call(fn, input);
    return { status: r.status, value: JSON.parse(r.text) as T };
  }

  /** A copy of the binary side output (programs, BPF) of the last call. */
  blob(): Uint8Array {
    const x = this.exports;
    return new Uint8Array(x.memory.buffer, x.blob_ptr(), x.blob_len()).slice();
  }
}

export function corePath(): string {
  return distFile("capsa-core.wasm", "run `npm run build`");
}

let cached: Core | null = null;

/** The core, compiled and instantiated once per process. */
export function loadCore(path?: string): Core {
  if (cached && !path) return cached;
  const mod = new WebAssembly.Module(readFile(path ?? corePath()));
  const inst = new WebAssembly.Instance(mod, {});
  const core = new Core(inst.exports as unknown as CoreExports);
  if (!path) cached = core;
  return core;
}
