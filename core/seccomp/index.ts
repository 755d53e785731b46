// linux.seccomp → a classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER).
//
// Semantics follow runc and crun on libseccomp:
// - the native architecture is always filtered, with the listed ones that can run on it; any other
//   architecture gets libseccomp's default bad-arch action, SCMP_ACT_KILL (KILL_THREAD);
// - on x86_64 without SCMP_ARCH_X32, x32 syscall numbers (bit 30) are bad-arch too, except -1
//   (a tracer's skipped syscall), which gets the default action;
// - a rule whose action equals the default action adds nothing; names this build does not know
//   are skipped with a warning;
// - the rules naming a syscall are tried in order, the first that matches decides; an
//   unconditional rule ends the list; the conditions of one rule must all hold, except that
//   several conditions on the same argument make one rule each (runc and crun do that);
// - 64-bit values are compared as two 32-bit halves, high then low; 32-bit ABIs (i386, x32)
//   compare the low halves only; SCMP_CMP_MASKED_EQ is (arg & value) == (valueTwo & value).
//
// Dispatch: the arch word picks a section; each section loads the syscall number and runs a
// binary search tree over number ranges that share a leaf (consecutive numbers with the same
// action are one range). The tree is the optimal alphabetic tree for weights that count every
// number of the architecture alike (x32's 64 times less, argument blocks 32 times more, as their
// tests follow), so wide ranges sit near the root. A leaf is a shared `ret`, or a block testing
// arguments for a syscall with conditional rules; jumps beyond 255 instructions get trampolines.
import { JValue, Obj } from "../json";
import { Diagnostics, Severity, ptr, ptrI, area } from "../diag";
import { Abi, X32_BIT, syscallIndex, syscallNumber, maxNumber } from "./table";
import {
  Emitter, Target, LD_W_ABS, ALU_AND_K, JMP_JEQ_K, JMP_JGT_K, JMP_JGE_K, MAX_INSNS, OFF_NR, OFF_ARCH,
  argLo, argHi, ACTION_NAMES, ACTION_RETS, RET_KILL_THREAD,
} from "./bpf";

const AUDIT_ARCH_X86_64: u32 = 0xc000003e;
const AUDIT_ARCH_I386: u32 = 0x40000003;
const AUDIT_ARCH_AARCH64: u32 = 0xc00000b7;
const EPERM: u32 = 1;

// Comparison operators (the validator's list); OP_EQ and OP_MASKED_EQ are their indices.
const OP_NAMES = "NE LT LE EQ GE GT MASKED_EQ".split(" ");
const OP_EQ = 3;
const OP_MASKED_EQ = 6;

// Outcomes of a word test.
const PASS = 0;
const FAIL = 1;
const NEXT = 2;
const NONE = -1; // cannot happen

class Cond {
  constructor(public arg: i32, public op: i32, public value: u64, public two: u64) {}
}

class Rule {
  constructor(public conds: Cond[], public action: u32) {}
}

// The rules, in profile order, and for each syscall the list of those naming it: links
// (rule index, next link) chained from a slot's head to its tail.
let rules: Rule[] = [];
const linkRule: i32[] = [];
const linkNext: i32[] = [];

/** Syscall numbers are below 1024; x32's carry bit 30: a slot each. */
function slot(nr: u32): i32 { return <i32>(nr & 0x3ff) | (nr >= X32_BIT ? 0x400 : 0); }
function slotNumber(k: i32): u32 { return <u32>(k & 0x3ff) | (k >= 0x400 ? X32_BIT : 0); }

class Section {
  head: StaticArray<i32> = new StaticArray<i32>(0x800); // 1 + the first link, 0 for none
  tail: StaticArray<i32> = new StaticArray<i32>(0x800);
  constructor(public audit: u32, public abi: Abi, public x32: bool) {}

  add(nr: u32, rule: i32): void {
    const k = slot(nr);
    const l = linkRule.length;
    linkRule.push(rule);
    linkNext.push(-1);
    const t = unchecked(this.tail[k]);
    if (t == 0) unchecked(this.head[k] = l + 1);
    else linkNext[t - 1] = l;
    unchecked(this.tail[k] = l + 1);
  }
}

