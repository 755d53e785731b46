// Namespaces: which ones the clone creates, which ones the init joins or unshares, in which
// order, and where the runtime is asked to write the user namespace's id maps.
//
// Simple case (every namespace is new, none of them a user namespace, no time offsets): clone
// creates them all at once.
//
// Otherwise the clone creates nothing and the init builds its namespaces op by op, like runc's
// nsexec: join the given paths (user first, mount last), unshare a new user namespace and ask
// for its maps, unshare the other new ones (so that the user namespace owns them), write time
// offsets, then fork into the new pid and time namespaces (unshare and setns of those only
// affect children). A new user namespace is never made by clone: capsa-init is exec'd after
// the clone, and an exec in a user namespace that does not map the caller yet drops every
// capability.
//
// The exec fifo is opened first, while the init still has the runtime's ids; in a user
// namespace the init then becomes its root.
//
// The cgroup namespace is always unshared by an op after the rest, never by clone: its root is
// the cgroup the init is in at that moment, so the runtime must have moved the init into the
// container's cgroup before it sends the program (as runc does before its init unshares it).
import { JValue, Kind } from "../json";
import { OP_SETNS, OP_UNSHARE, OP_FORK_PIDNS, OP_SYNC, OP_OPEN_FIFO, OP_WRITE_FILE, OP_SETRESGID, OP_SETRESUID, SYNC_USERMAP } from "../ops";
import { PlanCtx, NS_ORDER, nsFlag, objOf, arrOf, intOf, member } from "./context";
import { CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWPID } from "./consts";
import { join } from "../strings";

/** User namespace id maps for the runtime to write at SYNC_USERMAP. */
export class UserMaps {
  uid: string = "";
  gid: string = "";
  setgroups: string = "allow";
}

function mapText(a: JValue | null): string {
  if (a === null) return "";
  let s = "";
  for (let i = 0; i < a.items.length; i++) {
    const e = a.items[i];
    if (e.kind != Kind.Object) continue;
    s += intOf(e, "containerID", 0).toString() + " " + intOf(e, "hostID", 0).toString() + " " + intOf(e, "size", 0).toString() + "\n";
  }
  return s;
}

/** True when `id` falls in one of the mappings' container ranges. */
export function isMapped(a: JValue | null, id: i64): bool {
  if (a === null) return false;
  for (let i = 0; i < a.items.length; i++) {
    const e = a.items[i];
    if (e.kind != Kind.Object) continue;
    const c = intOf(e, "containerID", 0);
    const n = intOf(e, "size", 0);
    if (id >= c && id < c + n) return true;
  }
  return false;
}

/** The maps for a new user namespace, or null when there is none. */
export function userMaps(c: PlanCtx): UserMaps | null {
  if (!c.isNew("user")) return null;
  const m = new UserMaps();
  const uids = arrOf(c.linux, "uidMappings");
  const gids = arrOf(c.linux, "gidMappings");
  m.uid = mapText(uids);
  m.gid = mapText(gids);
  // Like runc: an unprivileged runtime can only write a single-entry gid map after denying
  // setgroups(2); a privileged one leaves setgroups allowed.
  if (c.f.rootless && (gids === null || gids.items.length <= 1)) m.setgroups = "deny";
  const p = c.nsPointer("user");
  if (m.uid.length == 0 || m.gid.length == 0) c.d.error(p, "linux.namespaces.user.unmapped", "a new user namespace needs linux.uidMappings and linux.gidMappings");
  return m;
}

/** The exec fifo and oom_score_adj: done while the host's paths and /proc are still in view. */
function early(c: PlanCtx): void {
  if (c.f.fifo.length > 0) c.prog.add(OP_OPEN_FIFO, "", "exec fifo (" + c.f.fifo + ")").s(c.f.fifo);
  const oom = member(c.process, "oomScoreAdj", Kind.Number);
  if (oom !== null) {
    c.prog.add(OP_WRITE_FILE, "/process/oomScoreAdj", "oom_score_adj (" + oom.str + ")")
      .i(0).s("/proc/self/oom_score_adj").s(intOf(c.process, "oomScoreAdj", 0).toString());
  }
}

/**
 * In a user namespace the init still has the runtime's ids, which the namespace may not map:
 * files it creates on filesystems mounted there (the /dev tmpfs) would fail with EOVERFLOW.
 * Like runc's nsexec, it becomes root of the namespace once the maps exist (when 0 is mapped).
 */
