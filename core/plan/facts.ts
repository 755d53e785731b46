// The runtime facts `plan` receives next to config.json: everything about this container and
// this host that the config does not say. The core never looks at the host itself.
import { JValue, Kind } from "../json";
import { isAbsolute } from "../paths";
import { CAPS } from "../tables";

export class CgroupMount {
  constructor(public controller: string, public host: string) {}
}

export class Facts {
  id: string = "";
  bundle: string = "";
  stateDir: string = "";
  /** Host path of the exec fifo, or "" to exec the process without waiting for start. */
  fifo: string = "";
  lastCap: i32 = CAPS.length - 1;
  noPivot: bool = false;
  preserveFds: i32 = 0;
  /** A process object replacing config.process, or null. */
  process: JValue | null = null;
  /** Run hooks (sync points for createRuntime/prestart and createContainer). */
  hooks: bool = true;
  /** The runtime runs without root on the host (runc's "rootless euid"). */
  rootless: bool = false;
  /** The host is cgroup v2 only (unified): a `cgroup` mount is a cgroup2 mount. */
  cgroupV2: bool = false;
  /** v1 controller hierarchies of the container's cgroup, for a `cgroup` mount. */
  cgroupMounts: CgroupMount[] = [];
  /** The container's cgroup directories (host paths): the init joins them itself, first. */
  cgroupDirs: string[] = [];
  /** /proc/kcore exists on the host, so /dev/core can point to it. */
  kcore: bool = true;
  /** exec: the pid of the running container's init whose namespaces the process joins (0: create). */
  execPid: i32 = 0;
  /** The host's architecture for seccomp: "x86_64" or "aarch64". */
  arch: string = "x86_64";
  /** The descriptor the init gets its console socket on (3 + preserveFds or above), or -1:
   * with process.terminal, the init opens a pty and sends its master there. */
  consoleFd: i32 = -1;
  /** Include the op table (`ops`) and its text (`text`) in the plan's JSON. A runtime that only
   * runs the program leaves them out and asks again, with them, when an op fails. */
  describe: bool = true;
}

export let factsError: string = "";

/** Records a malformed fact; returns null for the callers' convenience. */
function bad(key: string, want: string): Facts | null {
  factsError = "facts." + key + " must be " + want;
  return null;
}

function str(o: JValue, key: string): string | null {
  const v = o.get(key);
  if (v === null || v.kind == Kind.Null) return "";
  return v.kind == Kind.String ? v.str : null;
}

/** 0 or 1, or -1 when the member is not a boolean. */
function flag(o: JValue, key: string, dflt: bool): i32 {
  const v = o.get(key);
  if (v === null || v.kind == Kind.Null) return dflt ? 1 : 0;
  return v.kind == Kind.Bool ? (v.bool ? 1 : 0) : -1;
}

/** The member in [0, max], `dflt` when absent, or -1. */
function small(o: JValue, key: string, dflt: i32, max: i32): i32 {
  const v = o.get(key);
  if (v === null || v.kind == Kind.Null) return dflt;
  return v.kind == Kind.Number && v.fitsI32() && v.i64() >= 0 && v.i64() <= <i64>max ? <i32>v.i64() : -1;
}

/** Reads the facts object; returns null and sets `factsError` when it is malformed. */
export function readFacts(v: JValue): Facts | null {
  factsError = "";
  if (v.kind != Kind.Object) return bad("", "an object");
  const f = new Facts();
  const id = str(v, "id");
  const bundle = str(v, "bundle");
  const stateDir = str(v, "stateDir");
  const fifo = str(v, "fifo");
  if (id === null) return bad("id", "a string");
  if (stateDir === null) return bad("stateDir", "a string");
  if (bundle === null || !isAbsolute(bundle)) return bad("bundle", "an absolute path");
  if (fifo === null || (fifo.length > 0 && !isAbsolute(fifo))) return bad("fifo", "an absolute path or null");
  f.id = id; f.bundle = bundle; f.stateDir = stateDir; f.fifo = fifo;
  f.lastCap = small(v, "lastCap", CAPS.length - 1, 63);
  if (f.lastCap < 0) return bad("lastCap", "an integer from 0 to 63");
  f.preserveFds = small(v, "preserveFds", 0, 1 << 20);
  if (f.preserveFds < 0) return bad("preserveFds", "a small non-negative integer");
  const keys: string[] = ["noPivot", "hooks", "rootless", "cgroupV2", "kcore", "describe"];
  for (let i = 0; i < keys.length; i++) {
    const b = flag(v, keys[i], i == 1 || i >= 4);
    if (b < 0) return bad(keys[i], "a boolean");
    if (i == 0) f.noPivot = b == 1;
    else if (i == 1) f.hooks = b == 1;
    else if (i == 2) f.rootless = b == 1;
    else if (i == 3) f.cgroupV2 = b == 1;
    else if (i == 4) f.kcore = b == 1;
    else f.describe = b == 1;
  }
  const arch = str(v, "arch");
  if (arch === null || (arch.length > 0 && arch != "x86_64" && arch != "aarch64")) return bad("arch", "\"x86_64\" or \"aarch64\"");
  if (arch.length > 0) f.arch = arch;
  f.execPid = small(v, "execPid", 0, 1 << 30);
  if (f.execPid < 0) return bad("execPid", "a pid");
  // The console socket sits above the preserved descriptors, so the exec op (which keeps
  // 3 … 2+preserveFds) never hands it to the container's process.
  const cf = v.get("consoleFd");
  if (cf !== null && cf.kind != Kind.Null) {
    f.consoleFd = small(v, "consoleFd", -1, 1 << 20);
    if (f.consoleFd < 3 + f.preserveFds) return bad("consoleFd", "a descriptor number from 3 + preserveFds up, or null");
  }
  const p = v.get("process");
  if (p !== null && p.kind != Kind.Null) {
    if (p.kind != Kind.Object) return bad("process", "an object or null");
    f.process = p;
  }
  const cd = v.get("cgroupDirs");
  if (cd !== null && cd.kind != Kind.Null) {
    if (cd.kind != Kind.Array) return bad("cgroupDirs", "an array of absolute paths");
    for (let i = 0; i < cd.items.length; i++) {
      const e = cd.items[i];
      if (e.kind != Kind.String || !isAbsolute(e.str)) return bad("cgroupDirs", "an array of absolute paths");
      f.cgroupDirs.push(e.str);
    }
  }
  const cm = v.get("cgroupMounts");
  if (cm !== null && cm.kind != Kind.Null) {
    if (cm.kind != Kind.Array) return bad("cgroupMounts", "an array");
    for (let i = 0; i < cm.items.length; i++) {
      const e = cm.items[i];
      const c = e.kind == Kind.Object ? e.get("controller") : null;
      const h = e.kind == Kind.Object ? e.get("host") : null;
      if (c === null || h === null || c.kind != Kind.String || h.kind != Kind.String || c.str.length == 0 || !isAbsolute(h.str) || c.str.indexOf("/") >= 0) {
        return bad("cgroupMounts", "a list of {\"controller\": name, \"host\": absolute path}");
      }
      f.cgroupMounts.push(new CgroupMount(c.str, h.str));
    }
  }
  return f;
}
