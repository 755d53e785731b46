// A strict JSON reader and writer (RFC 8259).
//
// The reader works on UTF-8 bytes in linear memory and rejects everything the RFC does not
// allow: trailing commas, trailing garbage, leading zeros, lone surrogates, invalid UTF-8,
// control characters in strings, duplicate object keys, and nesting deeper than MAX_DEPTH.
// Numbers keep their source text so 64-bit integers stay exact.

import { join } from "./strings";

export const MAX_DEPTH: i32 = 128;

export const enum Kind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

export function kindName(k: Kind): string {
  switch (k) {
    case Kind.Null: return "null";
    case Kind.Bool: return "boolean";
    case Kind.Number: return "number";
    case Kind.String: return "string";
    case Kind.Array: return "array";
    default: return "object";
  }
}

// Scalars share these (never pushed to: only arrays and objects grow).
const NO_ITEMS: JValue[] = [];
const NO_KEYS: string[] = [];

export class JValue {
  kind: Kind;
  /** Byte offset of the value's first byte in the source text. */
  offset: i32;
  bool: bool = false;
  /** The string value, or a number's source text. */
  str: string = "";
  /** Array items, or object values (parallel to `keys`). Empty and shared for scalars. */
  items: JValue[];
  keys: string[];

  constructor(kind: Kind, offset: i32) {
    this.kind = kind;
    this.offset = offset;
    if (kind == Kind.Array || kind == Kind.Object) {
      this.items = [];
      this.keys = kind == Kind.Object ? [] : NO_KEYS;
    } else {
      this.items = NO_ITEMS;
      this.keys = NO_KEYS;
    }
  }

  static null(): JValue { return new JValue(Kind.Null, 0); }
  static ofBool(b: bool): JValue { const v = new JValue(Kind.Bool, 0); v.bool = b; return v; }
  static ofString(s: string): JValue { const v = new JValue(Kind.String, 0); v.str = s; return v; }
  static ofNumberText(t: string): JValue { const v = new JValue(Kind.Number, 0); v.str = t; return v; }
  static ofI64(n: i64): JValue { return JValue.ofNumberText(n.toString()); }
  static ofU64(n: u64): JValue { return JValue.ofNumberText(n.toString()); }
  static array(): JValue { return new JValue(Kind.Array, 0); }
  static object(): JValue { return new JValue(Kind.Object, 0); }

  isNull(): bool { return this.kind == Kind.Null; }
  isBool(): bool { return this.kind == Kind.Bool; }
  isNumber(): bool { return this.kind == Kind.Number; }
  isString(): bool { return this.kind == Kind.String; }
  isArray(): bool { return this.kind == Kind.Array; }
  isObject(): bool { return this.kind == Kind.Object; }

  /** Object member by key, or null. */
  get(key: string): JValue | null {
    if (this.kind != Kind.Object) return null;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] == key) return this.items[i];
    }
    return null;
  }
  has(key: string): bool { return this.get(key) !== null; }
  get length(): i32 { return this.items.length; }
  at(i: i32): JValue { return this.items[i]; }

  /** Set (replace or append) an object member. */
  set(key: string, v: JValue): JValue {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) { this.items[i] = v; return this; }
    }
    this.keys.push(key);
    this.items.push(v);
    return this;
  }
  push(v: JValue): JValue { this.items.push(v); return this; }

  // ---- numbers ----------------------------------------------------------------------------

  /** True when the number has no fraction or exponent part (e.g. `12`, `-3`). */
  isIntegerText(): bool {
    if (this.kind != Kind.Number) return false;
    const s = this.str;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c == 0x2e || c == 0x65 || c == 0x45) return false;
    }
    return true;
  }
  isNegative(): bool { return this.kind == Kind.Number && this.str.length > 0 && this.str.charCodeAt(0) == 0x2d; }

  /** True when the number is an integer text that fits in u64. */
  fitsU64(): bool {
    if (!this.isIntegerText() || this.isNegative()) return false;
    return parseDigits(this.str, 0).ok;
  }
  /** True when the number is an integer text that fits in i64. */
  fitsI64(): bool {
    if (!this.isIntegerText()) return false;
    const neg = this.isNegative();
    const r = parseDigits(this.str, neg ? 1 : 0);
    if (!r.ok) return false;
    if (neg) return r.value <= (<u64>1 << 63);
    return r.value <= <u64>i64.MAX_VALUE;
  }
  fitsU32(): bool { return this.fitsU64() && this.u64() <= <u64>u32.MAX_VALUE; }
  fitsI32(): bool { return this.fitsI64() && this.i64() >= <i64>i32.MIN_VALUE && this.i64() <= <i64>i32.MAX_VALUE; }
  u64(): u64 { return parseDigits(this.str, 0).value; }
  i64(): i64 {
    const neg = this.isNegative();
    const r = parseDigits(this.str, neg ? 1 : 0);
    return neg ? -(<i64>r.value) : <i64>r.value;
  }
  f64(): f64 { return parseFloat(this.str); }
}

