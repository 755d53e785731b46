// spec: the default config.json, field for field what `runc spec` writes (libcontainer/specconv
// example.go), with `--rootless` conversions. Differences from runc: the hostname is "capsa",
// terminal defaults to false, the cgroup namespace is always listed, and ociVersion is the
// runtime-spec version capsa implements.
import { JValue, Kind, Obj, quote, jsonArray } from "./json";
import { join } from "./strings";

export class SpecOutcome {
  constructor(public status: i32, public json: string) {}
}

function strs(list: string[]): string {
  const q: string[] = [];
  for (let i = 0; i < list.length; i++) q.push(quote(list[i]));
  return jsonArray(q);
}

function mount(dest: string, type: string, source: string, options: string[]): string {
  const o = new Obj().str("destination", dest).str("type", type).str("source", source);
  if (options.length > 0) o.raw("options", strs(options));
  return o.done();
}

function idmap(host: i64): string {
  return jsonArray([new Obj().i64("containerID", 0).i64("hostID", host).i64("size", 1).done()]);
}

function bad(message: string): SpecOutcome {
  return new SpecOutcome(1, new Obj().str("error", message).done());
}

function id(q: JValue, key: string): i64 {
  const v = q.get(key);
  return v === null || v.kind != Kind.Number || !v.fitsU32() ? -1 : <i64>v.u64();
}

export function buildSpec(q: JValue): SpecOutcome {
  const usage = "spec takes {\"rootless\": bool, \"uid\": n, \"gid\": n, \"args\": [strings], \"terminal\": bool}";
  if (q.kind != Kind.Object) return bad(usage);
  const rl = q.get("rootless");
  const tm = q.get("terminal");
  if ((rl !== null && rl.kind != Kind.Bool) || (tm !== null && tm.kind != Kind.Bool)) return bad(usage);
  const rootless = rl !== null && rl.bool;
  let args: string[] = ["sh"];
  const a = q.get("args");
  if (a !== null) {
    if (a.kind != Kind.Array || a.items.length == 0) return bad(usage);
    args = [];
    for (let i = 0; i < a.items.length; i++) {
      if (a.items[i].kind != Kind.String) return bad(usage);
      args.push(a.items[i].str);
    }
  }
  const uid = id(q, "uid");
  const gid = id(q, "gid");
  if (rootless && (uid < 0 || gid < 0)) return bad("a rootless spec needs \"uid\" and \"gid\": the host ids to map to root in the container");

  const caps = strs(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
  const process = new Obj()
    .bool("terminal", tm !== null && tm.bool)
    .raw("user", new Obj().i64("uid", 0).i64("gid", 0).done())
    .raw("args", strs(args))
    .raw("env", strs(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]))
    .str("cwd", "/")
    .raw("capabilities", new Obj().raw("bounding", caps).raw("effective", caps).raw("permitted", caps).done())
    .raw("rlimits", jsonArray([new Obj().str("type", "RLIMIT_NOFILE").i64("hard", 1024).i64("soft", 1024).done()]))
    .bool("noNewPrivileges", true)
    .done();

  // runc spec --rootless (specconv.ToRootless): no gid=/uid= mount options, the host's /sys
  // bound (sysfs needs a network namespace owned by the user namespace), no network namespace,
  // a user namespace mapping root to the caller, no cgroup settings.
  const pts: string[] = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"];
  if (!rootless) pts.push("gid=5");
  const mounts: string[] = [
    mount("/proc", "proc", "proc", []),
    mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
    mount("/dev/pts", "devpts", "devpts", pts),
    mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
    mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
    rootless
      ? mount("/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"])
      : mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
    mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]),
  ];

  const nsTypes = (rootless ? "pid ipc uts mount cgroup user" : "pid network ipc uts mount cgroup").split(" ");
  const ns: string[] = [];
  for (let i = 0; i < nsTypes.length; i++) ns.push(new Obj().str("type", nsTypes[i]).done());

  const linux = new Obj();
  if (rootless) linux.raw("uidMappings", idmap(uid)).raw("gidMappings", idmap(gid));
  else linux.raw("resources", new Obj().raw("devices", jsonArray([new Obj().bool("allow", false).str("access", "rwm").done()])).done());
  linux.raw("namespaces", jsonArray(ns))
    .raw("maskedPaths", strs([
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm",
    ]))
    .raw("readonlyPaths", strs(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]));

  const text = new Obj()
    .str("ociVersion", "1.3.0")
    .raw("process", process)
    .raw("root", new Obj().str("path", "rootfs").bool("readonly", true).done())
    .str("hostname", "capsa")
    .raw("mounts", jsonArray(mounts))
    .raw("linux", linux.done())
    .done();
  return new SpecOutcome(0, pretty(text) + "\n");
}

/** Re-indents compact JSON text with two spaces (strings are copied untouched). */
export function pretty(s: string): string {
  const out: string[] = [];
  let depth = 0;
  let run = 0;
  let inStr = false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const ch = s.charCodeAt(i);
    if (inStr) {
      if (ch == 0x5c) i++;
      else if (ch == 0x22) inStr = false;
      continue;
    }
    if (ch == 0x22) { inStr = true; continue; }
    let piece: string | null = null;
    if (ch == 0x7b || ch == 0x5b) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next == 0x7d || next == 0x5d) { i++; continue; } // {} and [] stay as they are
      depth++;
      piece = String.fromCharCode(ch) + "\n" + "  ".repeat(depth);
    } else if (ch == 0x7d || ch == 0x5d) {
      depth--;
      piece = "\n" + "  ".repeat(depth) + String.fromCharCode(ch);
    } else if (ch == 0x2c) {
      piece = ",\n" + "  ".repeat(depth);
    } else if (ch == 0x3a) {
      piece = ": ";
    }
    if (piece !== null) {
      if (i > run) out.push(s.substring(run, i));
      out.push(piece);
      run = i + 1;
    }
  }
  if (run < n) out.push(s.substring(run));
  return join(out);
}
