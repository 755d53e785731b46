// Helpers shared by the rules. Every distinct string literal costs module size, so member types
// are declared in compact field lists (see `shape`), codes are derived from pointers (`area`), and
// messages are built from a few templates.
import { JValue, Kind } from "../json";
import { ptr, ptrI, area } from "../diag";
import { isAbsolute } from "../paths";
import { Ctx } from "./index";

/** Reports an error at `p` with code `<area of p>.<suffix>`. */
export function err(c: Ctx, p: string, suffix: string, msg: string): void { c.d.error(p, area(p, suffix), msg); }
/** Reports a warning at `p` with code `<area of p>.<suffix>`. */
export function warn(c: Ctx, p: string, suffix: string, msg: string): void { c.d.warn(p, area(p, suffix), msg); }

export function q(s: string): string { return "\"" + s + "\""; }

/** `<what> needs a private <ns> namespace`, code `<area>.<ns>Namespace`. */
export function needNs(c: Ctx, p: string, what: string, ns: string): void {
  err(c, p, ns + "Namespace", what + " needs a " + ns + " namespace in linux.namespaces");
}

/** A warning that something is ignored, code `<area>.ignored`. */
export function ignored(c: Ctx, p: string, why: string): void { warn(c, p, "ignored", "ignored: " + why); }

// ---- member types ---------------------------------------------------------------------------

/** Whether s[a..b) equals t. */
function sliceIs(s: string, a: i32, b: i32, t: string): bool {
  return b - a == t.length && memory.compare(changetype<usize>(s) + (<usize>a << 1), changetype<usize>(t), <usize>(b - a) << 1) == 0;
}

/** s.charCodeAt(i) without the bounds check, for indices known to be inside `s`. */
// @ts-ignore: decorator
@inline function at(s: string, i: i32): i32 { return <i32>load<u16>(changetype<usize>(s) + (<usize>i << 1)); }

function parseI64(s: string, a: i32, b: i32): i64 {
  const neg = s.charCodeAt(a) == 0x2d;
  let v: i64 = 0;
  for (let i = neg ? a + 1 : a; i < b; i++) v = v * 10 + <i64>(s.charCodeAt(i) - 0x30);
  return neg ? -v : v;
}

function rangeError(c: Ctx, v: JValue, base: string, key: string, lo: string, hi: string): void {
  c.d.error(ptr(base, key), c.w.code(base, key, "range"), "must be an integer from " + lo + " to " + hi + ", not " + v.str);
}

/** Checks one member against its type in a field list (spec[ts..te)); returns whether it passed. */
function checkType(c: Ctx, v: JValue, base: string, key: string, spec: string, ts: i32, te: i32): bool {
  const t = at(spec, ts);
  if (t == 0x2d && te - ts == 1) return true; // "-": checked by a rule
  let kind = Kind.Number;
  if (t == 0x73) kind = Kind.String; // s
  else if (t == 0x62) kind = Kind.Bool; // b
  else if (t == 0x6f) kind = Kind.Object; // o
  else if (t == 0x61 || t == 0x53) kind = Kind.Array; // a, S
  if (v.kind != kind) return c.w.is(v, ptr(base, key), kind, c.w.code(base, key, "type"));
  if (t == 0x53) {
    for (let i = 0; i < v.items.length; i++) {
      if (v.items[i].kind != Kind.String) c.w.is(v.items[i], ptrI(ptr(base, key), i), Kind.String);
    }
    return true;
  }
  if (kind != Kind.Number) return true;
  if (sliceIs(spec, ts, te, "u64")) {
    if (v.fitsU64()) return true;
    rangeError(c, v, base, key, "0", "18446744073709551615");
    return false;
  }
  if (sliceIs(spec, ts, te, "i64")) {
    if (v.fitsI64()) return true;
    rangeError(c, v, base, key, "-9223372036854775808", "9223372036854775807");
    return false;
  }
  let lo: i64 = 0, hi: i64 = 0;
  if (sliceIs(spec, ts, te, "u32")) hi = u32.MAX_VALUE;
  else if (sliceIs(spec, ts, te, "u16")) hi = 65535;
  else if (sliceIs(spec, ts, te, "u63")) hi = i64.MAX_VALUE;
  else if (sliceIs(spec, ts, te, "i32")) { lo = i32.MIN_VALUE; hi = i32.MAX_VALUE; }
  else {
    const dots = spec.indexOf("..", ts);
    lo = parseI64(spec, ts, dots);
    hi = parseI64(spec, dots + 2, te);
  }
  if (v.isIntegerText() && v.fitsI64() && v.i64() >= lo && v.i64() <= hi) return true;
  rangeError(c, v, base, key, lo.toString(), hi.toString());
  return false;
}

