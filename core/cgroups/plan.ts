// cgroup_plan: linux.cgroupsPath and linux.resources on a Layout → the directories to create, the
// controllers to enable, the file writes in order (runc's fs and fs2 managers are the model, with
// the v1 → v2 conversions), the device rules, and the files to read for stats.
//
// What the host does with a plan, in order:
//   create    mkdir each directory (parents come first; one that exists is fine, but a
//             container's own directory that exists must hold no process, as runc checks);
//   enable    write each value to its cgroup.subtree_control, best effort (a controller that
//             cannot be enabled shows up as a failing write below);
//   writes    write each value with one write(2), in order. `tolerate` lists errno names that are
//             not failures (the write is repeated later where it matters, or the file is optional);
//             `ifCreated` writes apply only to a directory this run created;
//   bpf       load the blob as a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to `cgroup`;
//   statFiles read these (those that exist) for cgroup_stats; `paths` holds each hierarchy's
//             directory for placement (cgroup.procs) and removal.
// Inputs besides the layout: `current` (update mode: texts of memory.limit_in_bytes,
// memory.usage_in_bytes, memory.current, devices.list), `cpusetParent` ({cpus, mems} to copy into
// new v1 cpuset directories, read from the nearest existing ancestor), `hugePageSizes` (the host's
// sizes, from /sys/kernel/mm/hugepages), `defaultDevices` (append runc's default allow list),
// `linuxDevices` (the config's linux.devices: each node the container is given is allowed rwm).
//
// Every distinct string literal costs its UTF-16 text plus a header in the module, so pointers are
// built from the member names, messages from a few templates, and lists are split from one literal.
import { JValue, Kind, Obj, jsonArray } from "../json";
import { Diagnostics, Walker, ptr, ptrI, area } from "../diag";
import { clean } from "../paths";
import { Layout, readLayout, strList, escapes } from "./layout";
import { Emu, Rule, accBits, parseNum, fromList, parseRule, deviceProgram, programBytes } from "./devices";

const R = "/linux/resources";
const CP = "/linux/cgroupsPath";
const V2NO = "not supported on cgroup v2";

/** runc's default allowed devices (specconv AllowedDevices): mknod anything, the usual nodes, ptys. */
const DEFAULT_DEVICES = "c *:* m,b *:* m,c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,c 5:1 rwm,c 5:2 rwm,c 136:* rwm";

/** A controller's directory: in a v1 hierarchy, or in the unified one. */
class Dir {
  constructor(public path: string, public v2: bool) {}
}

function words(s: string): string[] { return s.split(" "); }

class Ctx {
  d: Diagnostics;
  w: Walker;
  names: string[] = [];
  dirs: string[] = [];
  udir: string | null = null;
  create: string[] = [];
  enable: string[] = [];
  writes: string[] = [];
  stats: Obj = new Obj();
  bpf: string = "null";
  blob: ArrayBuffer | null = null;
  constructor(public l: Layout, public q: JValue, public update: bool) {
    const d = new Diagnostics();
    this.d = d;
    this.w = new Walker(d);
  }

  err(p: string, suffix: string, msg: string): void { this.d.error(p, area(p, suffix), msg); }
  /** A setting cgroup v2 has no file for: a warning, the setting is dropped. */
  v2no(p: string): void { this.d.warn(p, area(p, "unsupported"), V2NO + "; ignored"); }

  /** The directory for a controller (v1 name, v2 name or ""), without diagnostics. */
  find(v1: string, v2: string): Dir | null {
    const i = this.names.indexOf(v1);
    if (i >= 0) return new Dir(this.dirs[i], false);
    const u = this.udir;
    if (u !== null && v2.length > 0 && this.l.uctrls.includes(v2)) return new Dir(u, true);
    return null;
  }
  /** The directory for a controller, or an error at `p`. */
  dir(v1: string, v2: string, p: string): Dir | null {
    const r = this.find(v1, v2);
    if (r === null) this.na(p, "controller", v1);
    return r;
  }
  na(p: string, code: string, what: string): void {
    this.d.error(p, code.includes(".") ? code : area(p, code), "the " + what + " controller is not available (cgroup " + this.l.mode + ")");
  }

