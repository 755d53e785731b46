// linux.resources: the cgroup settings.
import { Kind } from "../json";
import { ptr, ptrI } from "../diag";
import { Ctx } from "./index";
import { Fields, err, warn, q, ignored, shape, get, objAt, listField, within, inWords } from "./util";

const B = ptr("/linux", "resources");

export function resourcesSection(c: Ctx): void {
  const r = c.resources;
  if (r !== null) shape(c, r, B, "devices:a memory:o cpu:o pids:o blockIO:o hugepageLimits:a network:o rdma:o unified:o");
}

export function deviceRules(c: Ctx): void {
  const a = get(c.resources, "devices", Kind.Array);
  if (a === null) return;
  const b = ptr(B, "devices");
  for (let i = 0; i < a.items.length; i++) {
    const e = objAt(c, a, i, b);
    if (e === null) continue;
    const f = shape(c, e, ptrI(b, i), "allow:b! type:s major:i64 minor:i64 access:s");
    const t = f.v[1];
    if (t !== null && !inWords("", "a b c", t.str)) err(c, f.p(1), "invalid", "must be a, b or c, not " + q(t.str));
    // Unset means "all"; some tools write -1 for it.
    within(c, f, 2, -1, i64.MAX_VALUE, " (-1: all)");
    within(c, f, 3, -1, i64.MAX_VALUE, " (-1: all)");
    const acc = f.v[4];
    if (acc !== null) {
      let ok = true;
      for (let j = 0; j < acc.str.length && ok; j++) ok = "rwm".includes(acc.str.charAt(j));
      if (!ok) err(c, f.p(4), "invalid", "must use only r, w and m, not " + q(acc.str));
    }
  }
}

/** A limit field that is -1 (unlimited) or a non-negative number; returns its value, or 0. */
function limit(c: Ctx, f: Fields, i: i32): i64 {
  const v = f.v[i];
  return v !== null && within(c, f, i, -1, i64.MAX_VALUE, " (-1: unlimited)") ? v.i64() : 0;
}

export function memory(c: Ctx): void {
  const o = get(c.resources, "memory", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr(B, "memory"), "limit:i64 reservation:i64 swap:i64 kernel:i64 kernelTCP:i64 swappiness:0..100 disableOOMKiller:b useHierarchy:b checkBeforeUpdate:b");
  const mem = limit(c, f, 0);
  limit(c, f, 1);
  const swap = limit(c, f, 2);
  limit(c, f, 3);
  limit(c, f, 4);
  for (let i = 3; i <= 4; i++) if (f.has(i)) warn(c, f.p(i), "deprecated", "deprecated and ignored (Linux 5.16 dropped it)");
  // swap limits memory+swap: it needs a memory limit and cannot be below it (0 means unset).
  if (swap > 0) {
    if (mem <= 0) err(c, f.p(2), "noLimit", "needs a memory limit");
    else if (swap < mem) err(c, f.p(2), "belowLimit", "is below the memory limit " + mem.toString());
  }
}

export function cpu(c: Ctx): void {
  const o = get(c.resources, "cpu", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr(B, "cpu"), "shares:u64 quota:i64 burst:u64 period:u64 realtimeRuntime:i64 realtimePeriod:u64 cpus:s mems:s idle:0..1");
  // 0 means "unset" for shares, quota and period.
  const shares = f.v[0];
  if (shares !== null && shares.str != "0") within(c, f, 0, 2, 262144, " (0: unset)");
  const quota = f.v[1];
  if (quota !== null && quota.str != "0" && quota.str != "-1") within(c, f, 1, 1000, i64.MAX_VALUE, " (-1: unlimited, 0: unset)");
  const burst = f.v[2];
  if (burst !== null && quota !== null && quota.i64() > 0 && burst.u64() > <u64>quota.i64()) err(c, f.p(2), "aboveQuota", "is above the quota " + quota.str);
  const period = f.v[3];
  if (period !== null && period.str != "0") within(c, f, 3, 1000, 1000000, " (0: unset)");
  const rtRuntime = limit(c, f, 4);
  const rtPeriod = f.v[5];
  if (rtPeriod !== null && rtRuntime > 0 && rtPeriod.u64() > 0 && <u64>rtRuntime > rtPeriod.u64()) {
    err(c, f.p(4), "abovePeriod", "is longer than realtimePeriod " + rtPeriod.str);
  }
  listField(c, f, 6, true);
  listField(c, f, 7, true);
}

export function pids(c: Ctx): void {
  const o = get(c.resources, "pids", Kind.Object);
  if (o !== null) limit(c, shape(c, o, ptr(B, "pids"), "limit:i64"), 0);
}