/** A 32-bit word test: `(word & mask)` against `k`, with an outcome for <, == and >. */
class WordTest {
  constructor(public off: i32, public mask: u32, public k: u32, public lt: i32, public eq: i32, public gt: i32) {}
}

/** A condition lowered to tests of its high (optional) and low (optional) words. */
class Lowered {
  constructor(public hi: WordTest | null, public lo: WordTest | null) {}
}

class LRule {
  constructor(public tests: Lowered[], public action: u32, public cond: Cond | null) {}
}

/** A range of numbers with one outcome: a return, or argument tests (`rules`, then `action`). */
class Leaf {
  w: i32 = 0;
  constructor(public lo: u32, public hi: u32, public action: u32, public rules: LRule[] | null, public is32: bool) {}
}

/** The index of `name` (`<prefix><word>`) in `words`, or -1. */
function wordIndex(v: JValue | null, prefix: string, words: string[]): i32 {
  if (v === null || !v.isString() || !v.str.startsWith(prefix)) return -1;
  return words.indexOf(v.str.substring(prefix.length));
}

/** Reads `key` (an action) and `errnoKey` of `o` as a SECCOMP_RET_ value; reports and returns -1 when unusable. */
function readAction(o: JValue, key: string, errnoKey: string, base: string, d: Diagnostics): i64 {
  const p = ptr(base, key);
  const i = wordIndex(o.get(key), "SCMP_ACT_", ACTION_NAMES);
  if (i < 0) {
    d.error(p, area(p, "invalid"), "needs an SCMP_ACT_ action");
    return -1;
  }
  let v = ACTION_RETS[i];
  if (i == 4 || i == 5) { // ERRNO, TRACE
    const e = o.get(errnoKey);
    let errno: u64 = EPERM;
    if (e !== null && e.isNumber()) {
      errno = e.fitsU64() ? e.u64() : 0x10000;
      if (errno > 0xffff) {
        const pe = ptr(base, errnoKey);
        d.error(pe, area(pe, "range"), "the kernel returns 16 bits: at most 65535");
        return -1;
      }
    }
    v |= <u32>errno;
  }
  return v;
}

// ---- conditions -------------------------------------------------------------------------------

/** Outcomes of the low word for an operator: <, ==, > (MASKED_EQ is EQ on the masked word). */
function outcomes(op: i32): i32 {
  // Packed: lt | eq << 2 | gt << 4.
  switch (op) {
    case 0: return PASS | FAIL << 2 | PASS << 4; // NE
    case 1: return PASS | FAIL << 2 | FAIL << 4; // LT
    case 2: return PASS | PASS << 2 | FAIL << 4; // LE
    case 4: return FAIL | PASS << 2 | PASS << 4; // GE
    case 5: return FAIL | FAIL << 2 | PASS << 4; // GT
    default: return FAIL | PASS << 2 | FAIL << 4; // EQ, MASKED_EQ
  }
}

/**
 * A word test with the outcomes the word's range cannot produce marked NONE; null with `konst`
 * set when a single outcome remains.
 */
let konst: i32 = NONE;
function wordTest(off: i32, mask: u32, k: u32, lt: i32, eq: i32, gt: i32): WordTest | null {
  // (word & mask) ranges over [0, mask].
  if (k == 0) lt = NONE;
  if (mask <= k) gt = NONE;
  let only = NONE;
  let many = false;
  if (lt != NONE) only = lt;
  if (eq != NONE) { if (only != NONE && only != eq) many = true; only = eq; }
  if (gt != NONE) { if (only != NONE && only != gt) many = true; only = gt; }
  if (!many) { konst = only; return null; }
  return new WordTest(off, mask, k, lt, eq, gt);
}

