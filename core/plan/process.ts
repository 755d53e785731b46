// The container process, in the order of runc's standard init (standard_init_linux.go and
// finalizeNamespace): session, hostname, sysctls, read-only and masked paths, rlimits,
// no_new_privs, cwd, bounding set, user switch with kept capabilities, capability sets,
// ambient set, umask, the executable's lookup, then the wait for `start` and execve.
import { JValue, Kind, pointerToken } from "../json";
import {
  OP_SETSID, OP_SETHOSTNAME, OP_SETDOMAINNAME, OP_WRITE_FILE, OP_SETRLIMIT, OP_PRCTL, OP_CHDIR,
  OP_CAP_BOUNDING, OP_SETGROUPS, OP_SETRESGID, OP_SETRESUID, OP_CAPSET, OP_CAP_AMBIENT, OP_UMASK,
  OP_WAIT_FIFO, OP_EXEC, OP_LOOKUP, OP_CONSOLE, CONSOLE_MOUNT, OP_SECCOMP,
  SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
} from "../ops";
import { capNumber, rlimitNumber } from "../tables";
import { clean } from "../paths";
import { area } from "../diag";
import { PlanCtx, objOf, arrOf, strOf, boolOf, intOf, stringsOf, member } from "./context";
import { planMasks } from "./rootfs";
import { isMapped } from "./namespaces";
import { PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS } from "./consts";
import { compileSeccomp, seccompFlags } from "../seccomp/index";
import { join } from "../strings";

const CAP_SETS: string[] = ["bounding", "effective", "permitted", "inheritable", "ambient"];

/** The five capability sets as 64-bit masks (bit n = capability n). */
export class CapMasks {
  bounding: u64 = 0;
  effective: u64 = 0;
  permitted: u64 = 0;
  inheritable: u64 = 0;
  ambient: u64 = 0;
}

export function capMasks(c: PlanCtx): CapMasks {
  const m = new CapMasks();
  const caps = objOf(c.process, "capabilities");
  for (let s = 0; s < CAP_SETS.length; s++) {
    const set = CAP_SETS[s];
    const a = arrOf(caps, set);
    if (a === null) continue;
    let mask: u64 = 0;
    for (let i = 0; i < a.items.length; i++) {
      const v = a.items[i];
      if (v.kind != Kind.String) continue;
      const n = capNumber(v.str);
      if (n < 0) continue; // reported by validation
      if (n > c.f.lastCap) {
        c.d.warn("/process/capabilities/" + set + "/" + i.toString(), "process.capabilities." + set + ".unavailable",
          v.str + " is not known to this kernel (last capability " + c.f.lastCap.toString() + ") and is ignored");
        continue;
      }
      mask |= (<u64>1) << <u64>n;
    }
    if (set == "bounding") m.bounding = mask;
    else if (set == "effective") m.effective = mask;
    else if (set == "permitted") m.permitted = mask;
    else if (set == "inheritable") m.inheritable = mask;
    else m.ambient = mask;
  }
  // The kernel raises an ambient capability only when it is permitted and inheritable.
  const lost = m.ambient & ~(m.permitted & m.inheritable);
  if (lost != 0) {
    const a = arrOf(caps, "ambient")!;
    for (let i = 0; i < a.items.length; i++) {
      const n = a.items[i].kind == Kind.String ? capNumber(a.items[i].str) : -1;
      if (n >= 0 && n <= c.f.lastCap && (lost & ((<u64>1) << <u64>n)) != 0) {
        c.d.warn("/process/capabilities/ambient/" + i.toString(), "process.capabilities.ambient.ignored",
          a.items[i].str + " is ignored: an ambient capability must be permitted and inheritable");
      }
    }
    m.ambient &= m.permitted & m.inheritable;
  }
  return m;
}

function lo(m: u64): i64 { return <i64>(m & 0xffffffff); }
function hi(m: u64): i64 { return <i64>(m >> 32); }

// Settings the init cannot apply yet (JSON Pointers): each present one gets a warning rather
// than being silently dropped.
const UNSUPPORTED: string[] = [
  "/process/apparmorProfile", "/process/selinuxLabel", "/linux/mountLabel",
  "/process/scheduler", "/process/ioPriority", "/linux/personality", "/linux/memoryPolicy",
];