/** The members of an object, in the order of the field list they were checked against. */
export class Fields {
  /** Field i's value, or null when it is absent or failed its type check. */
  v: Array<JValue | null>;
  /** Bit i is set when field i is present, whatever its type. */
  present: u32 = 0;
  constructor(public base: string, public spec: string, n: i32) { this.v = new Array<JValue | null>(n); }
  has(i: i32): bool { return (this.present & (1 << i)) != 0; }
  /** The JSON Pointer to field i. */
  p(i: i32): string {
    const s = this.spec;
    let at = 0;
    for (let k = 0; k < i; k++) at = s.indexOf(" ", at) + 1;
    return ptr(this.base, s.substring(at, s.indexOf(":", at)));
  }
}

/**
 * Checks the members of object `o` (at pointer `base`) against `spec`, a space-separated list of
 * `name:type` fields (at most 32), `!` after the type marking a required member. Types:
 * s string, b boolean, o object, a array, S array of strings, - anything (a rule checks it), u64,
 * i64, u32, u16, i32, u63 (0 to 2^63-1), or an integer range such as 0..511. Codes are
 * `<area>.required`, `<area>.type`, `<area>.range`; members not in the list are `<area>.unknown`
 * warnings (the spec says runtimes must ignore unknown properties). Returns the members by field.
 */
export function shape(c: Ctx, o: JValue, base: string, spec: string): Fields {
  const n = spec.length;
  const f = new Fields(base, spec, 32);
  let i = 0, field = 0, matched = 0;
  // Field lists are constants of the form "name:type name:type!": the scans below stay inside.
  while (i < n) {
    const ns = i;
    while (at(spec, i) != 0x3a) i++;
    const ne = i++;
    const ts = i;
    while (i < n && at(spec, i) != 0x20) i++;
    let te = i++;
    const required = at(spec, te - 1) == 0x21;
    if (required) te--;
    let found = -1;
    for (let k = 0; k < o.keys.length && found < 0; k++) if (sliceIs(spec, ns, ne, o.keys[k])) found = k;
    if (found >= 0) {
      matched++;
      f.present |= 1 << field;
      if (checkType(c, o.items[found], base, o.keys[found], spec, ts, te)) f.v[field] = o.items[found];
    } else if (required) {
      const key = spec.substring(ns, ne);
      c.d.error(ptr(base, key), c.w.code(base, key, "required"), q(key) + " is required");
    }
    field++;
  }
  if (matched == o.keys.length) return f; // keys are unique: every one was found
  for (let k = 0; k < o.keys.length; k++) {
    const key = o.keys[k];
    let known = false;
    i = 0;
    while (i < n && !known) {
      let e = i;
      while (at(spec, e) != 0x3a) e++;
      known = sliceIs(spec, i, e, key);
      while (e < n && at(spec, e) != 0x20) e++;
      i = e + 1;
    }
    if (!known) c.d.warn(ptr(base, key), c.w.code(base, key, "unknown"), "unknown property " + q(key) + " is ignored");
  }
  return f;
}

/** Member `key` of `o` when it has `kind`; null otherwise (`shape` reports the mistakes). */
export function get(o: JValue | null, key: string, kind: Kind): JValue | null {
  if (o === null) return null;
  const v = o.get(key);
  return v !== null && v.kind == kind ? v : null;
}

/** Item `i` of array `arr` (at pointer `base`) when it is an object; reports it otherwise. */
export function objAt(c: Ctx, arr: JValue, i: i32, base: string): JValue | null {
  const v = arr.items[i];
  if (v.kind == Kind.Object) return v;
  c.w.is(v, ptrI(base, i), Kind.Object);
  return null;
}

// ---- values ---------------------------------------------------------------------------------

/** Reports `s` at `p` unless it is an absolute path (code `<area>.relative`). */
export function absolute(c: Ctx, p: string, s: string): bool {
  if (isAbsolute(s)) return true;
  err(c, p, "relative", "must be an absolute path, not " + q(s));
  return false;
}

/** A string field that must hold an absolute path. */
export function absField(c: Ctx, f: Fields, i: i32): void {
  const v = f.v[i];
  if (v !== null && !isAbsolute(v.str)) absolute(c, f.p(i), v.str);
}

/**
 * Whether `s` is `prefix` followed by one of the space-separated words of `words`. Enumerations
 * are kept as one string each: smaller than an array of literals.
 */
export function inWords(prefix: string, words: string, s: string): bool {
  const pl = prefix.length;
  if (s.length <= pl || !s.startsWith(prefix)) return false;
  const n = s.length - pl;
  const L = words.length;
  let at = 0;
  while (at < L) {
    let end = at;
    while (end < L && words.charCodeAt(end) != 0x20) end++;
    if (end - at == n) {
      let same = true;
      for (let j = 0; j < n && same; j++) same = words.charCodeAt(at + j) == s.charCodeAt(pl + j);
      if (same) return true;
    }
    at = end + 1;
  }
  return false;
}

/** Reports a string that is not in an enumeration, with code `<area>.unknown`. */
function notInEnum(c: Ctx, s: string, p: string, prefix: string, words: string): void {
  const w = words.split(" ");
  let list = "";
  for (let i = 0; i < w.length; i++) list += (i == 0 ? "" : i == w.length - 1 ? " or " : ", ") + prefix + w[i];
  err(c, p, "unknown", "must be " + list + ", not " + q(s));
}

