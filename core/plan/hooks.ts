// A hook's program (config.md "POSIX-platform Hooks"). Every hook runs through capsa-init; the
// createContainer and startContainer hooks first join the namespaces of the container's init,
// those of them that differ from the runtime's own (the runtime compares /proc/PID/ns with
// /proc/self/ns and passes the names that differ). Joined as the init joins given namespaces:
// the user namespace first (it owns the others), the mount namespace last, then a fork into the
// pid and time namespaces, which setns only gives to children.
import { JValue, Kind } from "../json";
import { OP_SETNS, OP_FORK_PIDNS, OP_EXEC } from "../ops";
import { Program } from "../program";
import { NS_ORDER, nsFlag, stringsOf, strOf } from "./context";
import { procNsName } from "./namespaces";

export let hookError: string = "";

/** {path, args, env, what, pid, differ: [/proc ns names]} → the program, or null (hookError). */
export function hookProgram(q: JValue): Program | null {
  if (q.kind != Kind.Object) { hookError = "the input must be an object"; return null; }
  const path = strOf(q, "path", "");
  if (path.length == 0) { hookError = "path must be a non-empty string"; return null; }
  let args = stringsOf(q, "args");
  if (args.length == 0) args = [path];
  const env = stringsOf(q, "env");
  const what = strOf(q, "what", "hook " + path);
  const prog = new Program();
  const differ = stringsOf(q, "differ");
  const pid = q.get("pid");
  if (differ.length > 0) {
    if (pid === null || !pid.fitsI64() || pid.i64() <= 0) { hookError = "pid must be a positive integer when namespaces differ"; return null; }
    const base = "/proc/" + pid.i64().toString() + "/ns/";
    let fork = false;
    for (let k = 0; k < NS_ORDER.length; k++) {
      const name = procNsName(NS_ORDER[k]);
      if (!differ.includes(name)) continue;
      prog.add(OP_SETNS, "", "the container's " + NS_ORDER[k] + " namespace (" + base + name + ")").i(nsFlag(NS_ORDER[k])).s(base + name);
      if (name == "pid" || name == "time") fork = true;
    }
    if (fork) prog.add(OP_FORK_PIDNS, "", "entering the pid namespace");
  }
  const op = prog.add(OP_EXEC, "", what).i(args.length).i(env.length).i(0).i(0).s(path);
  for (let i = 0; i < args.length; i++) op.s(args[i]);
  for (let i = 0; i < env.length; i++) op.s(env[i]);
  return prog;
}
