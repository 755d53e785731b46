// The container's filesystem, in runc's order (libcontainer/rootfs_linux.go): root propagation,
// the rootfs bound on itself, config.mounts in order, /dev (device nodes, ptmx, symlinks), the
// hook sync points, pivot_root; after it the cwd, the delayed read-only remounts and the
// read-only root; later (see process.ts) readonlyPaths and maskedPaths.
import { JValue, Kind } from "../json";
import { clean, join, isAbsolute } from "../paths";
import {
  OP_MOUNT, OP_SET_ROOT, OP_MKDIR, OP_MKNOD, OP_BIND_DEV, OP_SYMLINK, OP_PIVOT_ROOT, OP_MOVE_ROOT,
  OP_MASK, OP_READONLY, OP_REMOUNT_ROOT, OP_SYNC, SYNC_CREATE_RUNTIME, SYNC_CREATE_CONTAINER,
  MNT_TARGET_HOST, MNT_MKDIR, MNT_MKFILE_IF_FILE,
} from "../ops";
import { Op } from "../program";
import { PlanCtx, objOf, arrOf, strOf, boolOf, intOf, stringsOf, member } from "./context";
import { parseMountOptions, propagationFlags, MountOptions } from "./mountopts";
import {
  MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_SLAVE,
  S_IFCHR, S_IFBLK, S_IFIFO,
} from "./consts";

const DEFAULT_MOUNT_FLAGS: i64 = MS_NOEXEC | MS_NOSUID | MS_NODEV;

/** The rootfs as an absolute host path (root.path is absolute or relative to the bundle). */
export function rootfsPath(c: PlanCtx): string {
  const p = strOf(objOf(c.config, "root"), "path", "rootfs");
  return isAbsolute(p) ? clean(p) : join(c.f.bundle, p);
}

/** A mount destination as an absolute in-root path (relative ones are taken from /). */
function dest(d: string): string { return clean("/" + d); }

function parentDir(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.substring(0, i);
}

/**
 * A mount op. How the plan uses its integers: `flags` and `data` go to the first
 * mount(source, target, fstype, flags, data); `propagation`, when nonzero, is a second
 * mount(NULL, target, NULL, propagation, NULL); `remount`, when nonzero, holds the complete
 * flags (MS_REMOUNT|MS_BIND included) of a third mount(NULL, target, NULL, remount, NULL);
 * `attr_set`/`attr_clr`, when either is nonzero, go to mount_setattr(target, AT_RECURSIVE).
 */
function mountOp(c: PlanCtx, pointer: string, what: string, source: string, target: string, fstype: string,
  data: string, flags: i64, cflags: i64, propagation: i64, remount: i64, attrSet: i64, attrClr: i64): Op {
  return c.prog.add(OP_MOUNT, pointer, what)
    .i(flags).i(cflags).i(propagation).i(remount).i(attrSet).i(attrClr)
    .s(source).s(target).s(fstype).s(data);
}

/** A bind remount of an in-root mount with these flags (it changes only per-mount flags). */
function remountOp(c: PlanCtx, pointer: string, what: string, target: string, flags: i64): void {
  mountOp(c, pointer, what, "", target, "", "", 0, 0, 0, flags | MS_REMOUNT | MS_BIND, 0, 0);
}

/** True when /dev is set up by the runtime: unless config.mounts binds something over it. */
function setupDev(c: PlanCtx): bool {
  const ms = arrOf(c.config, "mounts");
  if (ms === null) return true;
  for (let i = 0; i < ms.items.length; i++) {
    const m = ms.items[i];
    if (m.kind != Kind.Object || dest(strOf(m, "destination", "")) != "/dev") continue;
    const o = parseMountOptions(stringsOf(m, "options"));
    if (o.isBind() || strOf(m, "type", "") == "bind") return false;
  }
  return true;
}

