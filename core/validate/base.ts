// Top-level rules: the sections, ociVersion, root, the process basics, hostname, annotations.
import { Kind } from "../json";
import { ptr, ptrI } from "../diag";
import { Ctx } from "./index";
import { err, warn, q, ignored, shape, get, absField, envField, needNs } from "./util";

/** The top-level members; other platforms' sections are ignored on Linux (a warning). */
export function sections(c: Ctx): void {
  // root is optional only for Windows Hyper-V containers: required on Linux.
  const f = shape(c, c.config, "", "ociVersion:s! root:o! mounts:a process:o hostname:s domainname:s linux:o hooks:o annotations:o windows:o solaris:o vm:o zos:o freebsd:o");
  for (let i = 9; i < 14; i++) if (f.v[i] !== null) ignored(c, f.p(i), "not for Linux");
}

function isNumeric(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x30 || ch > 0x39) return false;
  }
  return s.length > 0;
}

/** Dot-separated SemVer identifiers of [0-9A-Za-z-]; `pre` forbids leading zeros in numeric ones. */
function identifiers(s: string, pre: bool): bool {
  const ids = s.split(".");
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id.length == 0) return false;
    for (let j = 0; j < id.length; j++) {
      const ch = id.charCodeAt(j) | 0x20; // folds A-Z onto a-z ('-' stays '-')
      if (!((ch >= 0x30 && ch <= 0x39) || (ch >= 0x61 && ch <= 0x7a) || ch == 0x2d)) return false;
    }
    if (pre && id.length > 1 && id.charCodeAt(0) == 0x30 && isNumeric(id)) return false;
  }
  return true;
}

/** The runtime-spec minor version capsa implements (1.3). */
const SPEC_MINOR: i32 = 3;

export function ociVersion(c: Ctx): void {
  const v = get(c.config, "ociVersion", Kind.String);
  if (v === null) return;
  const s = v.str;
  // SemVer 2.0.0: MAJOR.MINOR.PATCH, then optional -pre.release and +build.metadata.
  let rest = s;
  let ok = true;
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    ok = identifiers(rest.substring(plus + 1), false);
    rest = rest.substring(0, plus);
  }
  const dash = rest.indexOf("-");
  if (dash >= 0) {
    ok = ok && identifiers(rest.substring(dash + 1), true);
    rest = rest.substring(0, dash);
  }
  const parts = rest.split(".");
  ok = ok && parts.length == 3;
  for (let i = 0; ok && i < parts.length; i++) {
    const p = parts[i];
    ok = isNumeric(p) && (p.length == 1 || p.charCodeAt(0) != 0x30);
  }
  const p = "/ociVersion";
  if (!ok) {
    err(c, p, "semver", "must be SemVer like 1.2.0, not " + q(s));
  } else if (parts[0] == "0") {
    warn(c, p, "old", s + " predates 1.0.0");
  } else if (parts[0] != "1") {
    err(c, p, "unsupported", "capsa implements 1.x, not " + s);
  } else if (parts[1].length > 1 || parts[1].charCodeAt(0) - 0x30 > SPEC_MINOR) {
    warn(c, p, "newer", s + " is newer than 1." + SPEC_MINOR.toString() + ": new fields are ignored");
  }
}

export function root(c: Ctx): void {
  const r = get(c.config, "root", Kind.Object);
  if (r === null) return;
  const f = shape(c, r, "/root", "path:s! readonly:b");
  const p = f.v[0];
  if (p !== null && p.str.length == 0) err(c, f.p(0), "empty", "must name the root filesystem");
}

export function process(c: Ctx): void {
  const p = c.process;
  if (p === null) return;
  const f = shape(c, p, "/process", "cwd:s! args:S commandLine:s env:S terminal:b consoleSize:o user:o rlimits:a apparmorProfile:s capabilities:o noNewPrivileges:b oomScoreAdj:-1000..1000 scheduler:o selinuxLabel:s ioPriority:o execCPUAffinity:o");
  absField(c, f, 0);
  const cl = f.v[2];
  if (cl !== null) ignored(c, f.p(2), "commandLine is for Windows");
  const args = f.v[1];
  if (!f.has(1)) {
    if (!f.has(2)) err(c, f.p(1), "required", "must hold the program to run");
  } else if (args !== null && args.items.length == 0) {
    if (cl === null) err(c, f.p(1), "empty", "must hold the program to run");
  } else if (args !== null && args.items[0].kind == Kind.String && args.items[0].str.length == 0) {
    err(c, ptrI(f.p(1), 0), "empty", "must not be empty");
  }
  envField(c, f, 3);
  const cs = f.v[5];
  if (cs !== null) {
    shape(c, cs, f.p(5), "height:u16! width:u16!");
    const term = f.v[4];
    if (term === null || !term.bool) ignored(c, f.p(5), "terminal is not true");
  }
}

/** NGROUPS_MAX on Linux. */
const NGROUPS_MAX: i32 = 65536;

export function processUser(c: Ctx): void {
  const u = get(c.process, "user", Kind.Object);
  if (u === null) return;
  const f = shape(c, u, ptr("/process", "user"), "uid:u32! gid:u32! umask:0..511 additionalGids:a username:s");
  const g = f.v[3];
  if (g !== null) {
    for (let i = 0; i < g.items.length; i++) {
      const v = g.items[i];
      if (v.kind != Kind.Number || !v.fitsU32()) c.w.intValue(v, ptrI(f.p(3), i), 0, u32.MAX_VALUE);
    }
    if (g.items.length > NGROUPS_MAX) err(c, f.p(3), "tooMany", "at most " + NGROUPS_MAX.toString() + " groups");
  }
  if (f.v[4] !== null) ignored(c, f.p(4), "username is for Windows");
}

/** HOST_NAME_MAX: sethostname and setdomainname take at most 64 bytes. */
const HOST_NAME_MAX: i32 = 64;

function utsName(c: Ctx, key: string): void {
  const v = get(c.config, key, Kind.String);
  if (v === null || v.str.length == 0) return;
  const p = "/" + key;
  if (String.UTF8.byteLength(v.str) > HOST_NAME_MAX) err(c, p, "length", "must be at most " + HOST_NAME_MAX.toString() + " bytes long");
  if (!c.ns.has("uts")) needNs(c, p, key, "uts");
}

export function hostname(c: Ctx): void {
  utsName(c, "hostname");
  utsName(c, "domainname");
}

export function annotations(c: Ctx): void {
  const a = get(c.config, "annotations", Kind.Object);
  if (a === null) return;
  for (let i = 0; i < a.keys.length; i++) {
    const k = a.keys[i];
    if (k.length == 0) c.d.error("/annotations/", "annotations.empty", "must not be empty");
    if (a.items[i].kind != Kind.String) c.w.is(a.items[i], ptr("/annotations", k), Kind.String, "annotations.type");
  }
}