  wr(d: Dir, file: string, value: string, p: string, tolerate: string = "", ifCreated: bool = false): void {
    const o = new Obj().str("file", d.path + "/" + file).str("value", value).str("pointer", p);
    if (tolerate.length > 0) o.raw("tolerate", strList(words(tolerate)));
    if (ifCreated) o.bool("ifCreated", true);
    this.writes.push(o.done());
  }

  /** A text from the input's `current` map (update mode), as a number; -1 when absent. */
  cur(name: string): i64 {
    const c = this.q.get("current");
    const v: JValue | null = c === null ? null : c.get(name);
    return v === null || !v.isString() ? -1 : parseNum(v.str.trim());
  }

  int(o: JValue, key: string, b: string, lo: i64, hi: i64, required: bool = false): JValue | null { return this.w.int(o, key, b, lo, hi, required); }
  /** A limit: -1 (unlimited) or more; 0 when absent, mistyped or out of range (reported). */
  lim(o: JValue, key: string, b: string): i64 {
    const v = this.int(o, key, b, -1, i64.MAX_VALUE);
    return v === null ? 0 : v.i64();
  }
  /** A u64 member as its decimal text; "" when absent, 0 or mistyped (reported). */
  u(o: JValue, key: string, b: string, required: bool = false): string {
    const v = this.w.u64(o, key, b, required);
    return v === null || (!required && v.str == "0") ? "" : v.str;
  }
  /** An integer in [lo, hi], 0 meaning unset; 0 when absent or out of range (reported). */
  ranged(o: JValue, key: string, b: string, lo: i64, hi: i64): i64 {
    const v = this.int(o, key, b, 0, i64.MAX_VALUE);
    const n = v === null ? 0 : v.i64();
    if (n != 0 && (n < lo || n > hi)) { this.err(ptr(b, key), "range", "must be from " + lo.toString() + " to " + hi.toString() + " (0: unset)"); return 0; }
    return n;
  }
  stat(d: Dir | null, names: string): void {
    if (d === null) return;
    const n = words(names);
    for (let i = 0; i < n.length; i++) this.stats.str(n[i], d.path + "/" + n[i]);
  }
}

// ---- paths --------------------------------------------------------------------------------------

function paths(c: Ctx, cpath: JValue | null): void {
  let inner: string;
  if (cpath !== null && cpath.isString()) {
    inner = cpath.str;
    if (escapes(inner)) { c.err(CP, "escapes", "\"..\" leads out of the hierarchy"); return; }
  } else {
    const id = c.q.get("id");
    if (id === null || !id.isString() || id.str.length == 0 || id.str.includes("/") || id.str.startsWith(".")) {
      c.err(CP, "id", "no cgroupsPath and no usable container id");
      return;
    }
    // runc's default: a cgroup named after the container, below the runtime's own.
    inner = id.str;
  }
  const abs = inner.startsWith("/");
  const rel = clean("/" + inner);
  if (rel == "/") { c.err(CP, "root", "must name a cgroup of its own"); return; }
  const hs = c.l.ctrls.slice(0);
  if (c.l.unified !== null) hs.push(c.l.unified!);
  const done: string[] = [];
  const comps = rel.substring(1).split("/");
  const cs = c.l.get("cpuset");
  const cpar = c.q.get("cpusetParent");
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i];
    const base = abs ? "/" : h.path;
    if (base === null) { c.err(CP, "relative", "the runtime's own cgroup is outside " + h.mountpoint); continue; }
    const dir = h.mountpoint + clean(base + rel);
    const isU = i == c.l.ctrls.length;
    if (isU) c.udir = dir;
    else { c.names.push(h.name); c.dirs.push(dir); }
    if (c.update || done.includes(h.mountpoint)) continue;
    done.push(h.mountpoint);
    let at = base == "/" ? h.mountpoint : h.mountpoint + base;
    for (let j = 0; j < comps.length; j++) {
      if (isU) for (let k = 0; k < c.l.uctrls.length; k++) c.enable.push(new Obj().str("file", at + "/cgroup.subtree_control").str("value", "+" + c.l.uctrls[k]).done());
      at += "/" + comps[j];
      c.create.push(at);
      if (isU || cs === null || cs.mountpoint != h.mountpoint) continue;
      // A new v1 cpuset directory starts empty: it gets its parent's cpus and mems (runc's ensureParent).
      for (let k = 0; k < 2; k++) {
        const key = k == 0 ? "cpus" : "mems";
        const v: JValue | null = cpar === null ? null : cpar.get(key);
        if (v !== null && v.isString()) c.wr(new Dir(at, false), "cpuset." + key, v.str, CP, "", true);
        else {
          if (j == 0) c.err(CP, "cpusetParent", "new v1 cpuset cgroups need the parent's cpus and mems (cpusetParent)");
          break;
        }
      }
    }
  }
}

