// The container lifecycle: the seed's five statuses, status derived from observations, and
// which operations each status allows.
import { JValue } from "./json";
import { join } from "./strings";

export const STATUSES: string[] = ["created", "running", "pausing", "paused", "stopped"];

/**
 * Parses the text of /proc/PID/stat. The comm field (2nd) may hold spaces and parentheses, so
 * fields are counted from the last ')'. Returns [state, starttime] or null when malformed.
 */
export class ProcStat {
  constructor(public state: string, public startTime: string) {}
}
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const rest = text.substring(close + 1).trim().split(" ");
  // rest[0] is field 3 (state); starttime is field 22 → rest[19].
  if (rest.length < 20) return null;
  const st = rest[0];
  const start = rest[19];
  if (st.length != 1 || start.length == 0) return null;
  for (let i = 0; i < start.length; i++) {
    const c = start.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  return new ProcStat(st, start);
}

/**
 * Derives the status from what the host observed:
 *   stat      text of /proc/<pid>/stat, or null when it could not be read (no such process)
 *   startTime the init's start time recorded at create (field 22 of stat)
 *   fifo      whether exec.fifo still exists (the init has not been started)
 *   freezer   "THAWED" | "FREEZING" | "FROZEN" | null (v1 freezer.state, or v2 cgroup.freeze/events mapped)
 */
export class Derived {
  constructor(public status: string, public reason: string) {}
}
export function deriveStatus(obs: JValue): Derived {
  const stat = obs.get("stat");
  if (stat === null || !stat.isString()) return new Derived("stopped", "the init process is gone");
  const ps = parseProcStat(stat.str);
  if (ps === null) return new Derived("stopped", "the init's /proc stat is unreadable");
  if (ps.state == "Z" || ps.state == "X" || ps.state == "x") return new Derived("stopped", "the init process has exited");
  const rec = obs.get("startTime");
  if (rec !== null && (rec.isString() || rec.isNumber()) && rec.str != ps.startTime) {
    return new Derived("stopped", "pid reused: the process has another start time");
  }
  const fr = obs.get("freezer");
  if (fr !== null && fr.isString()) {
    if (fr.str == "FROZEN") return new Derived("paused", "the cgroup is frozen");
    if (fr.str == "FREEZING") return new Derived("pausing", "the cgroup is freezing");
  }
  const fifo = obs.get("fifo");
  if (fifo !== null && fifo.isBool() && fifo.bool) return new Derived("created", "the init waits on exec.fifo");
  return new Derived("running", "the init process runs");
}

/** Which statuses each operation accepts. */
export class Verdict {
  constructor(public allowed: bool, public code: string, public message: string) {}
}

function needs(op: string, status: string, want: string[]): Verdict {
  if (want.includes(status)) return new Verdict(true, "", "");
  let w = want[0];
  if (want.length == 2) w = want[0] + " or " + want[1];
  else if (want.length > 2) w = join(want.slice(0, want.length - 1), ", ") + " or " + want[want.length - 1];
  return new Verdict(false, "lifecycle." + op + "." + status,
    "cannot " + op + " a container that is " + status + ": " + op + " needs it " + w);
}

export function checkOperation(op: string, status: string, force: bool): Verdict {
  if (!STATUSES.includes(status)) return new Verdict(false, "lifecycle.status.unknown", "unknown status \"" + status + "\"");
  if (op == "start") return needs(op, status, ["created"]);
  // As runc: a created container's process never ran, so delete kills its init without --force.
  if (op == "delete") return force ? new Verdict(true, "", "") : needs(op, status, ["stopped", "created"]);
  if (op == "pause") return needs(op, status, ["running"]);
  if (op == "resume") return needs(op, status, ["paused"]);
  if (op == "exec") return needs(op, status, ["running"]);
  if (op == "kill") return needs(op, status, ["created", "running", "paused"]);
  if (op == "update" || op == "stats" || op == "ps") return needs(op, status, ["created", "running", "pausing", "paused"]);
  if (op == "state") return new Verdict(true, "", "");
  return new Verdict(false, "lifecycle.op.unknown", "unknown operation \"" + op + "\"");
}
