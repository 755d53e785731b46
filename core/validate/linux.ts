// linux: the section's members, devices, network devices, masked and read-only paths,
// personality, memory policy and Intel RDT.
import { Kind } from "../json";
import { ptr, ptrI } from "../diag";
import { clean, isAbsolute } from "../paths";
import { Ctx } from "./index";
import { Fields, err, warn, q, ignored, needNs, shape, get, objAt, absolute, enumField, enumItems, listField, within, isIfName, inWords } from "./util";

export function linuxSection(c: Ctx): void {
  const l = c.linux;
  if (l === null) return;
  const f = shape(c, l, "/linux", "rootfsPropagation:s devices:a netDevices:o uidMappings:a gidMappings:a namespaces:a resources:o cgroupsPath:s seccomp:o sysctl:o maskedPaths:S readonlyPaths:S mountLabel:s intelRdt:o memoryPolicy:o personality:o timeOffsets:o");
  enumField(c, f, 0, "", "private rprivate shared rshared slave rslave unbindable runbindable");
  // maskedPaths and readonlyPaths: absolute, and masking needs a mount namespace of its own.
  for (let k = 10; k <= 11; k++) {
    const a = f.v[k];
    if (a === null) continue;
    for (let i = 0; i < a.items.length; i++) {
      const v = a.items[i];
      if (v.kind == Kind.String && !isAbsolute(v.str)) absolute(c, ptrI(f.p(k), i), v.str);
    }
    if (a.items.length > 0 && !c.ns.has("mount")) needNs(c, f.p(k), k == 10 ? "maskedPaths" : "readonlyPaths", "mount");
  }
}

export function devices(c: Ctx): void {
  const a = get(c.linux, "devices", Kind.Array);
  if (a === null) return;
  const b = ptr("/linux", "devices");
  const paths = new Set<string>();
  const numbers = new Set<string>();
  for (let i = 0; i < a.items.length; i++) {
    const e = objAt(c, a, i, b);
    if (e === null) continue;
    const eb = ptrI(b, i);
    const f = shape(c, e, eb, "type:s! path:s! major:i64 minor:i64 fileMode:0..511 uid:u32 gid:u32");
    const t = f.v[0];
    let kind = "";
    if (t !== null) {
      if (inWords("", "c b u p", t.str)) kind = t.str;
      else err(c, f.p(0), "invalid", "must be c, b, u or p, not " + q(t.str));
    }
    const p = f.v[1];
    if (p !== null && (isAbsolute(p.str) || absolute(c, f.p(1), p.str))) {
      const s = p.str;
      const cp = s.includes("//") || s.includes("/.") || s.endsWith("/") ? clean(s) : s;
      if (paths.has(cp)) err(c, f.p(1), "duplicate", cp + " is listed twice");
      else paths.add(cp);
    }
    // Numbers are required except for FIFOs; Linux dev_t has a 12-bit major and a 20-bit minor.
    if (kind == "p") {
      if (f.has(2) || f.has(3)) ignored(c, eb, "a FIFO has no numbers");
      continue;
    }
    if (kind.length == 0) continue;
    if (!f.has(2)) err(c, f.p(2), "required", "a " + kind + " device needs a major number");
    if (!f.has(3)) err(c, f.p(3), "required", "a " + kind + " device needs a minor number");
    const major = f.v[2], minor = f.v[3];
    const ok = within(c, f, 2, 0, 4095, "") && within(c, f, 3, 0, 1048575, "");
    if (major !== null && minor !== null && ok) {
      const key = (kind == "b" ? "b" : "c") + major.str + ":" + minor.str;
      if (numbers.has(key)) warn(c, eb, "sameNumber", "same type and numbers as another device");
      else numbers.add(key);
    }
  }
}

function badIfName(c: Ctx, p: string, code: string, s: string): void {
  c.d.error(p, code, q(s) + " is not a valid interface name");
}

export function netDevices(c: Ctx): void {
  const o = get(c.linux, "netDevices", Kind.Object);
  if (o === null) return;
  const b = ptr("/linux", "netDevices");
  const names = new Set<string>();
  c.w.mapArea = "linux.netDevices";
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i];
    const kb = ptr(b, k);
    if (!isIfName(k)) badIfName(c, kb, "linux.netDevices.invalid", k);
    const e = o.items[i];
    if (!c.w.is(e, kb, Kind.Object, "linux.netDevices.type")) continue;
    const f = shape(c, e, kb, "name:s");
    const n = f.v[0];
    if (n !== null && !isIfName(n.str)) {
      badIfName(c, f.p(0), "linux.netDevices.name.invalid", n.str);
      continue;
    }
    const target = n !== null ? n.str : k;
    if (target.indexOf("%d") >= 0) continue; // a template: the kernel picks a free name
    if (names.has(target)) c.d.error(n !== null ? f.p(0) : kb, "linux.netDevices.duplicate", target + " is taken twice");
    else names.add(target);
  }
  c.w.mapArea = "";
  // The spec's own test configs move devices without a network namespace: a warning only.
  if (o.keys.length > 0 && !c.ns.has("network")) warn(c, b, "networkNamespace", "without a network namespace nothing moves");
}