/** A string field from an enumeration; returns it when it is one. */
export function enumField(c: Ctx, f: Fields, i: i32, prefix: string, words: string): JValue | null {
  const v = f.v[i];
  if (v === null || inWords(prefix, words, v.str)) return v;
  notInEnum(c, v.str, f.p(i), prefix, words);
  return null;
}

/** An array field whose items must be strings from an enumeration; returns the array. */
export function enumItems(c: Ctx, f: Fields, i: i32, prefix: string, words: string): JValue | null {
  const a = f.v[i];
  if (a === null) return null;
  for (let k = 0; k < a.items.length; k++) {
    const v = a.items[k];
    if (v.kind == Kind.String && inWords(prefix, words, v.str)) continue;
    const p = ptrI(f.p(i), k);
    if (c.w.is(v, p, Kind.String)) notInEnum(c, v.str, p, prefix, words);
  }
  return a;
}

/** Whether array `a` holds the string `s`. */
export function hasString(a: JValue | null, s: string): bool {
  if (a === null) return false;
  for (let i = 0; i < a.items.length; i++) {
    const v = a.items[i];
    if (v.kind == Kind.String && v.str == s) return true;
  }
  return false;
}

/** Environment entries: NAME=value with a non-empty NAME and no NUL (what runc and execve need). */
export function envField(c: Ctx, f: Fields, i: i32): void {
  const a = f.v[i];
  if (a === null) return;
  for (let k = 0; k < a.items.length; k++) {
    const v = a.items[k];
    if (v.kind == Kind.String && (v.str.indexOf("=") <= 0 || v.str.indexOf("\0") >= 0)) {
      err(c, ptrI(f.p(i), k), "format", "must be NAME=value (no NUL), not " + q(v.str));
    }
  }
}

/** An integer field (type-checked as i64 or u64) that must lie in [min, max] (code `<area>.range`). */
export function within(c: Ctx, f: Fields, i: i32, min: i64, max: i64, note: string): bool {
  const v = f.v[i];
  if (v === null) return true;
  const n = v.i64();
  if (n >= min && n <= max && (n >= 0 || v.isNegative())) return true;
  err(c, f.p(i), "range", "must be from " + min.toString() + " to " + max.toString() + note + ", not " + v.str);
  return false;
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

/** Largest CPU or memory-node number accepted in a list (the kernel's NR_CPUS is at most 8192). */
const LIST_MAX: i32 = 1 << 20;

/** The decimal number at `s[i..end)`; -1 when there is none or it is too large. */
function listNumber(s: string, i: i32, end: i32): i32 {
  if (i >= end) return -1;
  let v: i32 = 0;
  for (let j = i; j < end; j++) {
    v = v * 10 + (s.charCodeAt(j) - 0x30);
    if (v > LIST_MAX) return -1;
  }
  return v;
}

function digitsEnd(s: string, i: i32): i32 {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Whether `s` is a CPU or memory-node list such as "0-3,7" (the kernel's list format; with
 * `stride`, also "0-15:2/4"). Spaces around items are tolerated; "" is an empty list.
 */
export function isList(s: string, stride: bool): bool {
  const n = s.length;
  if (n == 0) return true;
  let i = 0;
  while (true) {
    while (i < n && s.charCodeAt(i) == 0x20) i++;
    let e = digitsEnd(s, i);
    const a = listNumber(s, i, e);
    if (a < 0) return false;
    i = e;
    if (i < n && s.charCodeAt(i) == 0x2d) {
      e = digitsEnd(s, i + 1);
      const b = listNumber(s, i + 1, e);
      if (b < a) return false;
      i = e;
      if (stride && i < n && s.charCodeAt(i) == 0x3a) {
        e = digitsEnd(s, i + 1);
        const used = listNumber(s, i + 1, e);
        if (used <= 0 || e >= n || s.charCodeAt(e) != 0x2f) return false;
        i = e + 1;
        e = digitsEnd(s, i);
        const group = listNumber(s, i, e);
        if (group < used) return false;
        i = e;
      }
    }
    while (i < n && s.charCodeAt(i) == 0x20) i++;
    if (i == n) return true;
    if (s.charCodeAt(i) != 0x2c) return false;
    i++;
  }
  return false;
}

/** A string field holding a CPU or memory-node list (code `<area>.invalid`); returns it when valid. */
export function listField(c: Ctx, f: Fields, i: i32, stride: bool): JValue | null {
  const v = f.v[i];
  if (v === null || isList(v.str, stride)) return v;
  err(c, f.p(i), "invalid", "must be a list like 0-3,7, not " + q(v.str));
  return null;
}

/**
 * Whether `s` can name a network interface (the kernel's dev_valid_name): 1 to 15 bytes, not
 * "." or "..", and no '/', ':' or whitespace.
 */
export function isIfName(s: string): bool {
  if (s.length == 0 || String.UTF8.byteLength(s) > 15 || s == "." || s == "..") return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch == 0x2f || ch == 0x3a || ch == 0x20 || (ch >= 0x09 && ch <= 0x0d)) return false;
  }
  return true;
}