// ---- resources ----------------------------------------------------------------------------------

function memory(c: Ctx, r: JValue): void {
  const b = ptr(R, "memory");
  const o = c.w.obj(r, "memory", R);
  if (o === null) return;
  const d = c.dir("memory", "memory", b);
  if (d === null) return;
  const L = c.lim(o, "limit", b), S = c.lim(o, "swap", b), res = c.lim(o, "reservation", b);
  const pl = ptr(b, "limit"), ps = ptr(b, "swap"), pr = ptr(b, "reservation");
  const cbu = c.w.bool(o, "checkBeforeUpdate", b);
  if (cbu !== null && cbu.bool && L > 0) {
    const used = c.cur(d.v2 ? "memory.current" : "memory.usage_in_bytes");
    if (used >= L) c.err(pl, "belowUsage", "below the current usage " + used.toString());
  }
  const swp = c.int(o, "swappiness", b, 0, 100);
  const oom = c.w.bool(o, "disableOOMKiller", b);
  const hier = c.w.bool(o, "useHierarchy", b);
  const ks = words("kernel kernelTCP");
  if (d.v2) {
    for (let i = 0; i < 2; i++) if (o.has(ks[i])) c.v2no(ptr(b, ks[i]));
    if (swp !== null) c.v2no(ptr(b, "swappiness"));
    if (oom !== null && oom.bool) c.v2no(ptr(b, "disableOOMKiller"));
    if (hier !== null && !hier.bool) c.v2no(ptr(b, "useHierarchy"));
    // memory.swap.max is swap alone; the spec's swap is memory+swap (runc's conversion).
    let sw = S, set = S != 0;
    if (L == -1 && S == 0) { sw = -1; set = true; }
    else if (S > 0) {
      sw = S - L; // 0 when equal: no swap at all
      if (L <= 0) c.err(ps, "noLimit", "needs a memory limit");
      else if (S < L) c.err(ps, "belowLimit", "below the memory limit");
      set = L > 0 && S >= L;
    }
    if (set) {
      const v = sw < 0 ? "max" : sw.toString();
      c.wr(d, "memory.swap.max", v, ps, v == "max" || v == "0" ? "ENOENT" : "");
    }
    if (L != 0) c.wr(d, "memory.max", L < 0 ? "max" : L.toString(), pl);
    if (res != 0) c.wr(d, "memory.low", res < 0 ? "max" : res.toString(), pr);
    return;
  }
  if (hier !== null) c.wr(d, "memory.use_hierarchy", hier.bool ? "1" : "0", ptr(b, "useHierarchy"));
  // memory.memsw.limit_in_bytes (memory+swap) may never be below memory.limit_in_bytes: when it
  // grows it goes first. Without the current limit in update mode, it is written before (failing
  // harmlessly when it shrinks) and after the limit.
  let sw = S;
  const tol = S == 0 ? "ENOENT" : "";
  if (L == -1 && S == 0) sw = -1;
  const curLim = c.cur("memory.limit_in_bytes");
  const first = L != 0 && sw != 0 && (sw == -1 || (curLim >= 0 ? curLim < sw : c.update));
  const again = first && sw != -1 && curLim < 0;
  const MS = "memory.memsw.limit_in_bytes";
  if (first) c.wr(d, MS, sw.toString(), ps, again ? "EINVAL" : tol);
  if (L != 0) c.wr(d, "memory.limit_in_bytes", L.toString(), pl);
  if (sw != 0 && (!first || again)) c.wr(d, MS, sw.toString(), ps, tol);
  if (res != 0) c.wr(d, "memory.soft_limit_in_bytes", res.toString(), pr);
  for (let i = 0; i < 2; i++) {
    const k = c.int(o, ks[i], b, -1, i64.MAX_VALUE);
    if (k === null) continue;
    const p = ptr(b, ks[i]);
    c.d.warn(p, area(p, "deprecated"), "deprecated: Linux 5.16 and later refuse it");
    c.wr(d, "memory.kmem." + (i == 0 ? "" : "tcp.") + "limit_in_bytes", k.str, p, "EOPNOTSUPP");
  }
  if (oom !== null && oom.bool) c.wr(d, "memory.oom_control", "1", ptr(b, "disableOOMKiller"));
  if (swp !== null) c.wr(d, "memory.swappiness", swp.str, ptr(b, "swappiness"));
}

