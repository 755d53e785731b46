// The init program: a flat binary list of ops (layout in core/ops.ts and core/PROGRAM.md).
// The encoder keeps, for every op, the JSON Pointer of the config value it came from and a
// short human description, so a failing op can be reported as `mounts[3] (/sys, sysfs)`.
import { OPS, PROGRAM_MAGIC, PROGRAM_VERSION } from "./ops";
import { JValue, Obj, quote, jsonArray } from "./json";
import { join } from "./strings";

export class Op {
  ints: i64[] = [];
  strs: string[] = [];
  /** Raw bytes standing in for strs[j] (a BPF program), or null for a UTF-8 string. */
  bins: Array<ArrayBuffer | null> = [];
  constructor(public code: i32, public pointer: string, public what: string) {}
  i(v: i64): Op { this.ints.push(v); return this; }
  s(v: string): Op { this.strs.push(v); this.bins.push(null); return this; }
  /** A byte-string argument; described as `<N bytes>` in text and JSON. */
  b(v: ArrayBuffer): Op { this.strs.push("<" + v.byteLength.toString() + " bytes>"); this.bins.push(v); return this; }
}

export class Program {
  ops: Op[] = [];

  add(code: i32, pointer: string, what: string): Op {
    const op = new Op(code, pointer, what);
    this.ops.push(op);
    return op;
  }

  encode(): ArrayBuffer {
    // Encode strings once, then size the buffer exactly.
    const encoded: ArrayBuffer[][] = [];
    let total = 16;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i];
      const row: ArrayBuffer[] = [];
      let size = 16 + op.ints.length * 8;
      for (let j = 0; j < op.strs.length; j++) {
        const raw = j < op.bins.length ? op.bins[j] : null;
        const b = raw !== null ? raw : String.UTF8.encode(op.strs[j]);
        row.push(b);
        size += 4 + b.byteLength + 1;
      }
      size = (size + 7) & ~7;
      encoded.push(row);
      total += size;
    }
    const buf = new ArrayBuffer(total); // zero-filled
    const base = changetype<usize>(buf);
    store<u32>(base, PROGRAM_MAGIC);
    store<u16>(base + 4, PROGRAM_VERSION);
    store<u16>(base + 6, 0);
    store<u32>(base + 8, <u32>this.ops.length);
    store<u32>(base + 12, <u32>total);
    let p = base + 16;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i];
      const start = p;
      store<u16>(p, <u16>op.code);
      store<u16>(p + 2, <u16>op.ints.length);
      store<u16>(p + 4, <u16>op.strs.length);
      store<u32>(p + 12, <u32>i);
      p += 16;
      for (let j = 0; j < op.ints.length; j++) { store<i64>(p, op.ints[j]); p += 8; }
      const row = encoded[i];
      for (let j = 0; j < row.length; j++) {
        const b = row[j];
        store<u32>(p, <u32>b.byteLength);
        memory.copy(p + 4, changetype<usize>(b), <usize>b.byteLength);
        p += 4 + <usize>b.byteLength + 1; // NUL already there
      }
      p = (p + 7) & ~<usize>7;
      store<u32>(start + 8, <u32>(p - start));
    }
    return buf;
  }

  /** The ops as JSON: [{index, op, pointer, what, ints, strs}]. */
  describeJSON(): string {
    const rows: string[] = [];
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i];
      const ints: string[] = [];
      for (let j = 0; j < op.ints.length; j++) ints.push(op.ints[j].toString());
      const strs: string[] = [];
      for (let j = 0; j < op.strs.length; j++) strs.push(quote(op.strs[j]));
      rows.push(new Obj()
        .i64("index", i)
        .str("op", opName(op.code))
        .str("pointer", op.pointer)
        .str("what", op.what)
        .raw("ints", jsonArray(ints))
        .raw("strs", jsonArray(strs))
        .done());
    }
    return jsonArray(rows);
  }

  /** One line per op: `  3  mount  source=proc target=/proc …  ← /mounts/0`. */
  text(): string {
    const lines: string[] = [];
    for (let i = 0; i < this.ops.length; i++) lines.push(opLine(i, this.ops[i]));
    return join(lines, "\n") + "\n";
  }
}