function oneMount(c: PlanCtx, m: JValue, i: i32): void {
  const p = "/mounts/" + i.toString();
  const d = dest(strOf(m, "destination", ""));
  let type = strOf(m, "type", "");
  let source = strOf(m, "source", "");
  const optsArr = stringsOf(m, "options");
  const o = parseMountOptions(optsArr);
  if (type == "bind") o.flags |= MS_BIND;
  const bind = o.isBind();
  const label = "mounts[" + i.toString() + "] (" + d + ", " + (bind ? "bind" : type) + ")";

  if (o.idmapAt >= 0 || m.has("uidMappings") || m.has("gidMappings")) {
    const at = o.idmapAt >= 0 ? p + "/options/" + o.idmapAt.toString() : (m.has("uidMappings") ? p + "/uidMappings" : p + "/gidMappings");
    c.d.error(at, "mounts.idmap.unsupported", "idmapped mounts are not supported yet");
  }
  if (o.copyUpAt >= 0) {
    c.d.warn(p + "/options/" + o.copyUpAt.toString(), "mounts.options.tmpcopyup", "tmpcopyup is not supported yet: the tmpfs starts empty");
  }
  if (o.propagationConflictAt >= 0) {
    c.d.warn(p + "/options/" + o.propagationConflictAt.toString(), "mounts.options.propagation", "the last propagation option wins");
  }

  if (bind) {
    if (source.length > 0 && !isAbsolute(source)) source = join(c.f.bundle, source);
    // A bind mount keeps the source's flags: apply the requested ones with a bind remount,
    // unless none were asked for (set or cleared), as runc does.
    const extra = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    const remount = extra != 0 || o.cleared != 0 ? o.flags | MS_BIND | MS_REMOUNT : 0;
    mountOp(c, p, label, source, d, "bind", o.dataString(), o.flags, MNT_MKDIR | MNT_MKFILE_IF_FILE,
      o.propagation, remount, o.attrSet, o.attrClr);
    return;
  }

  if (type == "cgroup" && !c.f.cgroupV2) { cgroupV1(c, p, label, d, o); return; }
  if (type == "cgroup") type = "cgroup2";

  let flags = o.flags;
  // A read-only tmpfs (or /dev) is mounted writable and made read-only after everything
  // that goes inside it (mount points, device nodes) exists.
  if ((flags & MS_RDONLY) != 0 && (type == "tmpfs" || d == "/dev")) {
    flags &= ~MS_RDONLY;
    c.lateReadonly.push(i);
  }
  mountOp(c, p, label, source, d, type, o.dataString(), flags, MNT_MKDIR, o.propagation, 0, o.attrSet, o.attrClr);
}

/**
 * A `cgroup` mount on a v1 host: a tmpfs with one directory per controller hierarchy of the
 * container's cgroup (a cgroup mount of it in a cgroup namespace, a bind of its host directory
 * otherwise), symlinks for co-mounted controllers (cpu → cpu,cpuacct), then read-only.
 */
function cgroupV1(c: PlanCtx, p: string, label: string, d: string, o: MountOptions): void {
  mountOp(c, p, label + " tmpfs", "tmpfs", d, "tmpfs", "mode=755", DEFAULT_MOUNT_FLAGS, MNT_MKDIR, o.propagation, 0, 0, 0);
  const ro = (o.flags & MS_RDONLY) != 0;
  const cms = c.f.cgroupMounts;
  for (let k = 0; k < cms.length; k++) {
    const cm = cms[k];
    // Named hierarchies (name=systemd) live in a directory named after them.
    const named = cm.controller.startsWith("name=") || cm.controller == "systemd";
    const dirName = cm.controller.startsWith("name=") ? cm.controller.substring(5) : cm.controller;
    const sub = d + "/" + dirName;
    const what = label + " " + dirName;
    if (c.has("cgroup")) {
      mountOp(c, p, what, named ? dirName : "cgroup", sub, "cgroup", named ? "name=" + dirName : cm.controller,
        DEFAULT_MOUNT_FLAGS | (ro ? MS_RDONLY : 0), MNT_MKDIR, o.propagation, 0, 0, 0);
    } else {
      const flags = MS_BIND | MS_REC | o.flags;
      const extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
      mountOp(c, p, what, cm.host, sub, "bind", "", flags, MNT_MKDIR, o.propagation, extra != 0 ? flags | MS_REMOUNT : 0, 0, 0);
    }
    if (cm.controller.indexOf(",") >= 0) {
      const parts = cm.controller.split(",");
      for (let j = 0; j < parts.length; j++) {
        if (parts[j].length == 0 || parts[j] == cm.controller) continue;
        c.prog.add(OP_SYMLINK, p, label + " " + parts[j] + " -> " + cm.controller).s(cm.controller).s(d + "/" + parts[j]);
      }
    }
  }
  if (ro) remountOp(c, p, label + " read-only", d, DEFAULT_MOUNT_FLAGS | MS_RDONLY);
}