/** Lowers a condition; null with `konst` PASS (always holds) or FAIL (never holds). */
function lower(c: Cond, is32: bool): Lowered | null {
  const o = outcomes(c.op);
  const lt = o & 3, eq = (o >> 2) & 3, gt = (o >> 4) & 3;
  let mask: u64 = 0xffffffffffffffff;
  let k = c.value;
  if (c.op == OP_MASKED_EQ) { mask = c.value; k = c.two & mask; }
  const lo = wordTest(argLo(c.arg), <u32>mask, <u32>k, lt, eq, gt);
  const loConst = konst;
  if (is32) return lo === null ? null : new Lowered(null, lo);
  // The high word decides unless equal; then the low word does.
  const next = lo === null ? loConst : NEXT;
  const hi = wordTest(argHi(c.arg), <u32>(mask >> 32), <u32>(k >> 32), lt, next, gt);
  if (hi === null) {
    if (konst == NEXT) { konst = NONE; return lo === null ? null : new Lowered(null, lo); }
    return null;
  }
  return new Lowered(hi, lo);
}

/**
 * The conditional rules of the syscall whose links start at `link` (1-based), lowered, or null
 * when there are none; `finalAction` is what applies when none matches.
 */
let finalAction: u32 = 0;
function lowerRules(link: i32, is32: bool, def: u32): LRule[] | null {
  let out: LRule[] | null = null;
  finalAction = def;
  for (let l = link - 1; l >= 0; l = linkNext[l]) {
    const r = rules[linkRule[l]];
    if (r.conds.length == 0) { finalAction = r.action; break; }
    const tests: Lowered[] = [];
    let never = false;
    for (let j = 0; j < r.conds.length; j++) {
      const w = lower(r.conds[j], is32);
      if (w !== null) tests.push(w);
      else if (konst == FAIL) { never = true; break; }
    }
    if (never) continue;
    if (tests.length == 0) { finalAction = r.action; break; }
    if (out === null) out = [];
    out.push(new LRule(tests, r.action, r.conds.length == 1 && r.conds[0].op == OP_EQ ? r.conds[0] : null));
  }
  if (out !== null) {
    while (out.length > 0 && out[out.length - 1].action == finalAction) out.pop();
    if (out.length == 0) return null;
  }
  return out;
}

// ---- code for argument blocks -------------------------------------------------------------------

// The dynamic programme's tables, kept between calls.
let dpCost = new StaticArray<i32>(0);
let dpRoot = new StaticArray<i32>(0);

class Gen {
  em: Emitter = new Emitter();

  private to(sym: i32, pass: Target, fail: Target, next: Target | null): Target {
    if (sym == PASS) return pass;
    if (sym == FAIL) return fail;
    return next!;
  }

  /** Writes `ld [off]; [and #mask]; jumps` for a word test. */
  word(t: WordTest, pass: Target, fail: Target, next: Target | null): Target {
    const em = this.em;
    const acc = t.mask == 0xffffffff ? t.off : -1;
    let l = t.lt, e = t.eq, g = t.gt;
    if (l == NONE) l = g == NONE ? e : g;
    if (g == NONE) g = l;
    if (l == g) em.jump(JMP_JEQ_K, t.k, this.to(e, pass, fail, next), this.to(l, pass, fail, next), acc);
    else if (e == g) em.jump(JMP_JGE_K, t.k, this.to(e, pass, fail, next), this.to(l, pass, fail, next), acc);
    else if (e == l) em.jump(JMP_JGT_K, t.k, this.to(g, pass, fail, next), this.to(l, pass, fail, next), acc);
    else {
      const eqT = em.jump(JMP_JEQ_K, t.k, this.to(e, pass, fail, next), this.to(l, pass, fail, next), acc);
      em.jump(JMP_JGT_K, t.k, this.to(g, pass, fail, next), new Target(eqT), acc);
    }
    const loaded = em.n - 1;
    if (t.mask != 0xffffffff) em.emit(ALU_AND_K, 0, 0, t.mask);
    const pos = em.emit(LD_W_ABS, 0, 0, <u32>t.off);
    return new Target(pos, -1, t.off, t.mask != 0xffffffff ? pos - 1 : loaded);
  }

  rule(r: LRule, pass: Target, fail: Target): Target {
    for (let i = r.tests.length - 1; i >= 0; i--) {
      const c = r.tests[i];
      const lo: Target | null = c.lo !== null ? this.word(c.lo!, pass, fail, null) : null;
      pass = c.hi !== null ? this.word(c.hi!, pass, fail, lo) : lo!;
    }
    return pass;
  }