function unsupported(c: PlanCtx): void {
  for (let i = 0; i < UNSUPPORTED.length; i++) {
    const p = UNSUPPORTED[i];
    const parts = p.split("/");
    if (objOf(c.config, parts[1]) !== null && c.config.get(parts[1])!.has(parts[2])) {
      c.d.warn(p, area(p, "unsupported"), parts[2] + " is not enforced yet: it is ignored");
    }
  }
  if (boolOf(c.process, "terminal", false) && c.f.consoleFd < 0) {
    c.d.warn("/process/terminal", "process.terminal.console", "no console socket: the process gets the runtime's stdio, not a terminal");
  }
}

/** A terminal was asked for and the runtime passes the console socket. */
function hasConsole(c: PlanCtx): bool {
  return boolOf(c.process, "terminal", false) && c.f.consoleFd >= 0;
}

/** The pty (runc's setupConsole and Setctty): sized from consoleSize, owned by the process's user. */
function consoleOp(c: PlanCtx, mount: bool): void {
  const size = objOf(c.process, "consoleSize");
  const uid = intOf(objOf(c.process, "user"), "uid", 0);
  c.prog.add(OP_CONSOLE, "/process/terminal", mount ? "console (pty, /dev/console, controlling terminal)" : "console (pty, controlling terminal)")
    .i(c.f.consoleFd).i(intOf(size, "height", 0)).i(intOf(size, "width", 0)).i(mount ? CONSOLE_MOUNT : 0).i(uid);
}

/**
 * The container's init with a console, right after the pivot (as runc: the user's mounts are
 * all there, and /dev is not read-only yet, so /dev/console can be made): a new session, then
 * the pty as its controlling terminal.
 */
export function planConsole(c: PlanCtx): void {
  if (c.f.execPid > 0 || !hasConsole(c)) return;
  c.prog.add(OP_SETSID, "", "new session");
  consoleOp(c, true);
}

function sysctlPath(name: string): string {
  return "/proc/sys/" + name.replaceAll(".", "/");
}

/** Everything after the rootfs is final, up to execve. */
export function planProcess(c: PlanCtx): void {
  const prog = c.prog;
  const p = c.process!;
  unsupported(c);

  const exec = c.f.execPid > 0;
  // A new session: the container does not share the runtime's (runc's init does the same).
  // An exec'd process stays in the caller's session unless it gets a terminal. With a console,
  // the init's session came with it (planConsole); an exec'd process gets its pty here.
  if (exec) {
    if (boolOf(p, "terminal", false)) prog.add(OP_SETSID, "", "new session");
    if (hasConsole(c)) consoleOp(c, false);
  } else if (!hasConsole(c)) {
    prog.add(OP_SETSID, "", "new session");
  }

  if (!exec) planContainerWide(c);
  planUserProcess(c);
}

/** What belongs to the container as a whole: its names, sysctls, masked and read-only paths. */
function planContainerWide(c: PlanCtx): void {
  const prog = c.prog;
  const host = member(c.config, "hostname", Kind.String);
  if (host !== null && host.str.length > 0) prog.add(OP_SETHOSTNAME, "/hostname", "hostname (" + host.str + ")").s(host.str);
  const dom = member(c.config, "domainname", Kind.String);
  if (dom !== null && dom.str.length > 0) prog.add(OP_SETDOMAINNAME, "/domainname", "domainname (" + dom.str + ")").s(dom.str);

  const sc = objOf(c.linux, "sysctl");
  if (sc !== null) {
    for (let i = 0; i < sc.keys.length; i++) {
      const v = sc.items[i];
      if (v.kind != Kind.String) continue;
      const k = sc.keys[i];
      prog.add(OP_WRITE_FILE, "/linux/sysctl/" + pointerToken(k), "sysctl " + k + "=" + v.str).i(0).s(sysctlPath(k)).s(v.str);
    }
  }

  // After the sysctls: /proc/sys is usually one of the read-only paths.
  planMasks(c);
}

