// plan: config.json + runtime facts → the init program (all the policy; the C interpreter only
// executes it) and what the runtime itself needs: clone flags, id maps, rootfs, hooks.
import { JValue, Kind, Obj, quote, jsonArray, stringify } from "../json";
import { OP_WRITE_FILE } from "../ops";
import { Diagnostics } from "../diag";
import { validateConfig } from "../validate/index";
import { Facts, readFacts, factsError } from "./facts";
import { PlanCtx, objOf, arrOf, boolOf, strOf, stringsOf } from "./context";
import { planNamespaces, planExecNamespaces, userMaps, UserMaps } from "./namespaces";
import { planRootfs, planFinalizeRootfs } from "./rootfs";
import { planProcess, planConsole, userJSON } from "./process";

export class PlanOutcome {
  constructor(public status: i32, public json: string, public blob: ArrayBuffer | null) {}
}

function refused(d: Diagnostics): PlanOutcome {
  return new PlanOutcome(1, new Obj().bool("valid", false).raw("diagnostics", d.toJSON()).done(), null);
}

const HOOK_KINDS: string[] = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

/** Every hook list, present or not, each hook as {path, args, env[, timeout]}; args default to [path]. */
function hooksJSON(c: PlanCtx): string {
  const o = new Obj();
  const hooks = objOf(c.config, "hooks");
  for (let k = 0; k < HOOK_KINDS.length; k++) {
    const rows: string[] = [];
    const a = c.f.hooks ? arrOf(hooks, HOOK_KINDS[k]) : null;
    if (a !== null) {
      for (let i = 0; i < a.items.length; i++) {
        const h = a.items[i];
        if (h.kind != Kind.Object) continue;
        const path = strOf(h, "path", "");
        let args = stringsOf(h, "args");
        if (args.length == 0) args = [path];
        const ho = new Obj()
          .str("path", path)
          .raw("args", quoted(args))
          .raw("env", quoted(stringsOf(h, "env")));
        const t = h.get("timeout");
        if (t !== null && t.kind == Kind.Number) ho.raw("timeout", t.str);
        rows.push(ho.done());
      }
    }
    o.raw(HOOK_KINDS[k], jsonArray(rows));
  }
  return o.done();
}

function quoted(list: string[]): string {
  const q: string[] = [];
  for (let i = 0; i < list.length; i++) q.push(quote(list[i]));
  return jsonArray(q);
}

function usernsJSON(m: UserMaps | null): string {
  if (m === null) return "null";
  return new Obj().str("uidMappings", m.uid).str("gidMappings", m.gid).str("setgroups", m.setgroups).done();
}

export function buildPlan(factsValue: JValue, config: JValue): PlanOutcome {
  const facts: Facts | null = readFacts(factsValue);
  if (facts === null) return new PlanOutcome(1, new Obj().str("error", factsError).done(), null);
  // exec: the given process replaces the config's (and is what validation checks).
  if (facts.process !== null && config.kind == Kind.Object) config.set("process", facts.process!);

  const d = new Diagnostics();
  validateConfig(config, d);
  if (d.hasErrors()) return refused(d);

  const c = new PlanCtx(config, facts, d);
  if (c.process === null) {
    d.error("/process", "process.required", "a container needs a process to run");
    return refused(d);
  }
  if (!c.has("mount")) {
    // Without its own mount namespace the container would run in the runtime's filesystem.
    d.error("/linux/namespaces", "linux.namespaces.mount.required", "capsa needs a mount namespace: add {\"type\": \"mount\"} to linux.namespaces");
    return refused(d);
  }

  const exec = c.f.execPid > 0;
  let maps: UserMaps | null = null;
  // The init moves itself into the container's cgroups before anything else: it is still the
  // runtime's root in the host's namespaces, a write of "0" is far cheaper than the runtime
  // writing its pid, and the cgroup namespace it may unshare later is rooted there.
  for (let i = 0; i < c.f.cgroupDirs.length; i++) {
    const dir = c.f.cgroupDirs[i];
    c.prog.add(OP_WRITE_FILE, "/linux/cgroupsPath", "cgroup " + dir).i(0).s(dir + "/cgroup.procs").s("0");
  }
  if (exec) {
    planExecNamespaces(c);
  } else {
    planNamespaces(c);
    maps = userMaps(c);
    planRootfs(c);
    planConsole(c);
    planFinalizeRootfs(c);
  }
  planProcess(c);
  if (d.hasErrors()) return refused(d);

  const p = c.process!;
  const args = stringsOf(p, "args");
  const proc = new Obj()
    .bool("terminal", boolOf(p, "terminal", false))
    .raw("args", quoted(args))
    .raw("user", stringify(userJSON(c)))
    .done();
  const json = new Obj()
    .bool("valid", true)
    .raw("diagnostics", d.toJSON())
    .raw("spawn", new Obj().str("cloneFlags", (<u64>c.cloneFlags).toString()).done())
    .raw("userns", usernsJSON(maps))
    .str("rootfs", c.rootfs)
    .bool("readonly", boolOf(objOf(config, "root"), "readonly", false))
    .raw("process", proc)
    .raw("hooks", hooksJSON(c));
  if (facts.describe) json.raw("ops", c.prog.describeJSON()).str("text", c.prog.text());
  return new PlanOutcome(0, json.done(), c.prog.encode());
}