  /** `arg == v1 || arg == v2 || …` for rules [from, to) (single EQ conditions on one argument). */
  anyOf(rules: LRule[], from: i32, to: i32, is32: bool, pass: Target, fail: Target): Target {
    const em = this.em;
    const arg = rules[from].cond!.arg;
    // Distinct high words in order, each with its distinct low words.
    const his: u32[] = [];
    for (let i = from; i < to; i++) {
      const h = is32 ? 0 : <u32>(rules[i].cond!.value >> 32);
      if (!his.includes(h)) his.push(h);
    }
    const groups: Target[] = [];
    for (let g = his.length - 1; g >= 0; g--) {
      const los: u32[] = [];
      for (let i = from; i < to; i++) {
        const v = rules[i].cond!.value;
        if ((is32 || <u32>(v >> 32) == his[g]) && !los.includes(<u32>v)) los.push(<u32>v);
      }
      let f = fail;
      for (let i = los.length - 1; i >= 0; i--) f = new Target(em.jump(JMP_JEQ_K, los[i], pass, f, argLo(arg)));
      const loaded = em.n - 1;
      groups.unshift(new Target(em.emit(LD_W_ABS, 0, 0, <u32>argLo(arg)), -1, argLo(arg), loaded));
    }
    if (is32) return groups[0];
    let f = fail;
    for (let g = his.length - 1; g >= 0; g--) f = new Target(em.jump(JMP_JEQ_K, his[g], groups[g], f, argHi(arg)));
    const loaded = em.n - 1;
    return new Target(em.emit(LD_W_ABS, 0, 0, <u32>argHi(arg)), -1, argHi(arg), loaded);
  }

  block(rs: LRule[], final: u32, is32: bool): Target {
    let fail = this.em.ret(final);
    let i = rs.length;
    while (i > 0) {
      // A run of single-EQ rules on one argument with one action is a set test.
      let j = i - 1;
      const c = rs[j].cond;
      if (c !== null) {
        while (j > 0) {
          const p = rs[j - 1].cond;
          if (p === null || p.arg != c.arg || rs[j - 1].action != rs[i - 1].action) break;
          j--;
        }
      }
      const pass = this.em.ret(rs[i - 1].action);
      fail = j < i - 1 ? this.anyOf(rs, j, i, is32, pass, fail) : this.rule(rs[i - 1], pass, fail);
      i = j;
    }
    return fail;
  }

  // ---- the dispatch tree ---------------------------------------------------------------------

  leaves: Leaf[] = [];
  def: u32 = 0;

  private add(lo: u32, hi: u32, action: u32, rules: LRule[] | null, is32: bool): void {
    const n = this.leaves.length;
    if (rules === null && n > 0) {
      const last = unchecked(this.leaves[n - 1]);
      if (last.rules === null && last.action == action && last.hi + 1 == lo) { last.hi = hi; return; }
    }
    this.leaves.push(new Leaf(lo, hi, action, rules, is32));
  }