class Device {
  constructor(public pointer: string, public what: string, public path: string, public type: string,
    public major: i64, public minor: i64, public mode: i64, public uid: i64, public gid: i64) {}
}

const DEFAULT_DEVICES: string[] = ["null", "zero", "full", "random", "urandom", "tty"];
const DEFAULT_MAJOR: i64[] = [1, 1, 1, 1, 1, 5];
const DEFAULT_MINOR: i64[] = [3, 5, 7, 8, 9, 0];

function devices(c: PlanCtx): Device[] {
  const out: Device[] = [];
  const given = arrOf(c.linux, "devices");
  const givenPaths: string[] = [];
  if (given !== null) for (let i = 0; i < given.items.length; i++) givenPaths.push(clean(strOf(given.items[i], "path", "")));
  for (let i = 0; i < DEFAULT_DEVICES.length; i++) {
    const path = "/dev/" + DEFAULT_DEVICES[i];
    if (givenPaths.includes(path)) continue;
    out.push(new Device("", "default device " + path, path, "c", DEFAULT_MAJOR[i], DEFAULT_MINOR[i], 0o666, 0, 0));
  }
  if (given === null) return out;
  for (let i = 0; i < given.items.length; i++) {
    const e = given.items[i];
    if (e.kind != Kind.Object) continue;
    const path = givenPaths[i];
    // /dev/ptmx is always the symlink to the container's devpts.
    if (path == "/dev/ptmx") continue;
    out.push(new Device("/linux/devices/" + i.toString(), "linux.devices[" + i.toString() + "] (" + path + ")", path,
      strOf(e, "type", "c"), intOf(e, "major", 0), intOf(e, "minor", 0), intOf(e, "fileMode", 0o666) & 0o7777,
      intOf(e, "uid", 0), intOf(e, "gid", 0)));
  }
  return out;
}

function planDev(c: PlanCtx): void {
  const prog = c.prog;
  // mknod(2) of devices is refused in a user namespace: bind the host's node instead.
  const bindDevs = c.has("user");
  const devs = devices(c);
  const made: string[] = [];
  for (let i = 0; i < devs.length; i++) {
    const dv = devs[i];
    const dir = parentDir(dv.path);
    if (dir != "/" && !c.mountDests.includes(dir) && !made.includes(dir)) {
      made.push(dir);
      prog.add(OP_MKDIR, dv.pointer, dv.what + " directory").i(0o755).s(dir);
    }
    if (bindDevs && dv.type != "p") {
      prog.add(OP_BIND_DEV, dv.pointer, dv.what).s(dv.path).s(dv.path);
    } else {
      const kind = dv.type == "b" ? S_IFBLK : dv.type == "p" ? S_IFIFO : S_IFCHR;
      prog.add(OP_MKNOD, dv.pointer, dv.what).i(kind | dv.mode).i(dv.major).i(dv.minor).i(dv.uid).i(dv.gid).s(dv.path);
    }
  }
  prog.add(OP_SYMLINK, "", "/dev/ptmx -> pts/ptmx").s("pts/ptmx").s("/dev/ptmx");
  const links: string[] = ["/proc/self/fd", "/dev/fd", "/proc/self/fd/0", "/dev/stdin", "/proc/self/fd/1", "/dev/stdout", "/proc/self/fd/2", "/dev/stderr"];
  if (c.f.kcore) { links.push("/proc/kcore"); links.push("/dev/core"); }
  for (let i = 0; i < links.length; i += 2) prog.add(OP_SYMLINK, "", links[i + 1] + " -> " + links[i]).s(links[i]).s(links[i + 1]);
}

function hasHooks(c: PlanCtx, kind: string): bool {
  if (!c.f.hooks) return false;
  const a = arrOf(objOf(c.config, "hooks"), kind);
  return a !== null && a.items.length > 0;
}