/** The process itself: limits, privileges, user, capabilities, cwd, then execve. */
function planUserProcess(c: PlanCtx): void {
  const prog = c.prog;
  const p = c.process!;

  const rl = arrOf(p, "rlimits");
  if (rl !== null) {
    for (let i = 0; i < rl.items.length; i++) {
      const e = rl.items[i];
      const t = strOf(e, "type", "");
      const n = rlimitNumber(t);
      if (n < 0) continue; // reported by validation
      prog.add(OP_SETRLIMIT, "/process/rlimits/" + i.toString(), "rlimit " + t).i(n).i(intOf(e, "soft", 0)).i(intOf(e, "hard", 0));
    }
  }

  const nnp = boolOf(p, "noNewPrivileges", false);
  if (nnp) prog.add(OP_PRCTL, "/process/noNewPrivileges", "no_new_privs").i(PR_SET_NO_NEW_PRIVS).i(1).i(0);

  // Seccomp, as runc orders it: without no_new_privs installing a filter needs CAP_SYS_ADMIN,
  // so it goes before the user switch; with no_new_privs as late as possible, right before
  // the wait for start (the init's last syscalls — the READY message, the fifo, execve — must
  // be allowed by the profile, as Docker's and podman's are, or notified to an agent that
  // answers: see INIT_HANDOVER_SYSCALLS for the few that may not be notified).
  const sc = objOf(c.linux, "seccomp");
  let bpf: ArrayBuffer | null = null;
  let scFlags: i64 = 0;
  if (sc !== null) {
    bpf = compileSeccomp(sc, c.f.arch, "/linux/seccomp", c.d);
    scFlags = seccompFilterFlags(c, sc);
  }
  if (bpf !== null && !nnp) prog.add(OP_SECCOMP, "/linux/seccomp", seccompWhat(scFlags)).i(scFlags).b(bpf);

  // Like runc, chdir before the user switch: the runtime's root can reach more directories.
  const cwd = strOf(p, "cwd", "/");
  prog.add(OP_CHDIR, "/process/cwd", "cwd (" + cwd + ")").s(clean("/" + cwd));

  const caps = capMasks(c);
  const last = <i64>c.f.lastCap;
  prog.add(OP_CAP_BOUNDING, "/process/capabilities/bounding", "bounding set").i(lo(caps.bounding)).i(hi(caps.bounding)).i(last);
  prog.add(OP_PRCTL, "/process/capabilities", "keep capabilities (setuid)").i(PR_SET_KEEPCAPS).i(1).i(0);

  const user = objOf(p, "user");
  const uid = intOf(user, "uid", 0);
  const gid = intOf(user, "gid", 0);
  const groups = arrOf(user, "additionalGids");
  if (c.isNew("user")) {
    const um = arrOf(c.linux, "uidMappings");
    const gm = arrOf(c.linux, "gidMappings");
    if (um !== null && !isMapped(um, uid)) c.d.error("/process/user/uid", "process.user.uid.unmapped", "uid " + uid.toString() + " is not in linux.uidMappings");
    if (gm !== null && !isMapped(gm, gid)) c.d.error("/process/user/gid", "process.user.gid.unmapped", "gid " + gid.toString() + " is not in linux.gidMappings");
    if (gm !== null && groups !== null) {
      for (let i = 0; i < groups.items.length; i++) {
        const gv = groups.items[i];
        if (gv.kind != Kind.Number || !gv.fitsI64()) continue;
        const n = gv.i64();
        if (!isMapped(gm, n)) c.d.error("/process/user/additionalGids/" + i.toString(), "process.user.additionalGids.unmapped", "gid " + n.toString() + " is not in linux.gidMappings");
      }
    }
  }
  if (c.f.rootless) {
    // An unprivileged runtime cannot call setgroups(2) (runc refuses additionalGids too).
    if (groups !== null && groups.items.length > 0) {
      c.d.error("/process/user/additionalGids", "process.user.additionalGids.rootless", "a rootless container cannot set additional groups");
    }
  } else {
    // Always, even with no groups: drops the runtime's supplementary groups.
    const op = prog.add(OP_SETGROUPS, "/process/user/additionalGids", "additional groups");
    if (groups !== null) for (let i = 0; i < groups.items.length; i++) {
      const gv = groups.items[i];
      if (gv.kind == Kind.Number && gv.fitsI64()) op.i(gv.i64());
    }
  }
  prog.add(OP_SETRESGID, "/process/user/gid", "gid " + gid.toString()).i(gid);
  prog.add(OP_SETRESUID, "/process/user/uid", "uid " + uid.toString()).i(uid);
  prog.add(OP_PRCTL, "/process/capabilities", "keep capabilities off").i(PR_SET_KEEPCAPS).i(0).i(0);
  prog.add(OP_CAPSET, "/process/capabilities", "capabilities")
    .i(lo(caps.effective)).i(hi(caps.effective))
    .i(lo(caps.permitted)).i(hi(caps.permitted))
    .i(lo(caps.inheritable)).i(hi(caps.inheritable));
  prog.add(OP_CAP_AMBIENT, "/process/capabilities/ambient", "ambient set").i(lo(caps.ambient)).i(hi(caps.ambient)).i(last);

  const um = member(user, "umask", Kind.Number);
  prog.add(OP_UMASK, um !== null ? "/process/user/umask" : "", "umask").i(um !== null ? intOf(user, "umask", 0o22) : 0o22);

  const args = stringsOf(p, "args");
  const env = stringsOf(p, "env");
  const prog0 = args.length > 0 ? args[0] : "";
  const search = prog0.indexOf("/") < 0;
  const path = searchPath(env);
  // As runc: the executable is looked up in the container, as its user, after the hooks and
  // before the wait for `start`, so that a missing one fails create rather than the start.
  if (prog0.length > 0) prog.add(OP_LOOKUP, "/process/args/0", "exec: \"" + prog0 + "\"").s(prog0).s(search ? path : "");

  if (bpf !== null && nnp) prog.add(OP_SECCOMP, "/linux/seccomp", seccompWhat(scFlags)).i(scFlags).b(bpf);

  if (c.f.fifo.length > 0) prog.add(OP_WAIT_FIFO, "", "exec fifo (" + c.f.fifo + ")");

  const op = prog.add(OP_EXEC, "/process/args", "process (" + prog0 + ")")
    .i(args.length).i(env.length).i(search ? 1 : 0).i(c.f.preserveFds);
  op.s(prog0);
  for (let i = 0; i < args.length; i++) op.s(args[i]);
  for (let i = 0; i < env.length; i++) op.s(env[i]);
  if (search) op.s(path);
}

