// process: capabilities, rlimits, scheduler, I/O priority, CPU affinity.
import { Kind } from "../json";
import { ptr, ptrI } from "../diag";
import { CAPS, rlimitNumber } from "../tables";
import { Ctx } from "./index";
import { err, warn, q, shape, get, objAt, enumField, enumItems, listField, within } from "./util";

/** Whether `s` is CAP_ and a name of the capabilities table (capNumber without allocating). */
function knownCap(s: string): bool {
  if (!s.startsWith("CAP_")) return false;
  const n = s.length - 4;
  for (let i = 0; i < CAPS.length; i++) {
    const k = CAPS[i];
    if (k.length != n) continue;
    let same = true;
    for (let j = 0; j < n && same; j++) same = k.charCodeAt(j) == s.charCodeAt(4 + j);
    if (same) return true;
  }
  return false;
}

export function capabilities(c: Ctx): void {
  const caps = get(c.process, "capabilities", Kind.Object);
  if (caps === null) return;
  const f = shape(c, caps, ptr("/process", "capabilities"), "bounding:S effective:S inheritable:S permitted:S ambient:S");
  for (let s = 0; s < 5; s++) {
    const a = f.v[s];
    if (a === null) continue;
    for (let i = 0; i < a.items.length; i++) {
      const v = a.items[i];
      // The spec asks for a warning, not an error, for capabilities that cannot be mapped.
      if (v.kind == Kind.String && !knownCap(v.str)) warn(c, ptrI(f.p(s), i), "unknown", "unknown capability " + q(v.str) + " is ignored");
    }
  }
  // capset(2) fails with EPERM when the effective set is not a subset of the permitted set.
  const eff = f.v[1], perm = f.v[3];
  if (eff === null || perm === null) return;
  for (let i = 0; i < eff.items.length; i++) {
    const v = eff.items[i];
    if (v.kind != Kind.String || !knownCap(v.str)) continue;
    let found = false;
    for (let j = 0; j < perm.items.length && !found; j++) found = perm.items[j].kind == Kind.String && perm.items[j].str == v.str;
    if (!found) err(c, ptrI(f.p(1), i), "notPermitted", v.str + " is not permitted: capset(2) would fail");
  }
}

export function rlimits(c: Ctx): void {
  const a = get(c.process, "rlimits", Kind.Array);
  if (a === null) return;
  const b = ptr("/process", "rlimits");
  const seen: string[] = [];
  for (let i = 0; i < a.items.length; i++) {
    const e = objAt(c, a, i, b);
    if (e === null) continue;
    const eb = ptrI(b, i);
    const f = shape(c, e, eb, "type:s! soft:u64! hard:u64!");
    const t = f.v[0];
    if (t !== null) {
      if (rlimitNumber(t.str) < 0) err(c, f.p(0), "unknown", "unknown rlimit " + q(t.str));
      else if (seen.includes(t.str)) err(c, eb, "duplicate", t.str + " is listed twice");
      else seen.push(t.str);
    }
    const soft = f.v[1], hard = f.v[2];
    if (soft !== null && hard !== null && soft.u64() > hard.u64()) err(c, f.p(1), "aboveHard", "soft limit " + soft.str + " is above the hard limit " + hard.str);
  }
}

/** The kernel's smallest SCHED_DEADLINE runtime (1 << DL_SCALE nanoseconds). */
const DL_MIN_RUNTIME: u64 = 1024;

export function scheduler(c: Ctx): void {
  const s = get(c.process, "scheduler", Kind.Object);
  if (s === null) return;
  const f = shape(c, s, ptr("/process", "scheduler"), "policy:s! nice:-20..19 priority:i32 flags:a runtime:u64 deadline:u64 period:u64");
  const pol = enumField(c, f, 0, "SCHED_", "OTHER FIFO RR BATCH ISO IDLE DEADLINE");
  enumItems(c, f, 3, "SCHED_FLAG_", "RESET_ON_FORK RECLAIM DL_OVERRUN KEEP_POLICY KEEP_PARAMS UTIL_CLAMP_MIN UTIL_CLAMP_MAX");
  if (pol === null) return;
  const policy = pol.str;
  const prio = f.v[2];
  if (policy == "SCHED_FIFO" || policy == "SCHED_RR") {
    if (!f.has(2)) err(c, f.p(2), "required", policy + " needs a priority from 1 to 99");
    else within(c, f, 2, 1, 99, " for " + policy);
  } else if (prio !== null && prio.i64() != 0) {
    err(c, f.p(2), "policy", "only SCHED_FIFO and SCHED_RR take one, not " + policy);
  }
  // runtime, deadline and period are fields 4 to 6.
  const vals = new Array<u64>(3);
  for (let i = 0; i < 3; i++) {
    if (!f.has(4 + i)) continue;
    const v = f.v[4 + i];
    if (v === null) return; // reported by shape
    vals[i] = v.u64();
    if (policy != "SCHED_DEADLINE" && vals[i] != 0) err(c, f.p(4 + i), "policy", "only SCHED_DEADLINE takes one, not " + policy);
  }
  if (policy != "SCHED_DEADLINE") return;
  // __checkparam_dl: 1024 <= runtime <= deadline <= period (period 0 means deadline), all < 2^63.
  const r = vals[0], d = vals[1], t = vals[2];
  const top: u64 = <u64>1 << 63;
  let bad = -1;
  if (r < DL_MIN_RUNTIME || r >= top) bad = 4;
  else if (d < r || d >= top) bad = 5;
  else if (t != 0 && (t < d || t >= top)) bad = 6;
  if (bad >= 0) err(c, f.p(bad), "range", "needs 1024 <= runtime <= deadline <= period < 2^63");
}

export function ioPriority(c: Ctx): void {
  const io = get(c.process, "ioPriority", Kind.Object);
  if (io === null) return;
  const f = shape(c, io, ptr("/process", "ioPriority"), "class:s! priority:0..7!");
  enumField(c, f, 0, "IOPRIO_CLASS_", "RT BE IDLE");
}

export function execCPUAffinity(c: Ctx): void {
  const a = get(c.process, "execCPUAffinity", Kind.Object);
  if (a === null) return;
  const f = shape(c, a, ptr("/process", "execCPUAffinity"), "initial:s final:s");
  listField(c, f, 0, false);
  listField(c, f, 1, false);
}