function cpu(c: Ctx, r: JValue): void {
  const b = ptr(R, "cpu");
  const o = c.w.obj(r, "cpu", R);
  if (o === null) return;
  const f = words("shares quota period burst realtimeRuntime realtimePeriod idle cpus mems");
  const p: string[] = [];
  for (let i = 0; i < f.length; i++) p.push(ptr(b, f[i]));
  const sh = c.ranged(o, f[0], b, 2, 262144);
  const qv = c.int(o, f[1], b, -1, i64.MAX_VALUE);
  const q = qv === null || qv.str == "0" ? "" : qv.str;
  const period = c.u(o, f[2], b);
  const bv = c.w.u64(o, f[3], b);
  const burst = bv === null ? "" : bv.str; // 0 is a burst too
  const rv = c.int(o, f[4], b, -1, i64.MAX_VALUE);
  const rr = rv === null || rv.str == "0" ? "" : rv.str;
  const rp = c.u(o, f[5], b);
  const idle = c.int(o, f[6], b, 0, 1);
  const qt = q.length > 0 ? "EINVAL" : "";
  const d: Dir | null = sh != 0 || q.length + period.length + burst.length + rr.length + rp.length > 0 || idle !== null ? c.dir("cpu", "cpu", b) : null;
  if (d !== null && d.v2) {
    if (rr.length + rp.length > 0) c.err(p[rr.length > 0 ? 4 : 5], "unsupported", V2NO);
    if (idle !== null) c.wr(d, "cpu.idle", idle.str, p[6]);
    // runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000].
    if (sh != 0) c.wr(d, "cpu.weight", (1 + ((sh - 2) * 9999) / 262142).toString(), p[0]);
    if (burst.length > 0) c.wr(d, "cpu.max.burst", burst, p[3], qt);
    if (q.length + period.length > 0) {
      c.wr(d, "cpu.max", (q.length > 0 && q != "-1" ? q : "max") + (period.length > 0 ? " " + period : ""), p[q.length > 0 ? 1 : 2]);
      if (burst.length > 0 && q.length > 0) c.wr(d, "cpu.max.burst", burst, p[3]);
    }
  } else if (d !== null) {
    if (sh != 0) c.wr(d, "cpu.shares", sh.toString(), p[0]);
    // A new period or burst may not fit the old quota: written before and after it.
    if (period.length > 0) c.wr(d, "cpu.cfs_period_us", period, p[2], qt);
    if (burst.length > 0) c.wr(d, "cpu.cfs_burst_us", burst, p[3], "ENOENT " + qt);
    if (q.length > 0) {
      c.wr(d, "cpu.cfs_quota_us", q, p[1]);
      if (period.length > 0) c.wr(d, "cpu.cfs_period_us", period, p[2]);
      if (burst.length > 0) c.wr(d, "cpu.cfs_burst_us", burst, p[3], "ENOENT");
    }
    if (idle !== null) c.wr(d, "cpu.idle", idle.str, p[6]);
    if (rp.length > 0) c.wr(d, "cpu.rt_period_us", rp, p[5], rr.length > 0 ? "EINVAL" : "");
    if (rr.length > 0) {
      c.wr(d, "cpu.rt_runtime_us", rr, p[4]);
      if (rp.length > 0) c.wr(d, "cpu.rt_period_us", rp, p[5]);
    }
  }
  const cs = c.w.str(o, f[7], b), ms = c.w.str(o, f[8], b);
  const sc = cs !== null ? cs.str : "", sm = ms !== null ? ms.str : "";
  const s: Dir | null = sc.length + sm.length > 0 ? c.dir("cpuset", "cpuset", b) : null;
  if (s === null) return;
  if (sc.length > 0) c.wr(s, "cpuset.cpus", sc, p[7]);
  if (sm.length > 0) c.wr(s, "cpuset.mems", sm, p[8]);
}

