// The library API, after runc's libcontainer: a Factory creates and loads containers under a
// state root; a Container is created (its init waits on exec.fifo), started, signalled and
// destroyed. Status is derived from the world by the core, never trusted from state.json.
import { loadCore } from "./core.ts";
import { readText, exists, remove, readDir, realPath, isNotFound, cwd, sleepSync } from "./rt.ts";
import { loadSys, type Sys, type WaitStatus, O_RDONLY, O_NONBLOCK, O_DIRECTORY, LOCK_EX, LOCK_UN, POLLIN, POLLHUP } from "./sys.ts";
import { CapsaError } from "./errors.ts";
import { StateDir, checkId, DEFAULT_ROOT, type StateFile } from "./state.ts";
import { makePlan, hostLastCap, InitProcess, initConstant, type Plan, type Stdio } from "./init.ts";
import { runHooks, type Hook } from "./hooks.ts";
import { withSeccompListener, type ListenerConfig } from "./seccomp_notify.ts";
import { planCgroups, primeCgroupMoves, applyCgroups, cgroupPids, removeCgroupsRetrying, removeCgroups, freezerState, setFrozen, readStats, readStatsText, updateCgroups, type CgroupState } from "./cgroups.ts";

export const OCI_VERSION = "1.3.0";

export type Status = "created" | "running" | "pausing" | "paused" | "stopped";

/** The seed's BaseState. */
export interface BaseState {
  id: string;
  init_process_pid: number;
  init_process_start: string;
  created: string;
  config: unknown;
}

/** The runtime-spec state (runtime.md). */
export interface OCIState {
  ociVersion: string;
  id: string;
  status: Status;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface CreateOptions {
  bundle: string;
  /** config.json's text; read from the bundle when absent. */
  configText?: string;
  noPivot?: boolean;
  preserveFds?: number;
  stdio?: Stdio;
  /**
   * Start the process at the end of create, without exec.fifo, unless the config has
   * startContainer hooks (they must run before it): what `run` does. `Container.exec()` then
   * only runs the poststart hooks.
   */
  noFifo?: boolean;
  /** With process.terminal: a connected unix socket the init sends the pty's master on
   * (host/console.ts). It reaches the init above the preserved descriptors. */
  consoleSocket?: number;
}

interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

/** What `create` has read and decided before the container's resources exist. */
interface Creation {
  sys: Sys;
  /** Ends the cgroup primer (host/cgroups.ts) once the init has joined its cgroups. */
  stopPrime: () => void;
  id: string;
  opts: CreateOptions;
  bundle: string;
  configText: string;
  config: any;
  dir: StateDir;
  /** The exec fifo's path, or null when the process starts at the end of create. */
  fifo: string | null;
}

export class Factory {
  constructor(readonly root: string = DEFAULT_ROOT) {}

  /** Creates a container: its init runs the program and waits on exec.fifo (status created). */
  async create(id: string, opts: CreateOptions): Promise<Container> {
    checkId(id);
    const bundle = realPath(opts.bundle);
    const configText = opts.configText ?? readConfig(bundle);
    const dir = new StateDir(this.root, id);
    const config = JSON.parse(configText);
    const fifo = opts.noFifo && !(config?.hooks?.startContainer?.length > 0) ? null : dir.fifo;
    const sys = await loadSys();
    const stopPrime = primeCgroupMoves(sys, true, this.root);
    try {
      return await this.createWith({ sys, stopPrime, id, opts, bundle, configText, config, dir, fifo });
    } finally {
      stopPrime();
    }
  }