/** Everything up to and including the pivot into the rootfs. */
export function planRootfs(c: PlanCtx): void {
  const prog = c.prog;
  c.rootfs = rootfsPath(c);
  const ms = arrOf(c.config, "mounts");
  if (ms !== null) for (let i = 0; i < ms.items.length; i++) c.mountDests.push(dest(strOf(ms.items[i], "destination", "")));

  // Stop mount events from leaving the container's mount namespace: `/` becomes rslave (runc's
  // default) or takes linux.rootfsPropagation.
  let prop = MS_SLAVE | MS_REC;
  let propPtr = "";
  const rp = member(c.linux, "rootfsPropagation", Kind.String);
  if (rp !== null) {
    const f = propagationFlags(rp.str);
    propPtr = "/linux/rootfsPropagation";
    if (f < 0) c.d.error(propPtr, "linux.rootfsPropagation.invalid", "\"" + rp.str + "\" is not a propagation type (private, slave, shared, unbindable)");
    else prop = f;
  }
  mountOp(c, propPtr, "propagation of /", "", "/", "", "", prop, MNT_TARGET_HOST, 0, 0, 0, 0);
  // pivot_root(2) needs the new root to be a mount point.
  mountOp(c, "/root/path", "rootfs bind (" + c.rootfs + ")", c.rootfs, c.rootfs, "bind", "", MS_BIND | MS_REC, MNT_TARGET_HOST, 0, 0, 0, 0);
  // Opened after the bind, so in-root paths resolve in the bind mount pivot_root will use.
  prog.add(OP_SET_ROOT, "/root/path", "rootfs (" + c.rootfs + ")").s(c.rootfs);

  if (ms !== null) {
    for (let i = 0; i < ms.items.length; i++) {
      const m = ms.items[i];
      if (m.kind == Kind.Object) oneMount(c, m, i);
    }
  }
  if (setupDev(c)) planDev(c);

  // Hooks run after the mounts (runtime-spec: "the mount operations performed") and before
  // the pivot, while the host's paths are still visible.
  if (hasHooks(c, "prestart") || hasHooks(c, "createRuntime")) {
    prog.add(OP_SYNC, hasHooks(c, "createRuntime") ? "/hooks/createRuntime" : "/hooks/prestart", "createRuntime hooks").i(SYNC_CREATE_RUNTIME);
  }
  if (hasHooks(c, "createContainer")) prog.add(OP_SYNC, "/hooks/createContainer", "createContainer hooks").i(SYNC_CREATE_CONTAINER);

  if (c.f.noPivot) prog.add(OP_MOVE_ROOT, "/root/path", "move rootfs to / (" + c.rootfs + ")");
  else prog.add(OP_PIVOT_ROOT, "/root/path", "pivot_root (" + c.rootfs + ")");
}

/** After the pivot: the cwd, delayed read-only remounts, the read-only root. */
export function planFinalizeRootfs(c: PlanCtx): void {
  const cwd = strOf(c.process, "cwd", "");
  if (cwd.length > 0) c.prog.add(OP_MKDIR, "/process/cwd", "cwd (" + cwd + ")").i(0o755).s(clean("/" + cwd));
  for (let k = 0; k < c.lateReadonly.length; k++) {
    const i = c.lateReadonly[k];
    const m = arrOf(c.config, "mounts")!.items[i];
    const d = dest(strOf(m, "destination", ""));
    const o = parseMountOptions(stringsOf(m, "options"));
    remountOp(c, "/mounts/" + i.toString(), "mounts[" + i.toString() + "] (" + d + ") read-only", d, o.flags | MS_RDONLY);
  }
  if (boolOf(objOf(c.config, "root"), "readonly", false)) c.prog.add(OP_REMOUNT_ROOT, "/root/readonly", "read-only rootfs").i(MS_RDONLY);
}

/** readonlyPaths, then maskedPaths (runc's order). */
export function planMasks(c: PlanCtx): void {
  const ro = stringsOf(c.linux, "readonlyPaths");
  for (let i = 0; i < ro.length; i++) {
    c.prog.add(OP_READONLY, "/linux/readonlyPaths/" + i.toString(), "readonlyPaths[" + i.toString() + "] (" + ro[i] + ")").s(clean("/" + ro[i]));
  }
  const mp = stringsOf(c.linux, "maskedPaths");
  for (let i = 0; i < mp.length; i++) {
    c.prog.add(OP_MASK, "/linux/maskedPaths/" + i.toString(), "maskedPaths[" + i.toString() + "] (" + mp[i] + ")").s(clean("/" + mp[i]));
  }
}