  /** Leaves covering every number, with weights: `wide` per number of the main ABI, 1 per x32 number. */
  private layout(sec: Section, def: u32): void {
    this.leaves = [];
    let cur: u64 = 0;
    let guard = sec.abi == Abi.X86_64 && !sec.x32;
    for (let i = 0; i <= 0x800; i++) {
      const link = i < 0x800 ? unchecked(sec.head[i]) : 0;
      if (link == 0 && i < 0x800) continue;
      const nr: u64 = link != 0 ? <u64>slotNumber(i) : 0x100000000;
      if (guard && nr >= <u64>X32_BIT) {
        // x32 numbers are a bad architecture, except -1 (a tracer skipping the syscall).
        if (cur < <u64>X32_BIT) this.add(<u32>cur, X32_BIT - 1, def, null, false);
        this.add(X32_BIT, 0xfffffffe, RET_KILL_THREAD, null, false);
        cur = 0xffffffff;
        guard = false;
      }
      if (nr > cur) this.add(<u32>cur, <u32>(nr - 1), def, null, false);
      if (link == 0) break;
      const is32 = sec.abi == Abi.I386 || i >= 0x400;
      const lowered = lowerRules(link, is32, def);
      this.add(<u32>nr, <u32>nr, finalAction, lowered, is32);
      cur = nr + 1;
    }
    const wide = 64;
    const top = <u64>maxNumber(sec.abi);
    const x32top = <u64>X32_BIT + <u64>maxNumber(Abi.X32);
    for (let i = 0; i < this.leaves.length; i++) {
      const l = this.leaves[i];
      let w = 0;
      if (<u64>l.lo <= top) w += wide * <i32>(min(<u64>l.hi, top) - <u64>l.lo + 1);
      if (sec.x32 && <u64>l.hi >= <u64>X32_BIT && <u64>l.lo <= x32top) {
        w += <i32>(min(<u64>l.hi, x32top) - max(<u64>l.lo, <u64>X32_BIT) + 1);
      }
      // Argument blocks cost more below them: keep them shallow.
      if (l.rules !== null) w *= 32;
      l.w = w;
    }
  }

  pre: StaticArray<i32> = new StaticArray<i32>(0);
  optimal: bool = false;

  /**
   * Plans the tree: the optimal alphabetic tree (Knuth's O(n²) dynamic programme) up to 200
   * leaves; beyond, each node splits its leaves where their weight is halved.
   */
  private plan(): void {
    const n = this.leaves.length;
    const pre = new StaticArray<i32>(n + 1);
    for (let i = 0; i < n; i++) unchecked(pre[i + 1] = pre[i] + this.leaves[i].w);
    this.pre = pre;
    this.optimal = n <= 200;
    if (!this.optimal) return;
    if (dpRoot.length < n * n) { dpRoot = new StaticArray<i32>(n * n); dpCost = new StaticArray<i32>(n * n); }
    const root = dpRoot, cost = dpCost;
    for (let i = 0; i < n; i++) unchecked(cost[i * n + i] = 0);
    for (let len = 2; len <= n; len++) {
      for (let i = 0; i + len <= n; i++) {
        const j = i + len - 1;
        const a = len == 2 ? j : unchecked(root[i * n + j - 1]);
        const b = len == 2 ? j : unchecked(root[(i + 1) * n + j]);
        let best = i32.MAX_VALUE;
        let bk = a;
        for (let k = a; k <= b; k++) {
          const c = unchecked(cost[i * n + k - 1]) + unchecked(cost[k * n + j]);
          if (c < best) { best = c; bk = k; }
        }
        unchecked(cost[i * n + j] = best + unchecked(pre[j + 1]) - unchecked(pre[i]));
        unchecked(root[i * n + j] = bk);
      }
    }
  }

  /** The first leaf of the right subtree of leaves [i, j]. */
  private split(i: i32, j: i32): i32 {
    if (this.optimal) return unchecked(dpRoot[i * this.leaves.length + j]);
    const pre = this.pre;
    if (pre[j + 1] == pre[i]) return (i + j + 1) >>> 1;
    const half = pre[i] + (pre[j + 1] - pre[i]) / 2;
    let lo = i + 1, hi = j;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (pre[m] < half) lo = m + 1;
      else hi = m;
    }
    return lo > i + 1 && half - pre[lo - 1] < pre[lo] - half ? lo - 1 : lo;
  }

  private tree(i: i32, j: i32): Target {
    if (i == j) {
      const l = this.leaves[i];
      return l.rules !== null ? this.block(l.rules!, l.action, l.is32) : this.em.ret(l.action);
    }
    const k = this.split(i, j);
    const right = this.tree(k, j);
    const left = this.tree(i, k - 1);
    return new Target(this.em.jump(JMP_JGE_K, this.leaves[k].lo, right, left, OFF_NR));
  }

  section(sec: Section, def: u32): Target {
    this.def = def;
    this.layout(sec, def);
    this.plan();
    this.em.fallTo(this.tree(0, this.leaves.length - 1));
    return new Target(this.em.emit(LD_W_ABS, 0, 0, <u32>OFF_NR));
  }
}

