#!/usr/bin/env node
// Generates core/seccomp/syscalls.ts, the syscall name tables the seccomp compiler resolves
// names with, from the kernel's UAPI headers (Debian's linux-libc-dev):
//   x86_64  asm/unistd_64.h        i386  asm/unistd_32.h
//   x32     asm/unistd_x32.h       aarch64  asm-generic/unistd.h, with arm64's __ARCH_WANT_*
//   node scripts/gen-syscalls.mjs [--check] [--include DIR]
//
// The table is small on purpose (it lives in the wasm module):
// - names: sorted, front-coded (a byte < 32 starts a name and says how many bytes it shares with
//   the previous one), then byte-pair encoded (bytes >= 128 stand for a pair of bytes, listed in
//   NAME_PAIRS, expanded recursively);
// - numbers: one stream of 9-bit values, little-endian bit order. A value < NAME_COUNT is the name
//   index of the next syscall number, a value in [NAME_COUNT, END) skips (value - NAME_COUNT + 1)
//   numbers, END closes a section. Sections: x86_64 from 0, i386 from 0, aarch64 from 0, the
//   numbers every architecture shares (from 424, Linux 5.1: x32 adds its bit), x32's own numbers
//   (from 512), then the names x86_64 has that x32 numbers differently or not at all.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const check = args.includes("--check");
const inc = args.includes("--include") ? args[args.indexOf("--include") + 1] : "/usr/include";
const OUT = join(root, "core/seccomp/syscalls.ts");

const COMMON_FROM = 424;
const X32_OWN_FROM = 512;
const END = 511;

/**
 * Syscalls added after the installed headers. Since Linux 5.1 (424) every architecture uses the
 * same number for a new syscall (x32: the same number with its bit), so one list serves them all.
 */
const NEWER = [
  ["cachestat", 451], ["fchmodat2", 452], ["map_shadow_stack", 453], ["futex_wake", 454],
  ["futex_wait", 455], ["futex_requeue", 456], ["statmount", 457], ["listmount", 458],
  ["lsm_get_self_attr", 459], ["lsm_set_self_attr", 460], ["lsm_list_modules", 461], ["mseal", 462],
  ["setxattrat", 463], ["getxattrat", 464], ["listxattrat", 465], ["removexattrat", 466],
  ["open_tree_attr", 467], ["file_getattr", 468], ["file_setattr", 469], ["listns", 470],
];

function header(rel) {
  const p = join(inc, rel);
  if (!existsSync(p)) {
    console.error(`gen-syscalls: ${p} is missing (apt-get install linux-libc-dev)`);
    process.exit(1);
  }
  return readFileSync(p, "utf8");
}