function pids(c: Ctx, r: JValue): void {
  const b = ptr(R, "pids");
  const o = c.w.obj(r, "pids", R);
  const v: JValue | null = o === null ? null : c.w.i64(o, "limit", b);
  const d: Dir | null = v === null ? null : c.dir("pids", "pids", b);
  // -1 (or less) is unlimited; 0 is a valid limit (the spec says so, the kernel agrees).
  if (d !== null) c.wr(d, "pids.max", v!.isNegative() ? "max" : v!.str, ptr(b, "limit"));
}

function dev(c: Ctx, e: JValue, eb: string): string {
  const ma = c.int(e, "major", eb, 0, u32.MAX_VALUE, true), mi = c.int(e, "minor", eb, 0, u32.MAX_VALUE, true);
  return ma === null || mi === null ? "" : ma.str + ":" + mi.str;
}

/** runc's ConvertBlkIOToIOWeightValue: [10, 1000] onto [1, 10000]. */
function ioWeight(w: i64): string { return (1 + ((w - 10) * 9999) / 990).toString(); }

const THROTTLE = words("throttleReadBpsDevice throttleWriteBpsDevice throttleReadIOPSDevice throttleWriteIOPSDevice");
const V1T = words("read_bps_device write_bps_device read_iops_device write_iops_device");
const V2T = words("rbps wbps riops wiops");

/** weight and leafWeight of `o` (blockIO or a weightDevice entry) for device `dv` ("" for all). */
function weights(c: Ctx, d: Dir, o: JValue, b: string, dv: string): void {
  const w = c.ranged(o, "weight", b, 10, 1000), lw = c.ranged(o, "leafWeight", b, 10, 1000);
  const pre = dv.length > 0 ? dv + " " : "";
  if (w != 0) {
    if (d.v2) c.wr(d, "io.weight", (dv.length > 0 ? pre : "default ") + ioWeight(w), ptr(b, "weight"));
    else c.wr(d, dv.length > 0 ? "blkio.weight_device" : "blkio.weight", pre + w.toString(), ptr(b, "weight"));
  }
  if (lw == 0) return;
  if (d.v2) c.v2no(ptr(b, "leafWeight"));
  else c.wr(d, dv.length > 0 ? "blkio.leaf_weight_device" : "blkio.leaf_weight", pre + lw.toString(), ptr(b, "leafWeight"));
}

function blockIO(c: Ctx, r: JValue): void {
  const b = ptr(R, "blockIO");
  const o = c.w.obj(r, "blockIO", R);
  if (o === null || o.keys.length == 0) return;
  const d = c.dir("blkio", "io", b);
  if (d === null) return;
  weights(c, d, o, b, "");
  // v2 takes every limit of one device in one io.max line.
  const devs: string[] = [], lines: string[] = [], ps: string[] = [];
  for (let t = -1; t < 4; t++) {
    const key = t < 0 ? "weightDevice" : THROTTLE[t];
    const a = c.w.arr(o, key, b);
    for (let i = 0; a !== null && i < a.items.length; i++) {
      const eb = ptrI(ptr(b, key), i);
      const e = a.items[i];
      if (!c.w.is(e, eb, Kind.Object)) continue;
      const dv = dev(c, e, eb);
      if (t < 0) {
        if (dv.length > 0) weights(c, d, e, eb, dv);
        continue;
      }
      const rate = c.u(e, "rate", eb, true);
      if (dv.length == 0 || rate.length == 0) continue;
      if (!d.v2) { c.wr(d, "blkio.throttle." + V1T[t], dv + " " + rate, eb); continue; }
      const k = devs.indexOf(dv);
      const kv = " " + V2T[t] + "=" + rate;
      if (k >= 0) lines[k] += kv;
      else { devs.push(dv); lines.push(dv + kv); ps.push(eb); }
    }
  }
  for (let i = 0; i < lines.length; i++) c.wr(d, "io.max", lines[i], ps[i]);
}