function becomeRoot(c: PlanCtx): void {
  if (c.isNew("user") && !(isMapped(arrOf(c.linux, "uidMappings"), 0) && isMapped(arrOf(c.linux, "gidMappings"), 0))) return;
  const p = c.nsPointer("user");
  c.prog.add(OP_SETRESGID, p, "root group of the user namespace").i(0);
  c.prog.add(OP_SETRESUID, p, "root of the user namespace").i(0);
}

function names(flags: i64): string {
  const out: string[] = [];
  for (let i = 0; i < NS_ORDER.length; i++) if ((flags & nsFlag(NS_ORDER[i])) != 0) out.push(NS_ORDER[i]);
  return join(out, ", ");
}

function timeOffsets(c: PlanCtx): string {
  const t = objOf(c.linux, "timeOffsets");
  if (t === null) return "";
  let s = "";
  for (let i = 0; i < t.keys.length; i++) {
    const v = t.items[i];
    if (v.kind != Kind.Object) continue;
    s += t.keys[i] + " " + intOf(v, "secs", 0).toString() + " " + intOf(v, "nanosecs", 0).toString() + "\n";
  }
  return s;
}

export function planNamespaces(c: PlanCtx): void {
  const prog = c.prog;
  let anyJoined = false;
  for (let i = 0; i < c.ns.length; i++) if (!c.ns[i].isNew()) anyJoined = true;
  const offsets = c.isNew("time") ? timeOffsets(c) : "";
  const userSync = "user namespace id maps";

  if (!anyJoined && offsets.length == 0 && !c.isNew("user")) {
    let flags: i64 = 0;
    for (let i = 0; i < c.ns.length; i++) flags |= nsFlag(c.ns[i].type);
    c.cloneFlags = flags & ~CLONE_NEWCGROUP;
    early(c);
  } else {
    c.cloneFlags = 0;
    early(c);
    for (let k = 0; k < NS_ORDER.length; k++) {
      const n = c.find(NS_ORDER[k]);
      if (n === null || n.isNew()) continue;
      prog.add(OP_SETNS, c.nsPointer(n.type), n.type + " namespace (" + n.path + ")").i(nsFlag(n.type)).s(n.path);
    }
    if (c.isNew("user")) {
      prog.add(OP_UNSHARE, c.nsPointer("user"), "new user namespace").i(CLONE_NEWUSER);
      prog.add(OP_SYNC, c.nsPointer("user"), userSync).i(SYNC_USERMAP);
    }
    if (c.has("user")) becomeRoot(c);
    let rest: i64 = 0;
    for (let i = 0; i < c.ns.length; i++) {
      const n = c.ns[i];
      if (n.isNew() && n.type != "user" && n.type != "cgroup") rest |= nsFlag(n.type);
    }
    if (rest != 0) prog.add(OP_UNSHARE, "/linux/namespaces", "new namespaces (" + names(rest) + ")").i(rest);
    if (offsets.length > 0) {
      prog.add(OP_WRITE_FILE, "/linux/timeOffsets", "time namespace offsets").i(0).s("/proc/self/timens_offsets").s(offsets);
    }
    if ((rest & (CLONE_NEWPID | CLONE_NEWTIME)) != 0 || c.isJoined("pid")) {
      const p = c.has("pid") ? c.nsPointer("pid") : c.nsPointer("time");
      prog.add(OP_FORK_PIDNS, p, "fork into the pid namespace");
    }
  }
  if (c.isNew("cgroup")) prog.add(OP_UNSHARE, c.nsPointer("cgroup"), "new cgroup namespace").i(CLONE_NEWCGROUP);
}

/** The name of a namespace kind under /proc/PID/ns. */
export function procNsName(t: string): string {
  if (t == "network") return "net";
  if (t == "mount") return "mnt";
  return t;
}

/**
 * exec: join every namespace of the running container through its init's /proc entries (the
 * user namespace first, the mount namespace last), then fork into its pid namespace.
 */
export function planExecNamespaces(c: PlanCtx): void {
  const pid = c.f.execPid.toString();
  let pidns = false;
  for (let k = 0; k < NS_ORDER.length; k++) {
    const t = NS_ORDER[k];
    if (c.find(t) === null) continue;
    const path = "/proc/" + pid + "/ns/" + procNsName(t);
    c.prog.add(OP_SETNS, c.nsPointer(t), "the container's " + t + " namespace (" + path + ")").i(nsFlag(t)).s(path);
    if (t == "pid" || t == "time") pidns = true;
  }
  if (pidns) c.prog.add(OP_FORK_PIDNS, c.nsPointer("pid"), "entering the pid namespace");
}
