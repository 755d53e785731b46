// Fuzzing validate: at least 10,000 configs mutated from the spec's test configs and the fixtures
// with a seeded PRNG (the run is deterministic). Every call must return (a trap throws a
// WebAssembly.RuntimeError), the output must be JSON of the documented shape whose pointers lead
// into the input, the same input must give the same output, and the memory must stop growing
// after a warm-up.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { load } from "../lib/core.mjs";
import { prng } from "../lib/prng.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const SPEC = here("../../../shared/runtime-spec/schema/test/config/");
const FIXTURES = here("../fixtures/configs/");
const COUNT = 10000;

const seeds = [];
for (const dir of [SPEC + "good/", SPEC + "bad/", FIXTURES]) {
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) seeds.push(readFileSync(dir + f, "utf8"));
}
seeds.push(readFileSync(here("../fixtures/seccomp/docker-default.json"), "utf8"));

const rnd = prng(0xc0ffee);
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rnd() < p;

/** A number written as raw JSON text (beyond what a JS number can hold). */
class Raw { constructor(text) { this.text = text; } }
const HUGE = ["1e400", "-1e400", "99999999999999999999999", "18446744073709551616", "18446744073709551615",
  "-9223372036854775809", "9223372036854775808", "-0", "0.5", "1E+2", "4294967296", "-1", "1e-400", "123456789012345678901234567890.5"];
const STRINGS = ["", "x", "/", "rel/path", "/abs/path", "SCMP_ACT_NOTIFY", "CAP_SYS_ADMIN", "RLIMIT_NOFILE", "user", "time",
  "0-3,7", "3-1", "2MB", "64kB", "a/b~c", "..", "net.ipv4.ip_forward", "kernel.shmmax", "vm.swappiness", "é", "😀", "A=b", "=", "p", "c"];
function randomValue(depth = 0) {
  switch (int(depth > 2 ? 6 : 9)) {
    case 0: return null;
    case 1: return chance(0.5);
    case 2: return pick([0, 1, -1, 2, 7, 1000, 1.5, -1000, 4294967295, 65536]);
    case 3: return new Raw(pick(HUGE));
    case 4: return pick(STRINGS);
    case 5: return "s".repeat(int(300));
    case 6: return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(STRINGS), randomValue(depth + 1)]));
    default: return [];
  }
}

/** Every container (object or array) in a value, with its path. */
function containers(v, out = []) {
  if (v && typeof v === "object" && !(v instanceof Raw)) {
    out.push(v);
    for (const k of Object.keys(v)) containers(v[k], out);
  }
  return out;
}

function mutateValue(root) {
  const all = containers(root);
  const n = 1 + int(3);
  for (let i = 0; i < n; i++) {
    const c = pick(all);
    const keys = Object.keys(c);
    const kind = int(6);
    if (kind === 0 && keys.length) {
      // type swap
      c[pick(keys)] = randomValue();
    } else if (kind === 1 && keys.length) {
      // delete a member or an item
      const k = pick(keys);
      if (Array.isArray(c)) c.splice(Number(k), 1); else delete c[k];
    } else if (kind === 2) {
      // add a member or an item
      if (Array.isArray(c)) c.push(randomValue()); else c[pick(STRINGS) || "k"] = randomValue();
    } else if (kind === 3) {
      // numbers that do not fit
      for (const k of keys) if (typeof c[k] === "number" && chance(0.5)) c[k] = new Raw(pick(HUGE));
    } else if (kind === 4 && keys.length) {
      // replace a string with a tricky one
      const k = pick(keys);
      c[k] = typeof c[k] === "string" ? pick(STRINGS) : c[k];
    } else if (keys.length) {
      // duplicate an item of an array, or swap values between two members
      const k = pick(keys);
      if (Array.isArray(c)) c.push(structuredClone(c[k] instanceof Raw ? c[k].text : c[k]));
      else { const j = pick(keys); [c[k], c[j]] = [c[j], c[k]]; }
    }
  }
}

/** JSON text for a value; with `dup`, one object of it repeats one of its keys. */
function serialize(v, dup) {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return "[" + v.map((x) => serialize(x, dup)).join(",") + "]";
  if (v && typeof v === "object") {
    const parts = Object.keys(v).map((k) => JSON.stringify(k) + ":" + serialize(v[k], dup));
    if (dup && dup.target === v && parts.length) parts.push(pick(parts));
    return "{" + parts.join(",") + "}";
  }
  return JSON.stringify(v) ?? "null";
}