// ---- the profile --------------------------------------------------------------------------------

function u64Of(v: JValue | null): bool { return v !== null && v.isNumber() && v.fitsU64(); }

/** Reads one argument condition; null (reported) when it cannot be used. */
function readCond(g: JValue, p: string, d: Diagnostics): Cond | null {
  const ix = g.get("index"), v = g.get("value"), v2 = g.get("valueTwo");
  const o = wordIndex(g.get("op"), "SCMP_CMP_", OP_NAMES);
  if (!u64Of(ix) || ix!.u64() > 5 || !u64Of(v) || (v2 !== null && !u64Of(v2)) || o < 0) {
    d.error(p, area(p, "invalid"), "needs index 0-5, value (u64) and an SCMP_CMP_ op");
    return null;
  }
  return new Cond(<i32>ix!.u64(), o, v!.u64(), v2 !== null ? v2.u64() : 0);
}

/** The SECCOMP_FILTER_FLAG_ bits of linux.seccomp.flags (for seccomp(2)). */
export function seccompFlags(s: JValue): i64 {
  const f = s.get("flags");
  let bits: i64 = 0;
  if (f === null || !f.isArray()) return 0;
  const names = "TSYNC LOG SPEC_ALLOW WAIT_KILLABLE_RECV".split(" ");
  for (let i = 0; i < f.items.length; i++) {
    const k = wordIndex(f.items[i], "SECCOMP_FILTER_FLAG_", names);
    if (k >= 0) bits |= k == 3 ? 32 : (<i64>1) << k;
  }
  return bits;
}

/**
 * Compiles linux.seccomp for a target ("x86_64" or "aarch64"). Diagnostics point below
 * `pointerBase` (the pointer of linux.seccomp). Returns null, with errors in `d`, when the
 * profile cannot be compiled.
 */