/** The directories a bare executable name is looked up in: the first PATH of the process's
 * environment, else the default that Docker and runc's clients give a container. */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function searchPath(env: string[]): string {
  for (let i = 0; i < env.length; i++) if (env[i].startsWith("PATH=")) return env[i].substring(5);
  return DEFAULT_PATH;
}

// The init's syscalls between loading a filter with a listener and the runtime's ACK of the
// listener it handed over: the MSG_SYNC (sendto), the descriptor (sendmsg) and the ACK
// (recvfrom). Until that ACK no agent holds the listener, so a notification for one of them
// would never be answered: a NOTIFY rule may not name them. Everything after the ACK may be
// notified: the agent has the listener by then and answers (as with runc).
const INIT_HANDOVER_SYSCALLS: string[] = ["sendto", "sendmsg", "recvfrom"];

/**
 * The flags of the seccomp op: linux.seccomp.flags, plus NEW_LISTENER when a rule notifies
 * (listenerPath is then required by validation; without a NOTIFY rule it is ignored, as the
 * spec says). WAIT_KILLABLE_RECV only means something with a listener (the kernel refuses it
 * alone); TSYNC with a listener needs TSYNC_ESRCH (as libseccomp does).
 */
function seccompFilterFlags(c: PlanCtx, sc: JValue): i64 {
  let flags = seccompFlags(sc);
  let notify = false;
  const calls = arrOf(sc, "syscalls");
  if (calls !== null) {
    for (let i = 0; i < calls.items.length; i++) {
      const e = calls.items[i];
      if (strOf(e, "action", "") != "SCMP_ACT_NOTIFY") continue;
      notify = true;
      const names = arrOf(e, "names");
      if (names === null) continue;
      for (let j = 0; j < names.items.length; j++) {
        const n = names.items[j];
        if (n.kind != Kind.String || !INIT_HANDOVER_SYSCALLS.includes(n.str)) continue;
        const ptr = "/linux/seccomp/syscalls/" + i.toString() + "/names/" + j.toString();
        c.d.error(ptr, "linux.seccomp.syscalls.names.notifyHandover",
          n.str + " cannot be notified: the init makes it before the runtime has handed the listener to linux.seccomp.listenerPath (allow " + join(INIT_HANDOVER_SYSCALLS, ", ") + ")");
      }
    }
  }
  if (!notify) return flags & ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) != 0) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return flags;
}

function seccompWhat(flags: i64): string {
  return (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0 ? "seccomp filter (listener to linux.seccomp.listenerPath)" : "seccomp filter";
}

/** process.user for the plan's output: uid, gid, umask (when set), additionalGids. */
export function userJSON(c: PlanCtx): JValue {
  const u = objOf(c.process, "user");
  const o = JValue.object();
  o.set("uid", JValue.ofI64(intOf(u, "uid", 0)));
  o.set("gid", JValue.ofI64(intOf(u, "gid", 0)));
  const um = member(u, "umask", Kind.Number);
  if (um !== null) o.set("umask", um);
  const g = JValue.array();
  const groups = arrOf(u, "additionalGids");
  if (groups !== null) for (let i = 0; i < groups.items.length; i++) g.push(groups.items[i]);
  o.set("additionalGids", g);
  return o;
}