const enc = new TextEncoder();
function byteEdits(bytes) {
  const b = Array.from(bytes);
  const n = 1 + int(5);
  for (let i = 0; i < n && b.length; i++) {
    const at = int(b.length);
    switch (int(4)) {
      case 0: b[at] = int(256); break;
      case 1: b.splice(at, 1); break;
      case 2: b.splice(at, 0, int(256)); break;
      default: b.splice(at, 0, ...b.slice(at, at + int(40)));
    }
  }
  return Uint8Array.from(b);
}
const BAD_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf0, 0x9f, 0x98]];
/** Invalid UTF-8 inside a string value: right after an opening quote. */
function badUtf8(text) {
  const b = Array.from(enc.encode(text));
  const quotes = [];
  for (let i = 0; i < b.length; i++) if (b[i] === 0x22) quotes.push(i);
  const at = quotes.length ? pick(quotes) + 1 : 0;
  b.splice(at, 0, ...pick(BAD_UTF8));
  return Uint8Array.from(b);
}
const SURROGATES = ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\udc00\\ud800", "\\ud83d", "\\u", "\\uZZZZ", "\\ud83d\\ude00"];
function loneSurrogate(text) {
  const quotes = [];
  for (let i = 0; i < text.length; i++) if (text[i] === '"') quotes.push(i);
  const at = quotes.length ? pick(quotes) + 1 : 0;
  return text.slice(0, at) + pick(SURROGATES) + text.slice(at);
}
function deepNest(text) {
  const depth = pick([126, 127, 128, 129, 130, 200, 5000, 100000]);
  const open = chance(0.5) ? "[" : '{"a":';
  const close = open === "[" ? "]" : "}";
  const inner = open.repeat(depth) + "1" + close.repeat(depth);
  if (chance(0.3)) return inner; // the whole document
  let v;
  try { v = JSON.parse(text); } catch { return inner; }
  if (!v || typeof v !== "object") return inner;
  v.linux = v.linux && typeof v.linux === "object" ? v.linux : {};
  v.linux.deep = new Raw(inner);
  return serialize(v);
}

/** Builds the deterministic list of inputs (strings or bytes). */
function inputs() {
  const out = [];
  for (let i = 0; i < COUNT; i++) {
    const seed = pick(seeds);
    const r = rnd();
    if (r < 0.55) {
      let v;
      try { v = JSON.parse(seed); } catch { out.push(seed); continue; }
      mutateValue(v);
      const dup = chance(0.1) ? { target: pick(containers(v).filter((c) => !Array.isArray(c))) } : null;
      out.push(serialize(v, dup));
    } else if (r < 0.75) out.push(byteEdits(enc.encode(seed)));
    else if (r < 0.85) out.push(badUtf8(seed));
    else if (r < 0.93) out.push(loneSurrogate(seed));
    else out.push(deepNest(seed));
  }
  return out;
}

const POINTER = /^(\/([^~/]|~[01])*)*$/;
function resolve(doc, pointer) {
  let v = doc;
  for (const t of pointer.split("/").slice(1)) {
    const k = t.replaceAll("~1", "/").replaceAll("~0", "~");
    if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, k)) return { ok: false };
    v = v[k];
  }
  return { ok: true, v };
}
const dec = new TextDecoder("utf-8", { fatal: true });

function checkResult(input, r) {
  assert.ok(r.status === 0 || r.status === 1, "status");
  const out = JSON.parse(r.text);
  assert.equal(Object.keys(out), ["valid", "diagnostics"]);
  assert.type(out.valid, "boolean");
  assert.ok(Array.isArray(out.diagnostics));
  let errors = 0;
  for (const d of out.diagnostics) {
    assert.type(d.pointer, "string");
    assert.ok(POINTER.test(d.pointer), `not a JSON Pointer: ${d.pointer}`);
    assert.type(d.code, "string");
    assert.ok(d.code.length > 0);
    assert.type(d.message, "string");
    assert.ok(d.message.length > 0);
    assert.ok(d.severity === "error" || d.severity === "warning", d.severity);
    if (d.severity === "error") errors++;
  }
  assert.is(out.valid, errors === 0, "valid means no errors");
  assert.is(r.status, out.valid ? 0 : 1, "status follows validity");
  const syntax = out.diagnostics.some((d) => d.code === "json.syntax");
  if (syntax) {
    assert.is(out.diagnostics.length, 1);
    assert.type(out.diagnostics[0].offset, "number");
    return out;
  }
  // The core accepted the text as JSON: every pointer (or, for a missing member, its parent)
  // must lead into the document.
  const doc = JSON.parse(typeof input === "string" ? input : dec.decode(input));
  for (const d of out.diagnostics) {
    if (resolve(doc, d.pointer).ok) continue;
    const parent = d.pointer.slice(0, d.pointer.lastIndexOf("/"));
    assert.ok(resolve(doc, parent).ok, `${d.code}: neither ${d.pointer} nor its parent is in the input`);
  }
  return out;
}