export function opName(code: i32): string {
  if (code >= 0 && code < OPS.length && OPS[code].code == code) return OPS[code].name;
  for (let i = 0; i < OPS.length; i++) if (OPS[i].code == code) return OPS[i].name;
  return "op" + code.toString();
}

function pad(s: string, n: i32): string {
  let r = s;
  while (r.length < n) r += " ";
  return r;
}

function opLine(i: i32, op: Op): string {
  let def = OPS[0];
  for (let k = 0; k < OPS.length; k++) if (OPS[k].code == op.code) { def = OPS[k]; break; }
  const parts: string[] = [];
  const inames = def.ints.length > 0 ? def.ints.split(",") : new Array<string>(0);
  for (let j = 0; j < op.ints.length; j++) {
    const name = j < inames.length && inames[j] != "*" ? inames[j] : "";
    const v = op.ints[j];
    const txt = v > 4095 || v < -4095 ? "0x" + (<u64>v).toString(16) : v.toString();
    parts.push(name.length > 0 ? name + "=" + txt : txt);
  }
  const snames = def.strs.length > 0 ? def.strs.split(",") : new Array<string>(0);
  for (let j = 0; j < op.strs.length; j++) {
    const name = j < snames.length && snames[j] != "*" ? snames[j] : "";
    let v = op.strs[j];
    if (v.length > 60) v = v.substring(0, 57) + "...";
    parts.push(name.length > 0 ? name + "=" + quote(v) : quote(v));
  }
  let line = pad(i.toString(), 4) + pad(opName(op.code), 14) + join(parts, " ");
  if (op.pointer.length > 0 || op.what.length > 0) line += "    # " + (op.pointer.length > 0 ? op.pointer : "(runtime)");
  return line;
}

/**
 * Builds a program from JSON ops: [{"op": "mount", "ints": [...], "strs": [...], "pointer": "..."}].
 * Used by tests and by tools that want to run a hand-written program. Returns null and sets
 * `assembleError` on bad input.
 */
export let assembleError: string = "";
export function assemble(v: JValue): Program | null {
  if (!v.isArray()) { assembleError = "ops must be an array"; return null; }
  const prog = new Program();
  for (let i = 0; i < v.items.length; i++) {
    const o = v.items[i];
    if (!o.isObject()) { assembleError = "ops[" + i.toString() + "] must be an object"; return null; }
    const name = o.get("op");
    if (name === null || !name.isString()) { assembleError = "ops[" + i.toString() + "].op must be a string"; return null; }
    let code = -1;
    for (let k = 0; k < OPS.length; k++) if (OPS[k].name == name.str) { code = OPS[k].code; break; }
    if (code < 0) { assembleError = "ops[" + i.toString() + "]: unknown op \"" + name.str + "\""; return null; }
    const ptr = o.get("pointer");
    const what = o.get("what");
    const op = prog.add(code, ptr !== null && ptr.isString() ? ptr.str : "", what !== null && what.isString() ? what.str : "");
    const ints = o.get("ints");
    if (ints !== null) {
      if (!ints.isArray()) { assembleError = "ops[" + i.toString() + "].ints must be an array"; return null; }
      for (let j = 0; j < ints.items.length; j++) {
        const n = ints.items[j];
        if (n.isNumber() && n.fitsI64()) op.i(n.i64());
        else if (n.isNumber() && n.fitsU64()) op.i(<i64>n.u64());
        else { assembleError = "ops[" + i.toString() + "].ints[" + j.toString() + "] must be a 64-bit integer"; return null; }
      }
    }
    const strs = o.get("strs");
    if (strs !== null) {
      if (!strs.isArray()) { assembleError = "ops[" + i.toString() + "].strs must be an array"; return null; }
      for (let j = 0; j < strs.items.length; j++) {
        const s = strs.items[j];
        if (!s.isString()) { assembleError = "ops[" + i.toString() + "].strs[" + j.toString() + "] must be a string"; return null; }
        op.s(s.str);
      }
    }
  }
  return prog;
}