export function compileProgram(s: JValue, arch: string, pointerBase: string, d: Diagnostics): Emitter | null {
  const before = d.list.length;
  const b = pointerBase;
  if (!s.isObject()) {
    d.error(b, area(b, "type"), "must be an object");
    return null;
  }
  rules = [];
  linkRule.length = 0;
  linkNext.length = 0;
  const secs: Section[] = [];
  let x32: Section | null = null;
  let i386: Section | null = null;
  if (arch == "x86_64") secs.push(new Section(AUDIT_ARCH_X86_64, Abi.X86_64, false));
  else if (arch == "aarch64") secs.push(new Section(AUDIT_ARCH_AARCH64, Abi.AARCH64, false));
  else {
    d.error(b, area(b, "arch"), "no seccomp for " + arch + " (x86_64, aarch64)");
    return null;
  }
  const arches = s.get("architectures");
  if (arches !== null && arches.isArray()) {
    for (let i = 0; i < arches.items.length; i++) {
      const a = arches.items[i];
      if (!a.isString()) continue;
      if (arch == "x86_64" && a.str == "SCMP_ARCH_X32") { secs[0].x32 = true; x32 = secs[0]; }
      else if (arch == "x86_64" && a.str == "SCMP_ARCH_X86" && i386 === null) {
        i386 = new Section(AUDIT_ARCH_I386, Abi.I386, false);
        secs.push(i386);
      } else if (arch == "aarch64" && a.str == "SCMP_ARCH_ARM") {
        d.warn(ptrI(ptr(b, "architectures"), i), area(ptr(b, "architectures"), "unsupported"),
          "no table for 32-bit ARM: its syscalls get KILL_THREAD");
      }
    }
  }

  const def = readAction(s, "defaultAction", "defaultErrnoRet", b, d);
  const calls = s.get("syscalls");
  if (def >= 0 && calls !== null && calls.isArray()) {
    const cb = ptr(b, "syscalls");
    for (let i = 0; i < calls.items.length; i++) {
      const e = calls.items[i];
      if (!e.isObject()) continue;
      const eb = ptrI(cb, i);
      const act = readAction(e, "action", "errnoRet", eb, d);
      if (act < 0 || act == def) continue;
      // Conditions; several on one argument make one rule each.
      const conds: Cond[] = [];
      const args = e.get("args");
      let split = false;
      if (args !== null && args.isArray()) {
        let seen = 0;
        for (let j = 0; j < args.items.length; j++) {
          const c = readCond(args.items[j], ptrI(ptr(eb, "args"), j), d);
          if (c === null) continue;
          if ((seen & (1 << c.arg)) != 0) split = true;
          seen |= 1 << c.arg;
          conds.push(c);
        }
        if (split) {
          d.warn(ptr(eb, "args"), area(ptr(eb, "args"), "sameIndex"),
            "conditions on one argument are alternatives (as in runc, crun)");
        }
      }
      const first = rules.length;
      if (split) for (let j = 0; j < conds.length; j++) rules.push(new Rule([conds[j]], <u32>act));
      else rules.push(new Rule(conds, <u32>act));
      const names = e.get("names");
      if (names === null || !names.isArray()) continue;
      for (let j = 0; j < names.items.length; j++) {
        const nv = names.items[j];
        if (!nv.isString()) continue;
        // Names of other architectures' syscalls are skipped quietly, unknown names with a warning.
        const index = syscallIndex(nv.str);
        for (let k = 0; k < 3; k++) {
          const sec = k == 0 ? secs[0] : k == 1 ? x32 : i386;
          if (sec === null) continue;
          const abi = k == 0 ? sec.abi : k == 1 ? Abi.X32 : Abi.I386;
          const nr = syscallNumber(index, abi);
          if (nr < 0) continue;
          for (let r = first; r < rules.length; r++) sec.add(<u32>nr, r);
        }
        if (index < 0) {
          d.warn(ptrI(ptr(eb, "names"), j), area(ptr(eb, "names"), "unknown"),
            "unknown syscall " + nv.str + ": ignored");
        }
      }
    }
  }
  for (let i = before; i < d.list.length; i++) if (d.list[i].severity == Severity.Error) return null;
  if (def < 0) return null;

  const gen = new Gen();
  const em = gen.em;
  const starts: Target[] = [];
  for (let i = secs.length - 1; i >= 0; i--) starts.unshift(gen.section(secs[i], <u32>def));
  let next = em.ret(RET_KILL_THREAD);
  for (let i = secs.length - 1; i >= 0; i--) next = new Target(em.jump(JMP_JEQ_K, secs[i].audit, starts[i], next, OFF_ARCH));
  em.emit(LD_W_ABS, 0, 0, <u32>OFF_ARCH);
  if (em.n > MAX_INSNS) {
    d.error(b, area(b, "tooLong"), em.n.toString() + " instructions: more than the kernel's 4096");
    return null;
  }
  return em;
}

/** linux.seccomp as BPF bytes (struct sock_filter[]), or null with errors in `d`. */
export function compileSeccomp(seccomp: JValue, arch: string, pointerBase: string, d: Diagnostics): ArrayBuffer | null {
  const em = compileProgram(seccomp, arch, pointerBase, d);
  return em === null ? null : em.bytes();
}

export class SeccompOutput {
  constructor(public json: string, public blob: ArrayBuffer | null, public status: i32) {}
}

/** The `seccomp` export: {"seccomp": linux.seccomp, "arch"} → {diagnostics, instructions, flags, text}. */
export function seccompCall(q: JValue): SeccompOutput {
  const d = new Diagnostics();
  const s = q.get("seccomp");
  const a = q.get("arch");
  const arch = a !== null && a.isString() ? a.str : "x86_64";
  let em: Emitter | null = null;
  if (s === null) d.error("/linux/seccomp", "linux.seccomp.required", "input needs \"seccomp\"");
  else em = compileProgram(s, arch, "/linux/seccomp", d);
  const o = new Obj().raw("diagnostics", d.toJSON());
  if (em === null) return new SeccompOutput(o.done(), null, 1);
  o.i64("instructions", em.n).i64("flags", seccompFlags(s!)).raw("text", em.text(true));
  return new SeccompOutput(o.done(), em.bytes(), 0);
}