  private async createWith(k: Creation): Promise<Container> {
    const { sys, stopPrime, id, opts, bundle, configText, config, dir, fifo } = k;
    const cgPlan = planCgroups(id, config, { root: this.root });
    const { plan, program } = makePlan({
      id,
      bundle,
      stateDir: dir.dir,
      fifo,
      lastCap: hostLastCap(),
      noPivot: !!opts.noPivot,
      preserveFds: opts.preserveFds ?? 0,
      consoleFd: opts.consoleSocket !== undefined ? 3 + (opts.preserveFds ?? 0) : null,
      kcore: exists("/proc/kcore"),
      // A `cgroup` mount shows the container's own v1 hierarchies.
      // The init joins these itself, first thing (cheaper than writing its pid from here).
      cgroupDirs: Object.values(cgPlan.plan.paths),
      cgroupMounts: Object.entries(cgPlan.plan.paths)
        .filter(([name]) => name !== "unified")
        .map(([name, host]) => ({ controller: name.replace(/^name=/, ""), host })),
    }, configText, { describe: false });
    dir.create();
    const c = new Container(this, id, sys);
    const lock = c.lock();
    let init: InitProcess | null = null;
    const made: { cg: CgroupState | null } = { cg: null };
    try {
      const hooks = (config.hooks ?? {}) as Hooks;
      const state = (pid: number, status: string): string => JSON.stringify({
        ociVersion: OCI_VERSION, id, status, pid, bundle, annotations: config.annotations ?? {},
      });
      const preserve = Array.from({ length: opts.preserveFds ?? 0 }, (_, i) => 3 + i);
      if (opts.consoleSocket !== undefined) preserve.push(opts.consoleSocket);
      const r = await InitProcess.start(sys, plan, program, opts.stdio ?? { stdin: 0, stdout: 1, stderr: 2 }, preserve,
        withSeccompListener(sys, config.linux?.seccomp, (p) => JSON.parse(state(p.pid, "creating")), async (tag, p) => {
          stopPrime(); // the init has joined its cgroups (its first ops) before any sync
          if (tag === syncTag("SYNC_CREATE_RUNTIME")) {
            await runHooks("prestart", hooks.prestart, state(p.pid, "creating"));
            await runHooks("createRuntime", hooks.createRuntime, state(p.pid, "creating"));
          } else if (tag === syncTag("SYNC_CREATE_CONTAINER")) {
            await runHooks("createContainer", hooks.createContainer, state(p.pid, "creating"), { sys, nsPid: p.pid });
          }
          return 0;
        }),
        // The cgroups are made while capsa-init starts: the init joins them with its first ops.
        // (Their first mkdir may wait for the grace period the primer started.)
        () => {
          made.cg = applyCgroups(cgPlan.plan, cgPlan.bpf, sys);
          if (fifo) sys.mkfifo(fifo, 0o622);
        });
      init = r.init;
      stopPrime();
      // Without the fifo the process runs already, and may have exited: it stays our zombie.
      const start = procStartTime(init.pid, fifo === null);
      if (start === null) throw new CapsaError(`the container's init (pid ${init.pid}) exited during create`, "create.init-died");
      dir.write({
        id,
        init_process_pid: init.pid,
        init_process_start: start,
        created: new Date().toISOString(),
        bundle,
        rootfs: plan.rootfs,
        annotations: config.annotations ?? {},
        config,
        owner: "",
        hooks: config.hooks ?? null,
        cgroup: made.cg,
      });
      c.init = init;
      c.startedAtCreate = fifo === null;
      init.closeSync();
      return c;
    } catch (e) {
      if (init) {
        init.kill(9);
        await init.reap();
        init.close();
      }
      const cg = made.cg;
      if (cg) {
        for (const pid of cgroupPids(cg)) {
          try { sys.kill(pid, 9); } catch { /* gone */ }
        }
        try {
          removeCgroupsRetrying(cg);
        } catch {
          removeCgroups(cg);
        }
      }
      dir.destroy();
      throw e;
    } finally {
      c.unlock(lock);
    }
  }

  /** Loads an existing container; throws when the id is unknown. */
  async load(id: string): Promise<Container> {
    checkId(id);
    const c = new Container(this, id, await loadSys());
    if (!exists(new StateDir(this.root, id).stateFile)) {
      throw new CapsaError(`container "${id}" does not exist`, "id.unknown");
    }
    return c;
  }

  /** Ids of the containers under the root. */
  list(): string[] {
    try {
      return readDir(this.root).filter((n) => exists(`${this.root}/${n}/state.json`)).sort();
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }
}

export class Container {
  /** The init, when this object spawned it (create/run in this process). */
  init: InitProcess | null = null;
  /** Created without exec.fifo (CreateOptions.noFifo): the process already runs. */
  startedAtCreate = false;
  readonly dir: StateDir;

  constructor(readonly factory: Factory, readonly id: string, readonly sys: Sys) {
    this.dir = new StateDir(factory.root, id);
  }

  /** Takes the per-container lock (flock on the state dir); returns the fd to unlock. */
  lock(): number {
    let fd: number;
    try {
      fd = this.sys.open(this.dir.dir, O_RDONLY | O_DIRECTORY);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") throw new CapsaError(`container "${this.id}" does not exist`, "id.unknown");
      throw e;
    }
    this.sys.flock(fd, LOCK_EX);
    return fd;
  }
  unlock(fd: number): void {
    try {
      this.sys.flock(fd, LOCK_UN);
    } finally {
      this.sys.close(fd);
    }
  }
  /** Runs fn under the lock; fails if the container vanished while we waited. */
  async locked<T>(fn: (s: StateFile) => Promise<T> | T): Promise<T> {
    const fd = this.lock();
    try {
      const s = this.dir.read();
      if (!s) throw new CapsaError(`container "${this.id}" does not exist`, "id.unknown");
      return await fn(s);
    } finally {
      this.unlock(fd);
    }
  }