const cases = inputs();

test(`fuzz: ${COUNT} mutated configs never trap, keep the output shape and keep memory stable`, async () => {
  assert.ok(cases.length >= 10000);
  const core = await load();
  const first = new Array(cases.length);
  let syntax = 0, invalid = 0, valid = 0;
  for (let i = 0; i < cases.length; i++) {
    let r;
    try {
      r = core.raw("validate", cases[i]);
    } catch (e) {
      const text = typeof cases[i] === "string" ? cases[i] : new TextDecoder().decode(cases[i]);
      assert.unreachable(`input ${i} trapped (${e && e.constructor && e.constructor.name}: ${e && e.message}): ${text.slice(0, 400)}`);
    }
    const out = checkResult(cases[i], r);
    if (out.diagnostics.some((d) => d.code === "json.syntax")) syntax++;
    else if (out.valid) valid++;
    else invalid++;
    first[i] = r.text;
  }
  // Each kind of outcome is exercised.
  assert.ok(syntax > 1000 && invalid > 1000 && valid > 100, `syntax ${syntax}, invalid ${invalid}, valid ${valid}`);
  // Warmed up by the first pass: the second pass gives the same answers and grows nothing.
  const size = core.memory.buffer.byteLength;
  for (let i = 0; i < cases.length; i++) {
    const r = core.raw("validate", cases[i]);
    if (r.text !== first[i]) assert.unreachable(`input ${i}: a second call answered differently`);
  }
  assert.is(core.memory.buffer.byteLength, size, "memory grew after the warm-up");
});

test("fuzz: every member of spec-example.json, in turn, replaced by each kind of value", async () => {
  const core = await load();
  const base = JSON.parse(readFileSync(SPEC + "good/spec-example.json", "utf8"));
  const values = [null, true, -1, 1.5, new Raw("1e400"), new Raw("18446744073709551616"), "", "x", [], {}, [null], { a: null }];
  const paths = [];
  (function walk(v, path) {
    if (path.length) paths.push(path);
    if (v && typeof v === "object") for (const k of Object.keys(v)) walk(v[k], [...path, k]);
  })(base, []);
  let calls = 0;
  for (const path of paths) {
    for (const value of values) {
      const doc = structuredClone(base);
      let c = doc;
      for (const k of path.slice(0, -1)) c = c[k];
      c[path[path.length - 1]] = value;
      const text = serialize(doc);
      let r;
      try { r = core.raw("validate", text); } catch (e) { assert.unreachable(`${path.join("/")} = ${serialize(value)} trapped: ${e}`); }
      checkResult(text, r);
      calls++;
    }
  }
  assert.ok(calls > 3000, String(calls));
});

test("fuzz: nesting exactly at the depth limit parses, one deeper is a syntax error", async () => {
  const core = await load();
  // n levels in all: the config object, then n - 1 nested arrays. The reader allows 128.
  const nest = (n) => '{"ociVersion":"1.0.0","root":{"path":"r"},"annotations":' + "[".repeat(n - 1) + "]".repeat(n - 1) + "}";
  const at = core.call("validate", nest(128));
  assert.is(at.json.diagnostics[0].code, "annotations.type");
  const past = core.call("validate", nest(129));
  assert.is(past.json.diagnostics[0].code, "json.syntax");
  const huge = core.call("validate", "[".repeat(200000));
  assert.is(huge.json.diagnostics[0].code, "json.syntax");
});

test("fuzz: a thousand calls on one config leave the memory as it was", async () => {
  const core = await load();
  const text = readFileSync(FIXTURES + "podman-run.json", "utf8");
  for (let i = 0; i < 50; i++) core.call("validate", text);
  const size = core.memory.buffer.byteLength;
  for (let i = 0; i < 1000; i++) core.call("validate", text);
  assert.is(core.memory.buffer.byteLength, size);
});

test.run();