function hugepages(c: Ctx, r: JValue): void {
  const b = ptr(R, "hugepageLimits");
  const a = c.w.arr(r, "hugepageLimits", R);
  if (a === null || a.items.length == 0) return;
  const d = c.dir("hugetlb", "hugetlb", b);
  if (d === null) return;
  const sizes = c.q.get("hugePageSizes");
  for (let i = 0; i < a.items.length; i++) {
    const eb = ptrI(b, i);
    const e = a.items[i];
    if (!c.w.is(e, eb, Kind.Object)) continue;
    const ps = c.w.str(e, "pageSize", eb, true), lim = c.u(e, "limit", eb, true);
    if (ps === null || lim.length == 0) continue;
    // "<digits><K|M|G>B", and one the host has when the input lists them.
    const s = ps.str, n = s.length;
    let ok = n > 2 && s.endsWith("B") && "KMG".includes(s.charAt(n - 2)) && parseNum(s.substring(0, n - 2)) > 0;
    if (ok && sizes !== null && sizes.isArray()) {
      ok = false;
      for (let j = 0; j < sizes.items.length; j++) ok = ok || sizes.items[j].str == s;
    }
    if (!ok) { c.err(ptr(eb, "pageSize"), "invalid", "no " + s + " huge pages here"); continue; }
    const f = "hugetlb." + s + ".";
    const pl = ptr(eb, "limit");
    c.wr(d, f + (d.v2 ? "max" : "limit_in_bytes"), lim, pl);
    c.wr(d, f + (d.v2 ? "rsvd.max" : "rsvd.limit_in_bytes"), lim, pl, "ENOENT");
  }
}

/** A name that can go into a space-separated line of a cgroup file. */
function word(c: Ctx, s: string, p: string): bool {
  const ok = s.length > 0 && !s.includes(" ") && !s.includes("\n") && !s.includes("\t");
  if (!ok) c.err(p, "invalid", "must be a name without spaces");
  return ok;
}

function network(c: Ctx, r: JValue): void {
  const b = ptr(R, "network");
  const o = c.w.obj(r, "network", R);
  if (o === null) return;
  const id = c.int(o, "classID", b, 0, u32.MAX_VALUE);
  const pc = ptr(b, "classID");
  const d: Dir | null = id === null ? null : c.dir("net_cls", "", pc);
  if (d !== null) c.wr(d, "net_cls.classid", id!.str, pc);
  const a = c.w.arr(o, "priorities", b);
  const pb = ptr(b, "priorities");
  const dp: Dir | null = a === null || a.items.length == 0 ? null : c.dir("net_prio", "", pb);
  for (let i = 0; dp !== null && i < a!.items.length; i++) {
    const eb = ptrI(pb, i);
    const e = a!.items[i];
    if (!c.w.is(e, eb, Kind.Object)) continue;
    const n = c.w.str(e, "name", eb, true), p = c.int(e, "priority", eb, 0, u32.MAX_VALUE, true);
    if (n !== null && p !== null && word(c, n.str, ptr(eb, "name"))) c.wr(dp, "net_prio.ifpriomap", n.str + " " + p.str, eb);
  }
}

function rdma(c: Ctx, r: JValue): void {
  const b = ptr(R, "rdma");
  const o = c.w.obj(r, "rdma", R);
  if (o === null || o.keys.length == 0) return;
  const d = c.dir("rdma", "rdma", b);
  if (d === null) return;
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i], eb = ptr(b, k);
    const e = o.items[i];
    // Codes without the user's device name in them.
    if (!c.w.is(e, eb, Kind.Object, "linux.resources.rdma.type") || !word(c, k, b)) continue;
    const h = c.int(e, "hcaHandles", eb, 0, u32.MAX_VALUE), n = c.int(e, "hcaObjects", eb, 0, u32.MAX_VALUE);
    if (h === null && n === null) { c.d.error(eb, "linux.resources.rdma.empty", "needs hcaHandles or hcaObjects"); continue; }
    c.wr(d, "rdma.max", k + (h !== null ? " hca_handle=" + h.str : "") + (n !== null ? " hca_object=" + n.str : ""), eb);
  }
}