/** A blkio weight field (a u16): 10 to 1000, or 0 which runc and crun leave unset. */
function weight(c: Ctx, f: Fields, i: i32): void {
  const v = f.v[i];
  if (v === null) return;
  if (v.str == "0") ignored(c, f.p(i), "0 leaves the weight unset");
  else within(c, f, i, 10, 1000, "");
}

export function blockIO(c: Ctx): void {
  const o = get(c.resources, "blockIO", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr(B, "blockIO"), "throttleReadBpsDevice:a throttleWriteBpsDevice:a throttleReadIOPSDevice:a throttleWriteIOPSDevice:a weight:u16 leafWeight:u16 weightDevice:a");
  weight(c, f, 4);
  weight(c, f, 5);
  const wd = f.v[6];
  if (wd !== null) {
    const wb = f.p(6);
    for (let i = 0; i < wd.items.length; i++) {
      const e = objAt(c, wd, i, wb);
      if (e === null) continue;
      const ef = shape(c, e, ptrI(wb, i), "major:u63! minor:u63! weight:u16 leafWeight:u16");
      weight(c, ef, 2);
      weight(c, ef, 3);
      if (!ef.has(2) && !ef.has(3)) err(c, ptrI(wb, i), "empty", "needs weight or leafWeight");
    }
  }
  for (let t = 0; t < 4; t++) {
    const a = f.v[t];
    if (a === null) continue;
    const tb = f.p(t);
    for (let i = 0; i < a.items.length; i++) {
      const e = objAt(c, a, i, tb);
      if (e !== null) shape(c, e, ptrI(tb, i), "major:u63! minor:u63! rate:u64!");
    }
  }
}

/** "<size><K|M|G>B" with a size that does not start with 0 (the spec's pattern). */
function isPageSize(s: string): bool {
  const n = s.length;
  if (n < 3 || !s.endsWith("B") || !"KMG".includes(s.charAt(n - 2)) || s.charCodeAt(0) == 0x30) return false;
  for (let i = 0; i < n - 2; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x30 || ch > 0x39) return false;
  }
  return true;
}

export function hugepageLimits(c: Ctx): void {
  const a = get(c.resources, "hugepageLimits", Kind.Array);
  if (a === null) return;
  const b = ptr(B, "hugepageLimits");
  const seen = new Set<string>();
  for (let i = 0; i < a.items.length; i++) {
    const e = objAt(c, a, i, b);
    if (e === null) continue;
    const f = shape(c, e, ptrI(b, i), "pageSize:s! limit:u64!");
    const ps = f.v[0];
    if (ps === null) continue;
    if (!isPageSize(ps.str)) err(c, f.p(0), "invalid", "must be like 2MB, not " + q(ps.str));
    else if (seen.has(ps.str)) err(c, ptrI(b, i), "duplicate", ps.str + " is listed twice");
    else seen.add(ps.str);
  }
}

export function network(c: Ctx): void {
  const o = get(c.resources, "network", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr(B, "network"), "classID:u32 priorities:a");
  const a = f.v[1];
  if (a === null) return;
  const pb = f.p(1);
  for (let i = 0; i < a.items.length; i++) {
    const e = objAt(c, a, i, pb);
    if (e === null) continue;
    const ef = shape(c, e, ptrI(pb, i), "name:s! priority:u32!");
    const n = ef.v[0];
    if (n !== null && n.str.length == 0) err(c, ef.p(0), "empty", "must not be empty");
  }
}

export function rdma(c: Ctx): void {
  const o = get(c.resources, "rdma", Kind.Object);
  if (o === null) return;
  const b = ptr(B, "rdma");
  c.w.mapArea = "linux.resources.rdma";
  for (let i = 0; i < o.keys.length; i++) {
    const kb = ptr(b, o.keys[i]);
    const e = o.items[i];
    if (!c.w.is(e, kb, Kind.Object, "linux.resources.rdma.type")) continue;
    const f = shape(c, e, kb, "hcaHandles:u32 hcaObjects:u32");
    if (!f.has(0) && !f.has(1)) c.d.error(kb, "linux.resources.rdma.empty", "needs hcaHandles or hcaObjects");
  }
  c.w.mapArea = "";
}

export function unified(c: Ctx): void {
  const o = get(c.resources, "unified", Kind.Object);
  if (o === null) return;
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i];
    // A file of the container's cgroup directory, named <controller>.<file>.
    if (k.indexOf("/") >= 0 || k.indexOf("..") >= 0 || k.indexOf(".") <= 0 || k.endsWith(".") || k.indexOf("\0") >= 0) {
      c.d.error(ptr(ptr(B, "unified"), k), "linux.resources.unified.key", q(k) + " is not a cgroup file name");
    }
    if (o.items[i].kind != Kind.String) c.w.is(o.items[i], ptr(ptr(B, "unified"), k), Kind.String, "linux.resources.unified.type");
  }
}
