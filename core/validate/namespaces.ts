// Namespaces and what depends on them: user-namespace mappings, time offsets, sysctls.
import { JValue, Kind } from "../json";
import { ptr, ptrI } from "../diag";
import { isAbsolute } from "../paths";
import { Ctx } from "./index";
import { err, warn, q, shape, get, objAt, absolute, needNs, enumField, inWords } from "./util";

export function namespaces(c: Ctx): void {
  const a = get(c.linux, "namespaces", Kind.Array);
  if (a === null) return;
  const b = ptr("/linux", "namespaces");
  const seen: string[] = [];
  for (let i = 0; i < a.items.length; i++) {
    const e = objAt(c, a, i, b);
    if (e === null) continue;
    const eb = ptrI(b, i);
    const f = shape(c, e, eb, "type:s! path:s");
    const t = enumField(c, f, 0, "", "mount pid network uts ipc user cgroup time");
    if (t !== null) {
      if (seen.includes(t.str)) err(c, eb, "duplicate", t.str + " is listed twice");
      else seen.push(t.str);
    }
    const p = f.v[1];
    if (p !== null && !isAbsolute(p.str)) absolute(c, f.p(1), p.str);
  }
}

/** The kernel's limit on the extents of one uid_map or gid_map. */
const MAX_EXTENTS: i32 = 340;
const ID_SPACE: u64 = <u64>1 << 32;

/**
 * Checks an array of LinuxIDMapping at pointer `b`: each entry's containerID, hostID and size
 * (u32, size > 0, no wrap past 2^32), and no two entries overlapping on either side (the kernel
 * refuses such maps). Returns true when the array is not empty.
 */
export function idMappings(c: Ctx, a: JValue, b: string): bool {
  const n = a.items.length;
  if (n > MAX_EXTENTS) err(c, b, "tooMany", "at most " + MAX_EXTENTS.toString() + " entries");
  const inner: u64[] = [];
  const outer: u64[] = [];
  const sizes: u64[] = [];
  for (let i = 0; i < n; i++) {
    const e = objAt(c, a, i, b);
    if (e === null) continue;
    const f = shape(c, e, ptrI(b, i), "containerID:u32! hostID:u32! size:1..4294967295!");
    const cid = f.v[0], hid = f.v[1], size = f.v[2];
    if (cid === null || hid === null || size === null) continue;
    const ci = cid.u64(), hi = hid.u64(), sz = size.u64();
    if (ci + sz > ID_SPACE || hi + sz > ID_SPACE) {
      err(c, f.p(2), "range", "ids must stay below 2^32");
      continue;
    }
    // Overlaps are searched only in maps the kernel could take: the search is quadratic.
    for (let j = 0; n <= MAX_EXTENTS && j < inner.length; j++) {
      if ((ci < inner[j] + sizes[j] && inner[j] < ci + sz) || (hi < outer[j] + sizes[j] && outer[j] < hi + sz)) {
        err(c, ptrI(b, i), "overlap", "overlaps entry " + j.toString());
        break;
      }
    }
    inner.push(ci);
    outer.push(hi);
    sizes.push(sz);
  }
  return n > 0;
}

export function userNamespace(c: Ctx): void {
  const l = c.linux;
  if (l === null) return;
  const um = get(l, "uidMappings", Kind.Array), gm = get(l, "gidMappings", Kind.Array);
  const uid = um !== null && idMappings(c, um, ptr("/linux", "uidMappings"));
  const gid = gm !== null && idMappings(c, gm, ptr("/linux", "gidMappings"));
  if (!c.ns.has("user")) {
    if (l.get("uidMappings") !== null) needNs(c, ptr("/linux", "uidMappings"), "uidMappings", "user");
    if (l.get("gidMappings") !== null) needNs(c, ptr("/linux", "gidMappings"), "gidMappings", "user");
    return;
  }
  if (!c.ns.isNew("user")) return; // a joined namespace already has its mappings
  if (uid != gid) {
    err(c, ptr("/linux", uid ? "gidMappings" : "uidMappings"), "required", "a new user namespace needs uid and gid mappings");
  } else if (!uid) {
    // Left to the runtime by crun's rootless configs (which map the caller's own ids).
    warn(c, ptrI(ptr("/linux", "namespaces"), c.ns.at("user")), "unmapped", "maps no ids: no uidMappings or gidMappings");
  }
}

export function timeOffsets(c: Ctx): void {
  const t = get(c.linux, "timeOffsets", Kind.Object);
  if (t === null) return;
  const b = ptr("/linux", "timeOffsets");
  for (let i = 0; i < t.keys.length; i++) {
    const k = t.keys[i];
    const kb = ptr(b, k);
    if (k != "monotonic" && k != "boottime") {
      c.d.error(kb, "linux.timeOffsets.clock", q(k) + ": only monotonic and boottime");
      continue;
    }
    const e = t.items[i];
    if (c.w.is(e, kb, Kind.Object)) shape(c, e, kb, "secs:i64 nanosecs:0..999999999");
  }
  if (!c.ns.has("time")) needNs(c, b, "timeOffsets", "time");
  else if (!c.ns.isNew("time")) err(c, b, "joined", "a joined time namespace keeps its offsets");
}

/** sysctl(8) takes '/' as the separator too: "net/ipv4/conf/eno2.100/rp_filter" is "net.ipv4.conf.eno2/100.rp_filter". */
function dotted(s: string): string {
  const dot = s.indexOf("."), slash = s.indexOf("/");
  if (slash < 0 || (dot >= 0 && dot < slash)) return s;
  return s.replaceAll(".", "\0").replaceAll("/", ".").replaceAll("\0", "/");
}

/** Sysctls are allowed only when they belong to a namespace the container has (runc's rule). */
export function sysctl(c: Ctx): void {
  const o = get(c.linux, "sysctl", Kind.Object);
  if (o === null) return;
  for (let i = 0; i < o.keys.length; i++) {
    const raw = o.keys[i];
    if (o.items[i].kind != Kind.String) c.w.is(o.items[i], ptr(ptr("/linux", "sysctl"), raw), Kind.String, "linux.sysctl.type");
    const k = dotted(raw);
    let ns = "";
    // The IPC-namespaced sysctls (runc's list).
    if (inWords("kernel.", "msgmax msgmnb msgmni sem shmall shmmax shmmni shm_rmid_forced", k) || k.startsWith("fs.mqueue.")) ns = "ipc";
    else if (k.startsWith("net.")) ns = "network";
    else if (k == "kernel.domainname" || k == "kernel.hostname") ns = "uts";
    if (ns.length > 0 && c.ns.has(ns) && k != "kernel.hostname") continue;
    const p = ptr(ptr("/linux", "sysctl"), raw);
    if (ns.length == 0) c.d.error(p, "linux.sysctl.notNamespaced", q(k) + " is not namespaced: it would change the host");
    else if (!c.ns.has(ns)) c.d.error(p, "linux.sysctl." + ns + "Namespace", "sysctl " + k + " needs a " + ns + " namespace in linux.namespaces");
    else c.d.error(p, "linux.sysctl.hostname", "use the hostname field instead");
  }
}