class Digits {
  value: u64 = 0;
  ok: bool = true;
}

function parseDigits(s: string, from: i32): Digits {
  const r = new Digits();
  if (from >= s.length) { r.ok = false; return r; }
  let v: u64 = 0;
  for (let i = from; i < s.length; i++) {
    const d = <u64>(s.charCodeAt(i) - 0x30);
    if (d > 9) { r.ok = false; return r; }
    if (v > (u64.MAX_VALUE - d) / 10) { r.ok = false; return r; }
    v = v * 10 + d;
  }
  r.value = v;
  return r;
}

// ---- reader ---------------------------------------------------------------------------------

export class ParseError {
  constructor(public offset: i32, public message: string) {}
}

export class Parser {
  pos: i32 = 0;
  error: ParseError | null = null;
  constructor(public base: usize, public len: i32) {}

  @inline private peek(): i32 { return this.pos < this.len ? <i32>load<u8>(this.base + <usize>this.pos) : -1; }
  @inline private at(i: i32): i32 { return i < this.len ? <i32>load<u8>(this.base + <usize>i) : -1; }

  private fail(offset: i32, msg: string): JValue | null {
    if (this.error === null) this.error = new ParseError(offset, msg);
    return null;
  }

  @inline private ws(): void {
    let p = this.pos;
    const end = this.len;
    const base = this.base;
    while (p < end) {
      const c = <i32>load<u8>(base + <usize>p);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) p++;
      else break;
    }
    this.pos = p;
  }

  parseDocument(): JValue | null {
    this.ws();
    if (this.pos >= this.len) return this.fail(this.pos, "unexpected end of input, expected a value");
    const v = this.value(0);
    if (v === null) return null;
    this.ws();
    if (this.pos < this.len) return this.fail(this.pos, "unexpected " + describeByte(this.peek()) + " after the top-level value");
    return v;
  }

  private value(depth: i32): JValue | null {
    const c = this.peek();
    const start = this.pos;
    if (c == 0x7b) return this.object(depth + 1);
    if (c == 0x5b) return this.array(depth + 1);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JValue(Kind.String, start);
      v.str = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) { const v = new JValue(Kind.Bool, start); v.bool = true; return v; }
    if (this.literal("false")) return new JValue(Kind.Bool, start);
    if (this.literal("null")) return new JValue(Kind.Null, start);
    if (c < 0) return this.fail(this.pos, "unexpected end of input, expected a value");
    return this.fail(this.pos, "unexpected " + describeByte(c) + ", expected a value");
  }

  private literal(word: string): bool {
    const n = word.length;
    if (this.pos + n > this.len) return false;
    for (let i = 0; i < n; i++) {
      if (this.at(this.pos + i) != word.charCodeAt(i)) return false;
    }
    this.pos += n;
    return true;
  }

  private object(depth: i32): JValue | null {
    if (depth > MAX_DEPTH) return this.fail(this.pos, "nesting deeper than " + MAX_DEPTH.toString() + " levels");
    const v = new JValue(Kind.Object, this.pos);
    this.pos++; // {
    this.ws();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) {
        if (this.peek() == 0x7d) return this.fail(this.pos, "trailing comma before '}'");
        return this.fail(this.pos, this.peek() < 0 ? "unexpected end of input in an object" : "unexpected " + describeByte(this.peek()) + ", expected a string key");
      }
      const keyAt = this.pos;
      const key = this.string();
      if (key === null) return null;
      for (let i = 0; i < v.keys.length; i++) {
        if (v.keys[i] == key) return this.fail(keyAt, "duplicate key \"" + key + "\"");
      }
      this.ws();
      if (this.peek() != 0x3a) return this.fail(this.pos, this.peek() < 0 ? "unexpected end of input in an object" : "unexpected " + describeByte(this.peek()) + ", expected ':'");
      this.pos++;
      this.ws();
      const item = this.value(depth);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; return v; }
      return this.fail(this.pos, c < 0 ? "unexpected end of input in an object" : "unexpected " + describeByte(c) + ", expected ',' or '}'");
    }
  }

  private array(depth: i32): JValue | null {
    if (depth > MAX_DEPTH) return this.fail(this.pos, "nesting deeper than " + MAX_DEPTH.toString() + " levels");
    const v = new JValue(Kind.Array, this.pos);
    this.pos++; // [
    this.ws();
    if (this.peek() == 0x5d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.peek() == 0x5d) return this.fail(this.pos, "trailing comma before ']'");
      const item = this.value(depth);
      if (item === null) return null;
      v.items.push(item);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; return v; }
      return this.fail(this.pos, c < 0 ? "unexpected end of input in an array" : "unexpected " + describeByte(c) + ", expected ',' or ']'");
    }
  }

  private number(): JValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    let c = this.peek();
    if (c == 0x30) {
      this.pos++;
      c = this.peek();
      if (c >= 0x30 && c <= 0x39) return this.fail(this.pos, "leading zero in a number");
    } else if (c >= 0x31 && c <= 0x39) {
      while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    } else {
      return this.fail(this.pos, "expected a digit");
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!(this.peek() >= 0x30 && this.peek() <= 0x39)) return this.fail(this.pos, "expected a digit after '.'");
      while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    }
    c = this.peek();
    if (c == 0x65 || c == 0x45) {
      this.pos++;
      c = this.peek();
      if (c == 0x2b || c == 0x2d) this.pos++;
      if (!(this.peek() >= 0x30 && this.peek() <= 0x39)) return this.fail(this.pos, "expected a digit in the exponent");
      while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    }
    const v = new JValue(Kind.Number, start);
    v.str = String.UTF8.decodeUnsafe(this.base + <usize>start, <usize>(this.pos - start));
    return v;
  }

  private hex4(at: i32): i32 {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.at(at + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** Reads a string starting at the opening quote; returns null on error. */
  string(): string | null {
    this.pos++; // opening quote
    // Fast path: plain ASCII up to the closing quote, no escapes: one decode, no parts.
    let q = this.pos;
    const base = this.base;
    const len = this.len;
    while (q < len) {
      const c = <i32>load<u8>(base + <usize>q);
      if (c == 0x22) {
        const s = q > this.pos ? String.UTF8.decodeUnsafe(base + <usize>this.pos, <usize>(q - this.pos)) : "";
        this.pos = q + 1;
        return s;
      }
      if (c == 0x5c || c < 0x20 || c >= 0x80) break;
      q++;
    }
    const parts: string[] = [];
    let runStart = this.pos;
    while (true) {
      if (this.pos >= this.len) { this.fail(this.pos, "unterminated string"); return null; }
      const c = this.peek();
      if (c == 0x22) {
        if (this.pos > runStart) parts.push(String.UTF8.decodeUnsafe(this.base + <usize>runStart, <usize>(this.pos - runStart)));
        this.pos++;
        break;
      }
      if (c < 0x20) { this.fail(this.pos, "control character " + describeByte(c) + " in a string"); return null; }
      if (c == 0x5c) {
        if (this.pos > runStart) parts.push(String.UTF8.decodeUnsafe(this.base + <usize>runStart, <usize>(this.pos - runStart)));
        const escAt = this.pos;
        this.pos++;
        const e = this.peek();
        this.pos++;
        if (e == 0x22) parts.push("\"");
        else if (e == 0x5c) parts.push("\\");
        else if (e == 0x2f) parts.push("/");
        else if (e == 0x62) parts.push("\b");
        else if (e == 0x66) parts.push("\f");
        else if (e == 0x6e) parts.push("\n");
        else if (e == 0x72) parts.push("\r");
        else if (e == 0x74) parts.push("\t");
        else if (e == 0x75) {
          const u = this.hex4(this.pos);
          if (u < 0) { this.fail(this.pos, "invalid \\u escape"); return null; }
          this.pos += 4;
          if (u >= 0xd800 && u <= 0xdbff) {
            if (this.at(this.pos) != 0x5c || this.at(this.pos + 1) != 0x75) { this.fail(escAt, "lone high surrogate \\u" + u.toString(16)); return null; }
            const lo = this.hex4(this.pos + 2);
            if (lo < 0xdc00 || lo > 0xdfff) { this.fail(escAt, "high surrogate not followed by a low surrogate"); return null; }
            this.pos += 6;
            parts.push(String.fromCharCodes([u, lo]));
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            this.fail(escAt, "lone low surrogate \\u" + u.toString(16)); return null;
          } else {
            parts.push(String.fromCharCode(u));
          }
        } else { this.fail(escAt, "invalid escape"); return null; }
        runStart = this.pos;
        continue;
      }
      if (c < 0x80) { this.pos++; continue; }
      // Validate one UTF-8 sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
      const n = utf8SeqLen(this.base, this.pos, this.len);
      if (n <= 0) { this.fail(this.pos, "invalid UTF-8 in a string"); return null; }
      this.pos += n;
    }
    if (parts.length == 0) return "";
    if (parts.length == 1) return parts[0];
    return join(parts);
  }
}

function utf8SeqLen(base: usize, pos: i32, len: i32): i32 {
  const b0 = <i32>load<u8>(base + <usize>pos);
  let n: i32, min: i32, cp: i32;
  if (b0 >= 0xc2 && b0 <= 0xdf) { n = 2; cp = b0 & 0x1f; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { n = 3; cp = b0 & 0x0f; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { n = 4; cp = b0 & 0x07; min = 0x10000; }
  else return -1;
  if (pos + n > len) return -1;
  for (let i = 1; i < n; i++) {
    const b = <i32>load<u8>(base + <usize>(pos + i));
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return n;
}

function describeByte(c: i32): string {
  if (c < 0) return "end of input";
  if (c >= 0x21 && c < 0x7f) return "'" + String.fromCharCode(c) + "'";
  return "byte 0x" + (c < 16 ? "0" : "") + c.toString(16);
}

/** Parses UTF-8 JSON text at [ptr, ptr+len). On failure returns null and sets `lastError`. */
export let lastError: ParseError | null = null;
export function parse(ptr: usize, len: i32): JValue | null {
  const p = new Parser(ptr, len);
  const v = p.parseDocument();
  lastError = p.error;
  return v;
}

export function parseString(s: string): JValue | null {
  const buf = String.UTF8.encode(s);
  return parse(changetype<usize>(buf), buf.byteLength);
}

// ---- writer ---------------------------------------------------------------------------------

const HEX = "0123456789abcdef";

export function quote(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5c || (c >= 0xd800 && c <= 0xdfff)) { needs = true; break; }
  }
  if (!needs) return "\"" + s + "\"";
  const out: string[] = ["\""];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c == 0x08) esc = "\\b";
    else if (c == 0x0c) esc = "\\f";
    else if (c < 0x20) esc = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; } // valid pair: keep as is
      esc = "\\u" + c.toString(16);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate cannot be UTF-8 encoded: escape it so the output stays valid.
      esc = "\\u" + c.toString(16);
    }
    if (esc !== null) {
      if (i > run) out.push(s.substring(run, i));
      out.push(esc);
      run = i + 1;
    }
  }
  if (run < s.length) out.push(s.substring(run));
  out.push("\"");
  return join(out);
}