function unified(c: Ctx, r: JValue): void {
  const b = ptr(R, "unified");
  const o = c.w.obj(r, "unified", R);
  if (o === null || o.keys.length == 0) return;
  const u = c.udir;
  if (u === null) { c.na(b, "controller", "unified"); return; }
  const d = new Dir(u, true);
  const U = "linux.resources.unified.";
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i], p = ptr(b, k), v = o.items[i];
    // Codes without the user's key in them.
    if (!c.w.is(v, p, Kind.String, U + "type")) continue;
    if (k.includes("/") || k.startsWith(".") || k.includes("\0")) { c.d.error(p, U + "key", "must be a file name in the container's cgroup"); continue; }
    const dot = k.indexOf(".");
    const ctl = dot > 0 ? k.substring(0, dot) : k;
    if (ctl != "cgroup" && !c.l.uctrls.includes(ctl)) { c.na(p, U + "controller", ctl); continue; }
    // Line by line, as the kernel takes one entry per write for files like io.max.
    const ls = v.str.split("\n");
    for (let j = 0; j < ls.length; j++) if (ls[j].length > 0 || ls.length == 1) c.wr(d, k, ls[j], p);
  }
}

function devices(c: Ctx, r: JValue | null): void {
  const b = ptr(R, "devices");
  const a: JValue | null = r === null ? null : c.w.arr(r, "devices", R);
  const def = c.q.get("defaultDevices");
  const withDefaults = def !== null && def.isBool() && def.bool;
  const made = c.q.get("linuxDevices");
  const created: JValue | null = made !== null && made.isArray() ? made : null;
  if (a === null && !withDefaults && created === null) return;
  const rules: Rule[] = [];
  for (let i = 0; a !== null && i < a.items.length; i++) {
    const eb = ptrI(b, i);
    const x = a.items[i];
    if (!c.w.is(x, eb, Kind.Object)) continue;
    const al = c.w.bool(x, "allow", eb, true);
    const t = c.w.str(x, "type", eb);
    const ma = c.int(x, "major", eb, -1, u32.MAX_VALUE), mi = c.int(x, "minor", eb, -1, u32.MAX_VALUE);
    const ac = c.w.str(x, "access", eb);
    const ts = t === null || t.str.length == 0 ? "a" : t.str;
    const tc = ts.length == 1 && "abc".includes(ts) ? ts.charCodeAt(0) : 0;
    if (tc == 0) c.err(ptr(eb, "type"), "invalid", "must be a, b or c");
    const acc = ac === null ? 7 : accBits(ac.str);
    if (acc < 0) c.err(ptr(eb, "access"), "invalid", "must be made of r, w and m");
    if (al !== null && tc != 0 && acc > 0) rules.push(new Rule(tc, ma === null ? -1 : ma.i64(), mi === null ? -1 : mi.i64(), acc, al.bool, eb));
  }
  // As runc: the container may use every device node it is given (linux.devices), rwm.
  for (let i = 0; created !== null && i < created.items.length; i++) {
    const x = created.items[i], eb = "/linux/devices/" + i.toString();
    if (!x.isObject()) continue;
    const t = x.get("type"), ma = x.get("major"), mi = x.get("minor");
    if (t === null || !t.isString() || ma === null || !ma.fitsI64() || mi === null || !mi.fitsI64()) continue;
    const ts = t.str == "u" ? "c" : t.str;
    if (ts != "c" && ts != "b") continue; // p (a fifo) has no device rule
    rules.push(new Rule(ts.charCodeAt(0), ma.i64(), mi.i64(), 7, true, eb));
  }
  if (withDefaults) {
    const ls = DEFAULT_DEVICES.split(",");
    for (let i = 0; i < ls.length; i++) rules.push(parseRule(ls[i], true)!);
  }
  const e = new Emu();
  for (let i = 0; i < rules.length; i++) {
    const m = e.apply(rules[i]);
    if (m.length > 0) c.err(rules[i].ptr, "ignored", m);
  }
  const v1 = c.find("devices", "");
  if (v1 !== null) {
    const cur = c.q.get("current");
    const list: JValue | null = cur === null || !c.update ? null : cur.get("devices.list");
    const ls = e.lines(list !== null && list.isString() ? fromList(list.str) : null);
    for (let i = 0; i < ls.length; i++) c.wr(v1, ls[i][0], ls[i][1], ls[i][2].length > 0 ? ls[i][2] : b);
    return;
  }
  const u = c.udir;
  if (u === null) { c.na(b, "controller", "devices"); return; }
  const prog = deviceProgram(e);
  c.blob = programBytes(prog);
  c.bpf = new Obj().i64("instructions", prog.n).bool("defaultAllow", e.allow).str("license", "Apache").str("cgroup", u).done();
}

