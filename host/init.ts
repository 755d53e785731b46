// Drives a container's init: asks the core for the plan, spawns capsa-init, sends it the
// program, and answers its sync requests until it waits on the exec fifo or execs the
// container's process. Every decision comes from the plan; this file only does the I/O.
import { loadCore, type Core } from "./core.ts";
import { readText, writeExisting, arch } from "./rt.ts";
import { type Sys, type WaitStatus, initPath, errnoInfo } from "./sys.ts";
import { CapsaError, ConfigError, errnoText, type Diagnostic } from "./errors.ts";

export interface Facts {
  id: string;
  bundle: string;
  stateDir: string;
  fifo: string | null;
  lastCap: number;
  noPivot?: boolean;
  preserveFds?: number;
  [k: string]: unknown;
}

export interface OpRow {
  index: number;
  op: string;
  pointer: string;
  what: string;
  ints: number[];
  strs: string[];
}

/**
 * A failed `lookup` of the process's executable, in runc's words (from Go's exec.LookPath),
 * which clients turn into exit statuses: podman and containerd answer "executable file not
 * found in $PATH" and "no such file or directory" with 127, "permission denied" with 126.
 */
function lookupError(op: OpRow, errno: number): CapsaError {
  const file = op.strs[0] ?? "";
  const where = ` (${op.pointer}, looked up in the container)`;
  if (!file.includes("/")) {
    return new CapsaError(`exec: "${file}": executable file not found in $PATH${where}`, "process.args.not-found");
  }
  const e = errnoInfo(errno);
  const text = (e.text || e.name).replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
  // Errors of the stat(2) of the path, as Go words them; the rest come from the access check.
  const stat = ["ENOENT", "ENOTDIR", "ENAMETOOLONG", "ELOOP"].includes(e.name) ? `stat ${file}: ` : "";
  return new CapsaError(`exec: "${file}": ${stat}${text} [${e.name}]${where}`, e.name === "ENOENT" ? "process.args.not-found" : "process.args.not-executable");
}

export interface Plan {
  valid: boolean;
  diagnostics: Diagnostic[];
  spawn: { cloneFlags: string };
  userns: null | { uidMappings: string; gidMappings: string; setgroups: string };
  rootfs: string;
  readonly: boolean;
  process: { terminal?: boolean; args?: string[]; [k: string]: unknown };
  hooks: Record<string, unknown> | null;
  /** The op table and its text: only with `describe` (see makePlan). */
  ops?: OpRow[];
  text?: string;
  /** The op table, planned again on demand when the plan was made without it. */
  describeOps(): OpRow[];
}

/**
 * Validates and plans in one core call. Throws ConfigError with the diagnostics when refused.
 * With `describe` false the core leaves out the op table and its text (most of a plan's cost);
 * `plan.describeOps()` plans again with them, for an op's error message.
 */
export function makePlan(facts: Facts, configText: string, { describe = true, core = loadCore() }: { describe?: boolean; core?: Core } = {}): { plan: Plan; program: Uint8Array } {
  const input = (d: boolean) => JSON.stringify({ arch: arch(), ...facts, describe: d }) + "\n" + configText;
  const r = core.call("plan", input(describe));
  const plan = JSON.parse(r.text) as Plan;
  if (r.status !== 0 || !plan.valid) throw new ConfigError(plan.diagnostics ?? []);
  let ops = plan.ops;
  plan.describeOps = () => (ops ??= (JSON.parse(core.call("plan", input(true)).text) as Plan).ops ?? []);
  return { plan, program: core.blob() };
}

let lastCapCache: number | null = null;
/** The host's highest capability number (/proc/sys/kernel/cap_last_cap). */
export function hostLastCap(): number {
  if (lastCapCache === null) lastCapCache = Number(readText("/proc/sys/kernel/cap_last_cap").trim());
  return lastCapCache;
}

// Protocol constants, from the core's table (core/ops.ts).
let consts: Record<string, number> | null = null;
/** A protocol constant of core/ops.ts by name ("SYNC_SECCOMP_FD"). */
export function initConstant(name: string): number {
  if (!consts) consts = loadCore().json<Record<string, number>>("constants", "{}").value;
  const v = consts[name];
  if (v === undefined) throw new Error(`core has no constant ${name}`);
  return v;
}