  private stateFile(): StateFile {
    const s = this.dir.read();
    if (!s) throw new CapsaError(`container "${this.id}" does not exist`, "id.unknown");
    return s;
  }

  /** The status, derived by the core from /proc and the state dir. */
  status(s: StateFile = this.stateFile()): Status {
    let stat: string | null = null;
    try {
      stat = readText(`/proc/${s.init_process_pid}/stat`);
    } catch {
      stat = null;
    }
    const r = loadCore().json<{ status: Status }>("status", {
      stat,
      startTime: s.init_process_start,
      fifo: exists(this.dir.fifo),
      freezer: s.cgroup ? freezerState(s.cgroup) : null,
    });
    return r.value.status;
  }

  state(): BaseState {
    const s = this.stateFile();
    return { id: s.id, init_process_pid: s.init_process_pid, init_process_start: s.init_process_start, created: s.created, config: s.config };
  }

  ociState(s: StateFile = this.stateFile()): OCIState & { rootfs: string; created: string; owner: string } {
    const status = this.status(s);
    const out: OCIState & { rootfs: string; created: string; owner: string } = {
      ociVersion: OCI_VERSION,
      id: s.id,
      pid: status === "stopped" ? 0 : s.init_process_pid,
      status,
      bundle: s.bundle,
      rootfs: s.rootfs,
      created: s.created,
      owner: s.owner ?? "",
      annotations: s.annotations ?? {},
    };
    return out;
  }

  config(): unknown {
    return this.stateFile().config;
  }

  private check(op: string, status: Status, force = false): void {
    const r = loadCore().json<{ allowed: boolean; code?: string; message?: string }>("check", { op, status, force });
    if (!r.value.allowed) throw new CapsaError(r.value.message ?? `cannot ${op}`, r.value.code ?? "lifecycle");
  }

  /** The pids of the container's processes: its cgroup's members. */
  processes(s: StateFile = this.stateFile()): number[] {
    if (s.cgroup) return cgroupPids(s.cgroup);
    return this.status(s) === "stopped" ? [] : [s.init_process_pid];
  }

  /**
   * runc's Start: without a process, starts the created container's process (see `exec`);
   * with one, runs that process inside the running container and returns it once it runs.
   */
  async start(process?: Record<string, unknown>): Promise<InitProcess | null> {
    if (process) return await this.spawnProcess(process);
    await this.exec();
    return null;
  }

  /**
   * runc's Run: `start`, then wait for the process to exit. For the container's own process
   * this needs the init to be a child of this process (created by this Factory).
   */
  async run(process?: Record<string, unknown>): Promise<WaitStatus> {
    const p = process ? await this.spawnProcess(process) : (await this.exec(), this.init);
    if (!p) throw new CapsaError(`container "${this.id}" was created by another process: wait for it with status()`, "run.not-child");
    try {
      return await p.reap();
    } finally {
      p.close();
    }
  }

  /** runc's Exec: lets the created init exec the container's process (`capsa start`). */
  async exec(): Promise<void> {
    await this.locked(async (s) => {
      const hooks = (s.hooks ?? {}) as Hooks;
      const stateJSON = (status: string) => JSON.stringify({
        ociVersion: OCI_VERSION, id: s.id, status, pid: s.init_process_pid, bundle: s.bundle, annotations: s.annotations ?? {},
      });
      if (this.startedAtCreate) {
        this.startedAtCreate = false;
      } else {
        this.check("start", this.status(s));
        await runHooks("startContainer", hooks.startContainer, stateJSON("created"), { sys: this.sys, nsPid: s.init_process_pid });
        await this.openFifo(s);
      }
      await runHooks("poststart", hooks.poststart, stateJSON("running"), { warnOnly: true });
    });
  }

  private async openFifo(s: StateFile): Promise<void> {
    const sys = this.sys;
    const fd = sys.open(this.dir.fifo, O_RDONLY | O_NONBLOCK);
    try {
      const buf = new Uint8Array(1);
      for (;;) {
        const ev = sys.poll(fd, POLLIN, 100);
        if (ev & POLLIN) {
          const n = sys.read(fd, buf);
          if (n === 1) break;
        }
        if ((ev & POLLHUP) || this.status(s) === "stopped") {
          throw new CapsaError(`container "${this.id}"'s init exited before it could start its process`, "start.init-died");
        }
      }
    } finally {
      sys.close(fd);
    }
    remove(this.dir.fifo);
  }