function statFiles(c: Ctx, sizes: JValue | null): void {
  const m = c.find("memory", "memory");
  if (m !== null && !m.v2) {
    c.stat(m, "memory.stat memory.oom_control");
    const pre = words("memory. memory.memsw. memory.kmem. memory.kmem.tcp.");
    for (let i = 0; i < 4; i++) c.stat(m, (pre[i] + "usage_in_bytes " + pre[i] + "max_usage_in_bytes " + pre[i] + "failcnt " + pre[i] + "limit_in_bytes"));
  } else c.stat(m, "memory.stat memory.current memory.max memory.peak memory.swap.current memory.swap.max memory.swap.peak memory.events");
  const cp = c.find("cpu", "");
  const ud: Dir | null = c.udir === null ? null : new Dir(c.udir!, true);
  c.stat(cp !== null ? cp : ud, "cpu.stat");
  c.stat(c.find("cpuacct", ""), "cpuacct.usage cpuacct.usage_percpu cpuacct.stat cpuacct.usage_all");
  c.stat(c.find("pids", "pids"), "pids.current pids.max");
  const io = c.find("blkio", "io");
  if (io !== null && !io.v2) {
    const k = words("blkio. blkio.bfq. blkio.throttle.");
    for (let i = 0; i < 3; i++) c.stat(io, k[i] + "io_service_bytes_recursive " + k[i] + "io_serviced_recursive");
  } else c.stat(io, "io.stat");
  const h = c.find("hugetlb", "hugetlb");
  for (let i = 0; h !== null && sizes !== null && i < sizes.items.length; i++) {
    const f = "hugetlb." + sizes.items[i].str + ".";
    c.stat(h, h.v2 ? f + "current " + f + "events" : f + "usage_in_bytes " + f + "max_usage_in_bytes " + f + "failcnt");
  }
  const fz = c.find("freezer", "");
  if (fz !== null) c.stat(fz, "freezer.state");
  else c.stat(ud, "cgroup.freeze cgroup.events");
}

export class CgResult {
  constructor(public json: string, public status: i32, public blob: ArrayBuffer | null) {}
}

/** {layout, id, cgroupsPath, resources, update, current, cpusetParent, hugePageSizes, defaultDevices, linuxDevices} → the plan. */
export function cgroupPlan(q: JValue): CgResult {
  const l = readLayout(q.get("layout"));
  if (l === null) return new CgResult(new Obj().str("error", "needs \"layout\": the output of cgroup_layout").done(), 1, null);
  const up = q.get("update");
  const c = new Ctx(l, q, up !== null && up.isBool() && up.bool);
  const cp = q.get("cgroupsPath");
  if (cp !== null && !cp.isNull()) c.w.is(cp, CP, Kind.String);
  paths(c, cp);
  let r = q.get("resources");
  if (r !== null && !r.isObject()) { if (!r.isNull()) c.w.is(r, R, Kind.Object); r = null; }
  if (r !== null) {
    memory(c, r); cpu(c, r); pids(c, r); blockIO(c, r); hugepages(c, r); network(c, r); rdma(c, r);
  }
  devices(c, r);
  if (r !== null) unified(c, r);
  const hs = q.get("hugePageSizes");
  statFiles(c, hs !== null && hs.isArray() ? hs : null);
  const ps = new Obj();
  for (let i = 0; i < c.names.length; i++) ps.str(c.names[i], c.dirs[i]);
  if (c.udir !== null) ps.str("unified", c.udir!);
  const bad = c.d.hasErrors();
  return new CgResult(new Obj()
    .bool("valid", !bad)
    .raw("diagnostics", c.d.toJSON())
    .raw("paths", ps.done())
    .raw("create", strList(c.create))
    .raw("enable", jsonArray(c.enable))
    .raw("writes", jsonArray(c.writes))
    .raw("bpf", c.bpf)
    .raw("statFiles", c.stats.done())
    .done(), bad ? 1 : 0, c.blob);
}
