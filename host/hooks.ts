// OCI hooks (config.md "POSIX-platform Hooks"): each runs with the container's state JSON on
// stdin, its `args` and `env`, killed after `timeout` seconds. Hooks of the runtime namespace
// run as plain processes; createContainer and startContainer hooks join the namespaces of the
// container's init first (the core's `hook` program). Both go through capsa-init, so there is
// one spawn path.
import { loadCore } from "./core.ts";
import { readDir, readLink, writeErr } from "./rt.ts";
import { type Sys, loadSys } from "./sys.ts";
import { CapsaError } from "./errors.ts";
import { InitProcess, describeExit, type Plan } from "./init.ts";

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface HookOptions {
  sys?: Sys;
  /** Run inside the namespaces of this pid (the container's init). */
  nsPid?: number;
  /** Failures only warn (poststart, poststop). */
  warnOnly?: boolean;
}

/** The names of pid's namespaces (/proc/PID/ns entries) that are not the runtime's own. */
function differingNamespaces(pid: number): string[] {
  const out: string[] = [];
  for (const name of readDir(`/proc/${pid}/ns`)) {
    try {
      if (readLink(`/proc/${pid}/ns/${name}`) !== readLink(`/proc/self/ns/${name}`)) out.push(name);
    } catch {
      // gone with the process, or a kind this kernel shows for one side only
    }
  }
  return out;
}

export async function runHook(kind: string, h: Hook, state: string, opts: HookOptions = {}): Promise<void> {
  const sys = opts.sys ?? await loadSys();
  const core = loadCore();
  const r = core.call("hook", {
    path: h.path, args: h.args ?? [], env: h.env ?? [], what: `${kind} hook ${h.path}`,
    pid: opts.nsPid ?? null, differ: opts.nsPid ? differingNamespaces(opts.nsPid) : [],
  });
  if (r.status !== 0) throw new CapsaError(`cannot plan the hook's program: ${r.text}`, "hooks.program");
  const program = core.blob();
  const rows = JSON.parse(r.text).ops;
  const plan = { ops: rows, describeOps: () => rows, userns: null, spawn: { cloneFlags: "0" } } as unknown as Plan;
  const [rd, wr] = sys.pipe();
  let init: InitProcess;
  try {
    ({ init } = await InitProcess.start(sys, plan, program, { stdin: rd, stdout: 2, stderr: 2 }, []));
  } catch (e) {
    sys.close(rd);
    sys.close(wr);
    throw e;
  }
  sys.close(rd);
  try {
    sys.write(wr, new TextEncoder().encode(state));
  } catch {
    // The hook may exit without reading its stdin.
  }
  sys.close(wr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  if (h.timeout !== undefined && h.timeout > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      init.kill(9);
    }, h.timeout * 1000);
  }
  try {
    const st = await init.reap();
    if (timedOut) throw new CapsaError(`timed out after ${h.timeout}s and was killed`, "hooks.timeout");
    if (st.signal !== null || st.code !== 0) throw new CapsaError(describeExit(st), "hooks.failed");
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    init.close();
  }
}

/** Runs the hooks of one kind in order; the first failure fails them all (or warns). */
export async function runHooks(kind: string, hooks: Hook[] | undefined, state: string, opts: HookOptions = {}): Promise<void> {
  if (!hooks || hooks.length === 0) return;
  for (let i = 0; i < hooks.length; i++) {
    const h = hooks[i];
    try {
      await runHook(kind, h, state, opts);
    } catch (e) {
      const msg = `${kind} hook ${i} (${h.path}) failed: ${(e as Error).message}`;
      if (opts.warnOnly) {
        writeErr(`capsa: warning: ${msg}\n`);
        continue;
      }
      throw new CapsaError(msg, `hooks.${kind}`);
    }
  }
}