/** `#define __NR_name N` and `#define __NR_name (__X32_SYSCALL_BIT + N)` lines. */
function simple(text) {
  const m = new Map();
  for (const line of text.split("\n")) {
    const r = line.match(/^#define __NR_(\w+)\s+(?:\(__X32_SYSCALL_BIT \+ )?(\d+)\)?\s*$/);
    if (r) m.set(r[1], Number(r[2]));
  }
  return m;
}

/**
 * asm-generic/unistd.h as arm64 includes it: a tiny preprocessor for its #if/#ifdef/#ifndef/
 * #else/#endif and #define lines, with arm64's __ARCH_WANT_* and a 64-bit long.
 */
function generic(text, predefined) {
  const defs = new Map(Object.entries(predefined));
  const stack = []; // [active, taken]
  const active = () => stack.every((s) => s[0]);
  const value = (name, depth = 0) => {
    const v = defs.get(name);
    if (v === undefined || depth > 8) return undefined;
    if (/^\d+$/.test(v)) return Number(v);
    return /^\w+$/.test(v) ? value(v, depth + 1) : undefined;
  };
  const evaluate = (expr) => {
    const e = expr
      .replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_, a, b) => (defs.has(a || b) ? "1" : "0"))
      .replace(/\b[A-Za-z_]\w*\b/g, (id) => String(value(id) ?? 0));
    if (!/^[\d\s()!=<>&|]*$/.test(e)) throw new Error(`cannot evaluate #if ${expr}`);
    return Boolean(Function(`return (${e});`)());
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    let r;
    if ((r = line.match(/^#\s*ifdef\s+(\w+)/))) { const c = defs.has(r[1]); stack.push([c, c]); continue; }
    if ((r = line.match(/^#\s*ifndef\s+(\w+)/))) { const c = !defs.has(r[1]); stack.push([c, c]); continue; }
    if ((r = line.match(/^#\s*if\s+(.*)$/))) { const c = active() && evaluate(r[1]); stack.push([c, c]); continue; }
    if ((r = line.match(/^#\s*elif\s+(.*)$/))) {
      const top = stack[stack.length - 1];
      const c = !top[1] && evaluate(r[1]);
      top[0] = c; top[1] = top[1] || c; continue;
    }
    if (/^#\s*else\b/.test(line)) { const top = stack[stack.length - 1]; top[0] = !top[1]; top[1] = true; continue; }
    if (/^#\s*endif\b/.test(line)) { stack.pop(); continue; }
    if (!active()) continue;
    if ((r = line.match(/^#\s*define\s+(\w+)(?:\s+(.*?))?\s*$/))) { defs.set(r[1], r[2] ?? ""); continue; }
    if ((r = line.match(/^#\s*undef\s+(\w+)/))) defs.delete(r[1]);
  }
  const m = new Map();
  for (const name of defs.keys()) {
    if (!name.startsWith("__NR_") || name === "__NR_syscalls" || name === "__NR_arch_specific_syscall") continue;
    const n = value(name);
    if (n !== undefined) m.set(name.slice(5), n);
  }
  return m;
}

const x86_64 = simple(header("x86_64-linux-gnu/asm/unistd_64.h"));
const i386 = simple(header("x86_64-linux-gnu/asm/unistd_32.h"));
const x32 = simple(header("x86_64-linux-gnu/asm/unistd_x32.h"));
const aarch64 = generic(header("asm-generic/unistd.h"), {
  __BITS_PER_LONG: "64",
  __ARCH_WANT_RENAMEAT: "", __ARCH_WANT_NEW_STAT: "", __ARCH_WANT_SET_GET_RLIMIT: "",
  __ARCH_WANT_TIME32_SYSCALLS: "", __ARCH_WANT_SYS_CLONE3: "", __ARCH_WANT_MEMFD_SECRET: "",
});
const version = (header("linux/version.h").match(/LINUX_VERSION_CODE (\d+)/) || [])[1];
const kver = version ? `${version >> 16}.${(version >> 8) & 255}` : "unknown";

function fail(msg) { console.error("gen-syscalls: " + msg); process.exit(1); }
for (const [name, t] of [["x86_64", x86_64], ["i386", i386], ["x32", x32], ["aarch64", aarch64]]) {
  if (t.size < 250) fail(`only ${t.size} ${name} syscalls found`);
  if (name === "aarch64" && (t.get("openat") !== 56 || t.get("fstat") !== 80 || t.has("open"))) fail("asm-generic/unistd.h was not read as arm64 reads it");
}

// The shared numbers: what the headers have from 424 on, then the newer ones.
const common = new Map();
for (const t of [x86_64, i386, aarch64]) {
  for (const [name, n] of t) if (n >= COMMON_FROM) common.set(name, n);
}
for (const [name, n] of NEWER) if (!common.has(name)) common.set(name, n);
const byNumber = new Map();
for (const [name, n] of common) {
  if (byNumber.has(n) && byNumber.get(n) !== name) fail(`${n} is both ${byNumber.get(n)} and ${name}`);
  byNumber.set(n, name);
  for (const [an, t] of [["x86_64", x86_64], ["i386", i386], ["aarch64", aarch64], ["x32", x32]]) {
    if (t.has(name) && t.get(name) !== n) fail(`${name} is ${t.get(name)} on ${an}, not ${n}`);
  }
}
for (const [an, t] of [["x86_64", x86_64], ["i386", i386], ["aarch64", aarch64], ["x32", x32]]) {
  for (const [name, n] of t) if (n >= COMMON_FROM && n < X32_OWN_FROM && common.get(name) !== n) fail(`${an} ${name}=${n} is not shared`);
}

const names = [...new Set([...x86_64.keys(), ...i386.keys(), ...x32.keys(), ...aarch64.keys(), ...common.keys()])].sort();
const index = new Map(names.map((n, i) => [n, i]));
const NAME_COUNT = names.length;
if (NAME_COUNT + 8 >= END) fail("too many names for 9-bit indices");

// ---- names: front coding, then byte-pair encoding -----------------------------------------------
let stream = [];
let prev = "";
for (const n of names) {
  if (!/^[a-z0-9_]+$/.test(n)) fail(`unexpected syscall name ${n}`);
  let p = 0;
  while (p < n.length && p < prev.length && p < 31 && n[p] === prev[p]) p++;
  stream.push(p);
  for (const c of n.slice(p)) stream.push(c.charCodeAt(0));
  prev = n;
}
const pairs = [];
for (let code = 128; code < 256; code++) {
  const count = new Map();
  for (let i = 0; i + 1 < stream.length; i++) {
    const k = stream[i] * 256 + stream[i + 1];
    count.set(k, (count.get(k) || 0) + 1);
  }
  let best = -1, most = 0;
  for (const [k, c] of count) if (c > most || (c === most && k < best)) { most = c; best = k; }
  if (most < 4) break;
  const a = best >> 8, b = best & 255;
  pairs.push(a, b);
  const next = [];
  for (let i = 0; i < stream.length; i++) {
    if (i + 1 < stream.length && stream[i] === a && stream[i + 1] === b) { next.push(code); i++; } else next.push(stream[i]);
  }
  stream = next;
}

// ---- numbers: 9-bit stream -------------------------------------------------------------------
const values = [];
function section(entries, from, to) {
  // entries: Map number -> name, emitted for numbers [from, to]
  let skip = 0;
  const flush = () => {
    while (skip > 0) {
      const s = Math.min(skip, END - NAME_COUNT);
      values.push(NAME_COUNT + s - 1);
      skip -= s;
    }
  };
  for (let n = from; n <= to; n++) {
    const name = entries.get(n);
    if (name === undefined) { skip++; continue; }
    flush();
    values.push(index.get(name));
  }
  values.push(END);
}
function below(t, limit) {
  const m = new Map();
  let max = -1;
  for (const [name, n] of t) if (n < limit) {
    if (m.has(n)) fail(`two names for ${n}: ${m.get(n)}, ${name}`);
    m.set(n, name);
    max = Math.max(max, n);
  }
  return [m, max];
}
for (const t of [x86_64, i386, aarch64]) {
  const [m, max] = below(t, COMMON_FROM);
  section(m, 0, max);
}
section(byNumber, COMMON_FROM, Math.max(...byNumber.keys()));
const x32own = new Map();
for (const [name, n] of x32) if (n >= X32_OWN_FROM) x32own.set(n, name);
section(x32own, X32_OWN_FROM, Math.max(...x32own.keys()));
// x86_64 names x32 numbers differently or lacks (below the shared range).
for (const [name, n] of x86_64) {
  if (n < COMMON_FROM && x32.get(name) !== n) values.push(index.get(name));
}
values.push(END);
for (const [name, n] of x32) {
  if (n < COMMON_FROM && x86_64.get(name) !== n) fail(`x32 ${name}=${n} is not an x86_64 number`);
}
const bits = [];
{
  let acc = 0, nb = 0;
  for (const v of values) {
    acc |= v << nb;
    nb += 9;
    while (nb >= 8) { bits.push(acc & 255); acc >>>= 8; nb -= 8; }
  }
  if (nb > 0) bits.push(acc & 255);
}

// ---- check the encoding by decoding it ------------------------------------------------------
{
  const out = [];
  const expand = (b) => { if (b < 128) out.push(b); else { expand(pairs[(b - 128) * 2]); expand(pairs[(b - 128) * 2 + 1]); } };
  for (const b of stream) expand(b);
  const dec = [];
  let cur = [];
  for (const b of out) {
    if (b < 32) { if (dec.length || cur.length) dec.push(String.fromCharCode(...cur)); cur = cur.slice(0, b); } else cur.push(b);
  }
  dec.push(String.fromCharCode(...cur));
  if (dec.join(",") !== names.join(",")) fail("name encoding does not round-trip");
}

const wrap = (arr) => {
  const lines = [];
  for (let i = 0; i < arr.length; i += 32) lines.push("  " + arr.slice(i, i + 32).join(","));
  return lines.join(",\n");
};
const text = `// Generated by scripts/gen-syscalls.mjs from the kernel headers (linux-libc-dev ${kver}) plus the
// syscalls added since (numbered alike on every architecture). Do not edit.
// ${NAME_COUNT} names: x86_64 ${x86_64.size}, i386 ${i386.size}, x32 ${x32.size}, aarch64 ${aarch64.size}, shared from ${COMMON_FROM}: ${common.size}.

export const NAME_COUNT: i32 = ${NAME_COUNT};
export const NUMBERS_END: i32 = ${END};
export const COMMON_FROM: i32 = ${COMMON_FROM};
export const X32_OWN_FROM: i32 = ${X32_OWN_FROM};

/** Byte pairs that the name bytes 128 + i stand for. */
export const NAME_PAIRS: usize = memory.data<u8>([
${wrap(pairs)}
]);

/** Front-coded, byte-pair encoded syscall names, sorted. */
export const NAME_BYTES_LEN: i32 = ${stream.length};
export const NAME_BYTES: usize = memory.data<u8>([
${wrap(stream)}
]);

/** The 9-bit number stream: x86_64, i386, aarch64, shared, x32's own, x32's missing. */
export const NUMBERS_LEN: i32 = ${bits.length};
export const NUMBERS: usize = memory.data<u8>([
${wrap(bits)}
]);
`;

if (check) {
  const cur = existsSync(OUT) ? readFileSync(OUT, "utf8") : "";
  if (cur !== text) fail("core/seccomp/syscalls.ts is out of date: run node scripts/gen-syscalls.mjs");
  console.log("core/seccomp/syscalls.ts is up to date");
} else {
  writeFileSync(OUT, text);
  console.log(`wrote core/seccomp/syscalls.ts: ${NAME_COUNT} names, ${stream.length + pairs.length} name bytes, ${bits.length} number bytes`);
}
