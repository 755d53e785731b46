// What every part of the plan shares: the program being built, the diagnostics, the facts, the
// (already validated) config and the namespaces it asks for.
import { JValue, Kind } from "../json";
import { Diagnostics } from "../diag";
import { Program } from "../program";
import { Facts } from "./facts";
import {
  CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
  CLONE_NEWPID, CLONE_NEWNET,
} from "./consts";

/** Namespace types in the order they are joined: user first, mount last. */
export const NS_ORDER: string[] = ["user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"];

export function nsFlag(t: string): i64 {
  if (t == "user") return CLONE_NEWUSER;
  if (t == "ipc") return CLONE_NEWIPC;
  if (t == "uts") return CLONE_NEWUTS;
  if (t == "network") return CLONE_NEWNET;
  if (t == "pid") return CLONE_NEWPID;
  if (t == "cgroup") return CLONE_NEWCGROUP;
  if (t == "time") return CLONE_NEWTIME;
  if (t == "mount") return CLONE_NEWNS;
  return 0;
}

export class Ns {
  constructor(public type: string, public path: string, public index: i32) {}
  isNew(): bool { return this.path.length == 0; }
}

// ---- typed access to a validated config (mistyped members read as absent) -----------------

export function member(o: JValue | null, key: string, kind: Kind): JValue | null {
  if (o === null) return null;
  const v = o.get(key);
  return v !== null && v.kind == kind ? v : null;
}
export function objOf(o: JValue | null, key: string): JValue | null { return member(o, key, Kind.Object); }
export function arrOf(o: JValue | null, key: string): JValue | null { return member(o, key, Kind.Array); }
export function strOf(o: JValue | null, key: string, dflt: string): string {
  const v = member(o, key, Kind.String);
  return v === null ? dflt : v.str;
}
export function boolOf(o: JValue | null, key: string, dflt: bool): bool {
  const v = member(o, key, Kind.Bool);
  return v === null ? dflt : v.bool;
}
/** An integer member as i64 (u64 values above i64 keep their bits), or `dflt`. */
export function intOf(o: JValue | null, key: string, dflt: i64): i64 {
  const v = member(o, key, Kind.Number);
  if (v === null) return dflt;
  if (v.fitsI64()) return v.i64();
  if (v.fitsU64()) return <i64>v.u64();
  return dflt;
}
export function stringsOf(o: JValue | null, key: string): string[] {
  const out: string[] = [];
  const a = arrOf(o, key);
  if (a === null) return out;
  for (let i = 0; i < a.items.length; i++) if (a.items[i].kind == Kind.String) out.push(a.items[i].str);
  return out;
}

export class PlanCtx {
  prog: Program = new Program();
  process: JValue | null;
  linux: JValue | null;
  /** The namespaces the config asks for, first entry of each type. */
  ns: Ns[] = [];
  cloneFlags: i64 = 0;
  /** Absolute host path of the rootfs. */
  rootfs: string = "";
  /** The mount destinations of config.mounts, cleaned. */
  mountDests: string[] = [];
  /** Read-only remounts that wait until the mounts inside them exist (tmpfs, /dev). */
  lateReadonly: i32[] = [];

  constructor(public config: JValue, public f: Facts, public d: Diagnostics) {
    this.process = objOf(config, "process");
    this.linux = objOf(config, "linux");
    const list = arrOf(this.linux, "namespaces");
    if (list !== null) {
      for (let i = 0; i < list.items.length; i++) {
        const e = list.items[i];
        if (e.kind != Kind.Object) continue;
        const t = strOf(e, "type", "");
        if (nsFlag(t) == 0 || this.find(t) !== null) continue;
        this.ns.push(new Ns(t, strOf(e, "path", ""), i));
      }
    }
  }

  find(t: string): Ns | null {
    for (let i = 0; i < this.ns.length; i++) if (this.ns[i].type == t) return this.ns[i];
    return null;
  }
  has(t: string): bool { return this.find(t) !== null; }
  isNew(t: string): bool { const n = this.find(t); return n !== null && n.isNew(); }
  isJoined(t: string): bool { const n = this.find(t); return n !== null && !n.isNew(); }
  nsPointer(t: string): string {
    const n = this.find(t);
    return n === null ? "/linux/namespaces" : "/linux/namespaces/" + n.index.toString();
  }
}