  /**
   * Runs another process inside the running container: it joins the init's namespaces and
   * takes the process's user, capabilities, rlimits, no_new_privs, cwd and env. Returns the
   * spawned process (a child of this one) once it has exec'd.
   */
  async spawnProcess(process: Record<string, unknown>, opts: { stdio?: Stdio; preserveFds?: number; consoleSocket?: number } = {}): Promise<InitProcess> {
    return await this.locked(async (s) => {
      this.check("exec", this.status(s));
      const stopPrime = primeCgroupMoves(this.sys, !!s.cgroup, this.factory.root);
      try {
        return await this.spawnIn(s, process, opts);
      } finally {
        stopPrime();
      }
    });
  }

  private async spawnIn(s: StateFile, process: Record<string, unknown>, opts: { stdio?: Stdio; preserveFds?: number; consoleSocket?: number }): Promise<InitProcess> {
    const { plan, program } = makePlan({
      id: s.id,
      bundle: s.bundle,
      stateDir: this.dir.dir,
      fifo: null,
      lastCap: hostLastCap(),
      preserveFds: opts.preserveFds ?? 0,
      consoleFd: opts.consoleSocket !== undefined ? 3 + (opts.preserveFds ?? 0) : null,
      execPid: s.init_process_pid,
      process,
      hooks: false,
      cgroupDirs: s.cgroup ? Object.values(s.cgroup.paths) : [],
    }, JSON.stringify(s.config), { describe: false });
    const preserve = Array.from({ length: opts.preserveFds ?? 0 }, (_, i) => 3 + i);
    if (opts.consoleSocket !== undefined) preserve.push(opts.consoleSocket);
    // An exec'd process hands over its own seccomp listener (as runc): state "running".
    const seccomp = (s.config as { linux?: { seccomp?: ListenerConfig } } | null)?.linux?.seccomp;
    const { init } = await InitProcess.start(this.sys, plan, program, opts.stdio ?? { stdin: 0, stdout: 1, stderr: 2 }, preserve,
      withSeccompListener(this.sys, seccomp, () => ({
        ociVersion: OCI_VERSION, id: s.id, status: "running", pid: s.init_process_pid, bundle: s.bundle, annotations: s.annotations ?? {},
      })));
    return init;
  }

  /** Sends a signal to the init, or with `all` to every process of the container. */
  async signal(sig: number | string, all = false): Promise<void> {
    const n = typeof sig === "number" ? sig : signalNumber(sig);
    await this.locked(async (s) => {
      const status = this.status(s);
      this.check("kill", status);
      const pids = all ? this.processes(s) : [s.init_process_pid];
      for (const pid of pids) {
        try {
          this.sys.kill(pid, n);
        } catch (e) {
          if ((e as { code?: string }).code !== "ESRCH") throw e;
        }
      }
      // A frozen process only acts on SIGKILL once thawed.
      if (n === 9 && s.cgroup && (status === "paused" || status === "pausing")) await setFrozen(s.cgroup, false);
    });
  }

  /** Freezes every process of the container (status pausing, then paused). */
  async pause(): Promise<void> {
    await this.locked(async (s) => {
      this.check("pause", this.status(s));
      if (!s.cgroup) throw new CapsaError(`container "${this.id}" has no cgroup to freeze`, "pause.no-cgroup");
      await setFrozen(s.cgroup, true);
    });
  }

  /** Thaws a paused container. */
  async resume(): Promise<void> {
    await this.locked(async (s) => {
      this.check("resume", this.status(s));
      await setFrozen(s.cgroup!, false);
    });
  }

  /** runc's `events --stats` data for the container's cgroup. */
  stats(): unknown {
    const s = this.stateFile();
    this.check("stats", this.status(s));
    if (!s.cgroup) throw new CapsaError(`container "${this.id}" has no cgroup`, "stats.no-cgroup");
    return readStats(this.id, s.cgroup);
  }

  /** The same stats as JSON text, with 64-bit counters exact. */
  statsText(): string {
    const s = this.stateFile();
    this.check("stats", this.status(s));
    if (!s.cgroup) throw new CapsaError(`container "${this.id}" has no cgroup`, "stats.no-cgroup");
    return readStatsText(this.id, s.cgroup);
  }