const C = initConstant;

let initFdCache: number | null = null;

export interface Stdio { stdin: number; stdout: number; stderr: number }

/** Answers a sync request: the runtime's part of a step (user maps, hooks). Returns an errno or 0. */
export type SyncHandler = (tag: number, init: InitProcess) => Promise<number> | number;

export class InitProcess {
  pid: number;
  private readonly msg = new Uint8Array(16);
  private closed = false;

  private constructor(
    readonly sys: Sys,
    readonly plan: Plan,
    pid: number,
    public pidfd: number,
    readonly syncFd: number,
  ) {
    this.pid = pid;
  }

  /**
   * Spawns capsa-init with the plan's clone flags and runs the program until the init waits on
   * the exec fifo (`ready`) or execs the process (`exec`). On failure the init is reaped and a
   * CapsaError names the failing op, its config pointer and the errno. `beforeProgram` runs
   * between the spawn and sending the program, while the new init only waits for it: the
   * runtime's own preparations (a create's cgroups) overlap the init's start.
   */
  static async start(sys: Sys, plan: Plan, program: Uint8Array, stdio: Stdio, preserve: number[], onSync?: SyncHandler, beforeProgram?: () => void): Promise<{ init: InitProcess; outcome: "ready" | "exec" }> {
    if (initFdCache === null) initFdCache = sys.initFd(initPath());
    const [parentFd, childFd] = sys.socketpair();
    let spawned;
    try {
      spawned = sys.spawn({
        initFd: initFdCache,
        cloneFlags: BigInt(plan.spawn.cloneFlags),
        syncFd: childFd,
        stdin: stdio.stdin,
        stdout: stdio.stdout,
        stderr: stdio.stderr,
        preserve,
      });
    } catch (e) {
      sys.close(parentFd);
      sys.close(childFd);
      throw e;
    }
    sys.close(childFd);
    const init = new InitProcess(sys, plan, spawned.pid, spawned.pidfd, parentFd);
    try {
      beforeProgram?.();
      sys.write(parentFd, program);
      const outcome = await init.converse(onSync);
      return { init, outcome };
    } catch (e) {
      init.kill(9);
      await init.reap();
      init.closeSync();
      throw e;
    }
  }

  private async converse(onSync?: SyncHandler): Promise<"ready" | "exec"> {
    const sys = this.sys;
    const view = new DataView(this.msg.buffer);
    for (;;) {
      const n = await sys.readAsync(this.syncFd, this.msg);
      if (n === 0) {
        // End of file without an error message: the process was exec'd (the socket is
        // close-on-exec). Whatever it does next, even exiting at once, is its own business.
        this.closeSync();
        return "exec";
      }
      if (n !== 16) throw new CapsaError(`the init sent a malformed message (${n} bytes)`, "init.protocol");
      const type = view.getUint32(0, true);
      const a = view.getUint32(4, true);
      const b = view.getInt32(8, true);
      if (type === C("MSG_ERROR")) throw this.opError(a, b);
      if (type === C("MSG_READY")) return "ready";
      if (type === C("MSG_PID")) {
        // fork_pidns: the init goes on as `a`, a child of ours; the old process exits 0.
        const old = this.pid;
        this.pid = a;
        sys.wait(old, 0);
        if (this.pidfd >= 0) sys.close(this.pidfd);
        this.pidfd = sys.pidfdOpen(a);
        continue;
      }
      if (type === C("MSG_SYNC")) {
        let err = 0;
        try {
          if (a === C("SYNC_SECCOMP_FD")) {
            // The seccomp op's listener follows in its own message (data "seccompFd", one
            // SCM_RIGHTS descriptor). A handler takes it (takeSeccompFd) and passes it on.
            try {
              this.seccompFd = sys.recvFd(this.syncFd).fd;
            } catch (e) {
              throw new CapsaError(`the init did not hand over its seccomp listener: ${(e as Error).message}`, "seccomp.listener");
            }
            if (onSync) err = await onSync(a, this);
            if (this.seccompFd >= 0) {
              throw new CapsaError("the init handed over a seccomp listener (SCMP_ACT_NOTIFY) but nothing passed it on to linux.seccomp.listenerPath", "seccomp.listener");
            }
          } else if (a === C("SYNC_USERMAP")) this.writeUserMaps();
          else if (onSync) err = await onSync(a, this);
        } catch (e) {
          this.ack(1 /* EPERM: the init fails the sync op */);
          throw e;
        } finally {
          if (this.seccompFd >= 0) sys.close(this.seccompFd);
          this.seccompFd = -1;
        }
        this.ack(err);
        continue;
      }
      throw new CapsaError(`the init sent an unknown message type ${type}`, "init.protocol");
    }
  }