export function stringify(v: JValue): string {
  const out: string[] = [];
  write(v, out);
  return join(out);
}

function write(v: JValue, out: string[]): void {
  switch (v.kind) {
    case Kind.Null: out.push("null"); break;
    case Kind.Bool: out.push(v.bool ? "true" : "false"); break;
    case Kind.Number: out.push(v.str); break;
    case Kind.String: out.push(quote(v.str)); break;
    case Kind.Array: {
      out.push("[");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        write(v.items[i], out);
      }
      out.push("]");
      break;
    }
    default: {
      out.push("{");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        out.push(quote(v.keys[i]));
        out.push(":");
        write(v.items[i], out);
      }
      out.push("}");
    }
  }
}

/** RFC 6901: escape one reference token. */
export function pointerToken(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x7e || c == 0x2f) { needs = true; break; }
  }
  if (!needs) return s;
  return s.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** Builds a JSON object text incrementally: `new Obj().str("a", "x").num("n", 3).done()`. */
export class Obj {
  parts: string[] = ["{"];
  n: i32 = 0;
  private key(k: string): void {
    if (this.n++ > 0) this.parts.push(",");
    this.parts.push(quote(k));
    this.parts.push(":");
  }
  str(k: string, v: string): Obj { this.key(k); this.parts.push(quote(v)); return this; }
  raw(k: string, json: string): Obj { this.key(k); this.parts.push(json); return this; }
  bool(k: string, v: bool): Obj { this.key(k); this.parts.push(v ? "true" : "false"); return this; }
  i64(k: string, v: i64): Obj { this.key(k); this.parts.push(v.toString()); return this; }
  u64(k: string, v: u64): Obj { this.key(k); this.parts.push(v.toString()); return this; }
  done(): string { this.parts.push("}"); return join(this.parts); }
}

export function jsonArray(items: string[]): string {
  return "[" + join(items, ",") + "]";
}