export function personality(c: Ctx): void {
  const o = get(c.linux, "personality", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr("/linux", "personality"), "domain:s! flags:S");
  enumField(c, f, 0, "", "LINUX LINUX32");
  const fl = f.v[1];
  // The spec supports no flag values yet.
  if (fl !== null && fl.items.length > 0) err(c, f.p(1), "unsupported", "no flags are supported");
}

export function memoryPolicy(c: Ctx): void {
  const o = get(c.linux, "memoryPolicy", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr("/linux", "memoryPolicy"), "mode:s! nodes:s flags:a");
  const mode = enumField(c, f, 0, "MPOL_", "DEFAULT BIND INTERLEAVE WEIGHTED_INTERLEAVE PREFERRED PREFERRED_MANY LOCAL");
  const nodes = listField(c, f, 1, false);
  const hasNodes = nodes !== null && nodes.str.trim().length > 0;
  const flags = enumItems(c, f, 2, "MPOL_F_", "NUMA_BALANCING RELATIVE_NODES STATIC_NODES");
  let nflags = 0, exclusive = 0;
  if (flags !== null) {
    for (let i = 0; i < flags.items.length; i++) {
      const v = flags.items[i];
      if (v.kind != Kind.String) continue;
      nflags++;
      if (v.str == "MPOL_F_STATIC_NODES" || v.str == "MPOL_F_RELATIVE_NODES") exclusive++;
    }
  }
  if (exclusive > 1) err(c, f.p(2), "conflict", "static and relative nodes exclude each other");
  if (mode === null) return;
  const m = mode.str;
  if ((m == "MPOL_DEFAULT" || m == "MPOL_LOCAL") && hasNodes) err(c, f.p(1), "unexpected", m + " takes no nodes");
  if (inWords("MPOL_", "BIND INTERLEAVE WEIGHTED_INTERLEAVE PREFERRED_MANY", m) && !hasNodes) err(c, f.p(1), "required", m + " needs at least one node");
  if (m == "MPOL_DEFAULT" && nflags > 0) err(c, f.p(2), "unexpected", "MPOL_DEFAULT takes no flags");
}

/** A resctrl schema that must (strict) or should start with `prefix` and hold no newline. */
function schema(c: Ctx, f: Fields, i: i32, prefix: string, strict: bool): void {
  const v = f.v[i];
  if (v === null || (v.str.startsWith(prefix) && v.str.indexOf("\n") < 0)) return;
  const msg = " start with " + q(prefix) + " and hold no newline";
  if (strict) err(c, f.p(i), "format", "must" + msg);
  else warn(c, f.p(i), "format", "should" + msg);
}

export function intelRdt(c: Ctx): void {
  const o = get(c.linux, "intelRdt", Kind.Object);
  if (o === null) return;
  const f = shape(c, o, ptr("/linux", "intelRdt"), "closID:s l3CacheSchema:s memBwSchema:s schemata:S enableMonitoring:b enableCMT:- enableMBM:-");
  for (let i = 5; i <= 6; i++) if (f.has(i)) warn(c, f.p(i), "deprecated", "replaced by enableMonitoring; ignored");
  const clos = f.v[0];
  if (clos !== null) {
    const s = clos.str;
    // "/" names the default CLOS (the resctrl root); otherwise one directory name.
    if (s != "/" && (s.length == 0 || s == "." || s == ".." || s.indexOf("/") >= 0 || s.indexOf("\n") >= 0)) {
      err(c, f.p(0), "invalid", "must be a group name or \"/\", not " + q(s));
    }
  }
  schema(c, f, 1, "L3:", false);
  schema(c, f, 2, "MB:", true);
  const sch = f.v[3];
  if (sch !== null) {
    for (let i = 0; i < sch.items.length; i++) {
      const v = sch.items[i];
      if (v.kind == Kind.String && v.str.indexOf("\n") >= 0) err(c, ptrI(f.p(3), i), "format", "must hold no newline");
    }
  }
}