  /** Updates the container's resources (runc's Set / `update`): the core computes the writes. */
  async set(resources: Record<string, unknown>): Promise<void> {
    await this.locked((s) => {
      this.check("update", this.status(s));
      if (!s.cgroup) throw new CapsaError(`container "${this.id}" has no cgroup`, "update.no-cgroup");
      const current: Record<string, string> = {};
      for (const f of ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.usage_in_bytes", "devices.list"]) {
        const path = s.cgroup.statFiles[f] ?? (s.cgroup.paths[f.split(".")[0]] ? `${s.cgroup.paths[f.split(".")[0]]}/${f}` : null);
        if (!path) continue;
        try { current[f] = readText(path); } catch { /* not on this layout */ }
      }
      const { plan } = planCgroups(this.id, s.config, { update: true, resources, current, root: this.factory.root });
      updateCgroups(plan);
      // Keep the recorded config in step, so a later update starts from the truth.
      const cfg = (s.config ?? {}) as { linux?: { resources?: Record<string, unknown> } };
      cfg.linux = cfg.linux ?? {};
      cfg.linux.resources = mergeResources(cfg.linux.resources ?? {}, resources);
      this.dir.write(s);
    });
  }

  /** Deletes the container: refused unless stopped, or with force (kills it first). */
  async destroy(force = false): Promise<void> {
    let hooks: Hooks = {};
    let stateJSON = "";
    await this.locked(async (s) => {
      const status = this.status(s);
      this.check("delete", status, force);
      hooks = (s.hooks ?? {}) as Hooks;
      stateJSON = JSON.stringify({ ociVersion: OCI_VERSION, id: s.id, status: "stopped", pid: s.init_process_pid, bundle: s.bundle, annotations: s.annotations ?? {} });
      if (status !== "stopped") await this.killAll(s);
      if (s.cgroup) {
        // Stragglers (a container without its own pid namespace) die with the cgroup.
        if (cgroupPids(s.cgroup).length > 0) await this.killAll(s);
        removeCgroupsRetrying(s.cgroup);
      }
      this.dir.destroy();
    });
    await runHooks("poststop", hooks.poststop, stateJSON, { warnOnly: true });
  }

  private async killAll(s: StateFile): Promise<void> {
    const pids = this.processes(s);
    if (!pids.includes(s.init_process_pid) && this.status(s) !== "stopped") pids.push(s.init_process_pid);
    for (const pid of pids) {
      try { this.sys.kill(pid, 9); } catch { /* gone */ }
    }
    if (s.cgroup && freezerState(s.cgroup) !== "THAWED" && freezerState(s.cgroup) !== null) await setFrozen(s.cgroup, false);
    if (this.init) {
      await this.init.reap();
      this.init.close();
      this.init = null;
    }
    // Wait until /proc says the init is gone and the cgroup is empty (zombies are reaped by their parents).
    for (let i = 0; i < 500; i++) {
      const live = s.cgroup ? cgroupPids(s.cgroup) : [];
      if (this.status(s) === "stopped" && live.length === 0) return;
      for (const pid of live) {
        try { this.sys.kill(pid, 9); } catch { /* gone */ }
      }
      sleepSync(10);
    }
    throw new CapsaError(`container "${this.id}"'s init (pid ${s.init_process_pid}) did not die after SIGKILL`, "delete.timeout");
  }
}

function readConfig(bundle: string): string {
  try {
    return readText(`${bundle}/config.json`);
  } catch (e) {
    throw new CapsaError(`cannot read ${bundle}/config.json: ${(e as Error).message}`, "bundle.config");
  }
}


/**
 * Field 22 of /proc/PID/stat, parsed by the core; null when the process is gone, or has
 * exited unless `orExited` (our own unreaped child keeps its start time).
 */
export function procStartTime(pid: number, orExited = false): string | null {
  let stat: string;
  try {
    stat = readText(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const r = loadCore().json<{ status: string; startTime?: string }>("status", { stat, startTime: null, fifo: false, freezer: null });
  return r.value.status === "stopped" && !orExited ? null : r.value.startTime ?? null;
}


export function signalNumber(name: string): number {
  const r = loadCore().json<{ signal?: number; error?: string }>("signal", { name });
  if (r.status !== 0 || r.value.signal === undefined) throw new CapsaError(r.value.error ?? `unknown signal "${name}"`, "signal.unknown", 2);
  return r.value.signal;
}

const syncTag = initConstant;

export { cwd };
export type { Plan };

/** Merges an update into recorded resources, one level deep (memory, cpu, pids, …). */
function mergeResources(base: Record<string, unknown>, upd: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(upd)) {
    const b = out[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b) ? { ...(b as object), ...(v as object) } : v;
  }
  return out;
}