  /** During a SYNC_SECCOMP_FD handler: the seccomp listener the init handed over, else -1. */
  private seccompFd = -1;

  /** Takes the seccomp listener handed over by the init (SYNC_SECCOMP_FD): the caller closes it. */
  takeSeccompFd(): number {
    const fd = this.seccompFd;
    if (fd < 0) throw new CapsaError("no seccomp listener was handed over", "seccomp.listener");
    this.seccompFd = -1;
    return fd;
  }

  private ack(errno: number): void {
    const m = new Uint8Array(16);
    const v = new DataView(m.buffer);
    v.setUint32(0, C("MSG_ACK"), true);
    v.setInt32(8, errno, true);
    this.sys.write(this.syncFd, m);
  }

  private writeUserMaps(): void {
    const u = this.plan.userns;
    if (!u) return;
    const base = `/proc/${this.pid}`;
    if (u.setgroups === "deny") writeExisting(`${base}/setgroups`, "deny");
    writeExisting(`${base}/uid_map`, u.uidMappings);
    writeExisting(`${base}/gid_map`, u.gidMappings);
  }

  private opError(index: number, errno: number): CapsaError {
    if (index === 0xffffffff) return new CapsaError(`cannot start capsa-init: ${errnoText(errno)}`, "init.spawn");
    if (index === 0xfffffffe) return new CapsaError(`capsa-init refused the program: ${errnoText(errno)}`, "init.program");
    const op = this.plan.describeOps()[index];
    if (!op) return new CapsaError(`init op ${index} failed: ${errnoText(errno)}`, "init.op");
    if (op.op === "lookup") return lookupError(op, errno);
    const where = op.what || op.pointer || `op ${index}`;
    return new CapsaError(`${where}: ${op.op} failed: ${errnoText(errno)}`, "init.op." + op.op);
  }

  reaped: WaitStatus | null = null;

  /** Waits for the init to exit (on a worker thread). */
  async reap(): Promise<WaitStatus> {
    if (this.reaped) return this.reaped;
    for (;;) {
      try {
        const st = await this.sys.waitAsync(this.pid, 0);
        if (st) {
          this.reaped = st;
          return st;
        }
      } catch (e) {
        if ((e as { code?: string }).code === "EINTR") continue;
        throw e;
      }
    }
  }

  kill(sig: number): void {
    try {
      if (this.pidfd >= 0) this.sys.pidfdSendSignal(this.pidfd, sig);
      else this.sys.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** Closes the sync socket (the init keeps waiting on the fifo, or has exec'd). */
  closeSync(): void {
    if (!this.closed) {
      this.closed = true;
      this.sys.close(this.syncFd);
    }
  }

  close(): void {
    this.closeSync();
    if (this.pidfd >= 0) {
      this.sys.close(this.pidfd);
      this.pidfd = -1;
    }
  }
}

export function describeExit(st: WaitStatus): string {
  if (st.signal !== null) return `killed by signal ${st.signal}`;
  return `exit status ${st.code}`;
}

/** runc's convention: the process's exit code, or 128+N when signal N killed it. */
export function exitCodeOf(st: WaitStatus): number {
  return st.signal !== null ? 128 + st.signal : (st.code ?? 1);
}
