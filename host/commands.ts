// Command dispatch. Each verb parses its own flags and returns an exit code.
import { readText, writeOut, writeErr, isDeno, exists, writeText, writeAtomic, onSignal, uid, gid, arch as rtArch } from "./rt.ts";
import { loadCore } from "./core.ts";
import { CapsaError } from "./errors.ts";
import { UsageError, parseGlobals, resolvePath, type Globals } from "./globals.ts";
import { configureLog, log } from "./log.ts";
import { StateDir, checkId } from "./state.ts";
import { makePlan, hostLastCap, exitCodeOf, type Facts, type InitProcess } from "./init.ts";
import { Factory, signalNumber, type CreateOptions, type Container } from "./container.ts";
import { Console, terminalOf } from "./console.ts";

export const VERSION = "0.1.0";
export const SPEC_VERSION = "1.3.0";

interface Diag { pointer: string; code: string; message: string; severity: string }


/** `capsa validate [--bundle DIR | FILE]`: 0 valid, 1 invalid, 2 unreadable. */
function validateCmd(argv: string[]): number {
  let file = "config.json";
  let label = "config.json";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--bundle" || a === "-b") {
      const dir = argv[++i];
      if (dir === undefined) throw new UsageError("--bundle needs a directory");
      file = resolvePath(dir).replace(/\/$/, "") + "/config.json";
    } else if (a.startsWith("--bundle=")) {
      file = resolvePath(a.slice(9)).replace(/\/$/, "") + "/config.json";
    } else if (a === "--help" || a === "-h") {
      writeOut("usage: capsa validate [--bundle DIR | FILE]\n\nChecks a config.json against the OCI runtime spec; one line per diagnostic.\nExit status: 0 valid, 1 invalid, 2 unreadable.\n");
      return 0;
    } else if (a.startsWith("-")) {
      throw new UsageError(`validate: unknown flag ${a}`);
    } else {
      file = resolvePath(a);
      label = a;
    }
  }
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    writeErr(`capsa: validate: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  if (label === "config.json" && file !== resolvePath("config.json")) label = file;
  const { status, value } = loadCore().json<{ valid: boolean; diagnostics: Diag[] }>("validate", text);
  for (const d of value.diagnostics) {
    writeOut(`${label}:${d.pointer}: ${d.severity}: ${d.message} [${d.code}]\n`);
  }
  return status === 0 && value.valid ? 0 : 1;
}

/** A tiny flag parser: known flags with or without values, `--flag=value`, and positionals. */
function parseFlags(argv: string[], spec: Record<string, "bool" | "value">, verb: string): { flags: Record<string, string | boolean>; rest: string[] } {
  const flags: Record<string, string | boolean> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === "--") { rest.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith("-") || a === "-") { rest.push(a); continue; }
    let val: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) { val = a.slice(eq + 1); a = a.slice(0, eq); }
    const kind = spec[a];
    if (!kind) throw new UsageError(`${verb}: unknown flag ${a} (see capsa ${verb} --help)`);
    if (kind === "bool") {
      flags[a] = val === undefined ? true : val !== "false";
    } else {
      if (val === undefined) {
        val = argv[++i];
        if (val === undefined) throw new UsageError(`${verb}: flag ${a} needs a value`);
      }
      flags[a] = val;
    }
  }
  return { flags, rest };
}

function bundleOf(flags: Record<string, string | boolean>): string {
  const b = (flags["--bundle"] ?? flags["-b"]) as string | undefined;
  return resolvePath(b ?? ".").replace(/\/+$/, "") || "/";
}

function readConfig(bundle: string): string {
  try {
    return readText(`${bundle}/config.json`);
  } catch (e) {
    throw new CapsaError(`cannot read ${bundle}/config.json: ${(e as Error).message}`, "bundle.config");
  }
}

/** `capsa spec [--bundle DIR] [--rootless]`: writes a default config.json. */
function specCmd(argv: string[]): number {
  const { flags } = parseFlags(argv, { "--bundle": "value", "-b": "value", "--rootless": "bool", "--help": "bool", "-h": "bool" }, "spec");
  if (flags["--help"] || flags["-h"]) {
    writeOut("usage: capsa spec [--bundle DIR] [--rootless]\n\nWrites a default config.json into the bundle (the current directory by default).\n");
    return 0;
  }
  const bundle = bundleOf(flags);
  const path = `${bundle}/config.json`;
  if (exists(path)) throw new CapsaError(`${path} already exists: remove it first`, "spec.exists");
  const r = loadCore().call("spec", { rootless: !!flags["--rootless"], uid: uid(), gid: gid() });
  if (r.status !== 0) throw new CapsaError(`spec: ${r.text}`);
  writeText(path, JSON.stringify(JSON.parse(r.text), null, 2) + "\n");
  return 0;
}

const RUN_FLAGS: Record<string, "bool" | "value"> = {
  "--bundle": "value", "-b": "value", "--no-pivot": "bool", "--preserve-fds": "value", "--pid-file": "value",
  "--no-new-keyring": "bool", "--console-socket": "value", "--detach": "bool", "-d": "bool",
  "--no-subreaper": "bool", "--help": "bool", "-h": "bool",
};

function factsFor(g: Globals, id: string, bundle: string, flags: Record<string, string | boolean>, fifo: string | null): Facts {
  const n = flags["--preserve-fds"] === undefined ? 0 : Number(flags["--preserve-fds"]);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new UsageError(`--preserve-fds must be a count from 0 to 1000, not ${flags["--preserve-fds"]}`);
  return {
    id,
    bundle,
    stateDir: `${g.root}/${id}`,
    fifo,
    lastCap: hostLastCap(),
    noPivot: !!flags["--no-pivot"],
    preserveFds: n,
  };
}

/** `capsa plan --bundle DIR`: the init program as text, one op a line with its config pointer. */
async function planCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { ...RUN_FLAGS, "--json": "bool" }, "plan");
  if (flags["--help"] || flags["-h"]) {
    writeOut("usage: capsa plan [--bundle DIR] [--no-pivot] [--json] [ID]\n\nPrints the init program the container would run: every syscall, with the config value it came from.\n");
    return 0;
  }
  const bundle = bundleOf(flags);
  const id = checkId(rest[0] ?? "plan");
  const configText = readConfig(bundle);
  const facts = factsFor(g, id, bundle, flags, `${g.root}/${id}/exec.fifo`);
  // The cgroup joins the init would make first (best effort: a config the cgroup plan
  // refuses still shows its program, and create will report the cgroup error).
  try {
    const { planCgroups } = await import("./cgroups.ts");
    facts.cgroupDirs = Object.values(planCgroups(id, JSON.parse(configText), { root: g.root }).plan.paths);
  } catch { /* shown by create */ }
  const { plan } = makePlan(facts, configText);
  if (flags["--json"]) { writeOut(JSON.stringify(plan, null, 2) + "\n"); return 0; }
  writeOut(`# clone flags: 0x${BigInt(plan.spawn.cloneFlags).toString(16)}\n`);
  if (plan.userns) writeOut(`# uid_map: ${plan.userns.uidMappings.trim().replace(/\n/g, "; ")}\n# gid_map: ${plan.userns.gidMappings.trim().replace(/\n/g, "; ")}\n`);
  for (const d of plan.diagnostics) writeOut(`# ${d.severity}: ${d.pointer}: ${d.message} [${d.code}]\n`);
  writeOut(plan.text ?? "");
  return 0;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };

function createOptions(flags: Record<string, string | boolean>): CreateOptions {
  const n = flags["--preserve-fds"] === undefined ? 0 : Number(flags["--preserve-fds"]);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new UsageError(`--preserve-fds must be a count from 0 to 1000, not ${flags["--preserve-fds"]}`);
  return { bundle: bundleOf(flags), noPivot: !!flags["--no-pivot"], preserveFds: n };
}

/** The terminal of create and run (host/console.ts); config.json is read once, here, for the plan too. */
async function consoleFor(opts: CreateOptions, detach: boolean, flags: Record<string, string | boolean>): Promise<Console | null> {
  opts.configText ??= readConfig(opts.bundle);
  const con = await Console.open(terminalOf(opts.configText), detach, flags["--console-socket"] as string | undefined);
  if (con) opts.consoleSocket = con.socket;
  return con;
}

/** Creates the container; the init has its own copy of the console socket then. */
async function createWith(g: Globals, id: string, opts: CreateOptions, con: Console | null): Promise<Container> {
  try {
    const c = await new Factory(g.root).create(id, opts);
    con?.spawned();
    return c;
  } catch (e) {
    con?.close();
    throw e;
  }
}

function writePidFile(flags: Record<string, string | boolean>, pid: number): void {
  const f = flags["--pid-file"];
  if (typeof f === "string") writeAtomic(resolvePath(f), String(pid), 0o644);
}

function oneId(rest: string[], verb: string): string {
  if (rest.length === 0) throw new UsageError(`${verb}: container ID is required (usage: capsa ${verb} [flags] ID)`);
  if (rest.length > 1) throw new UsageError(`${verb}: unexpected argument "${rest[1]}"`);
  return checkId(rest[0]);
}

function help(flags: Record<string, string | boolean>, text: string): boolean {
  if (flags["--help"] || flags["-h"]) { writeOut(text); return true; }
  return false;
}

/** `capsa create [flags] ID`: the init waits on exec.fifo; exits 0. */
async function createCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, RUN_FLAGS, "create");
  if (help(flags, "usage: capsa create [--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID\n\nCreates a container whose init waits for `capsa start`.\n")) return 0;
  const id = oneId(rest, "create");
  const opts = createOptions(flags);
  const c = await createWith(g, id, opts, await consoleFor(opts, true, flags));
  try {
    writePidFile(flags, c.state().init_process_pid);
  } catch (e) {
    await c.destroy(true);
    throw e;
  }
  c.init?.close();
  return 0;
}

/** `capsa start ID`: the created container's init execs its process. */
async function startCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--help": "bool", "-h": "bool" }, "start");
  if (help(flags, "usage: capsa start ID\n\nStarts the process of a created container.\n")) return 0;
  const c = await new Factory(g.root).load(oneId(rest, "start"));
  await c.exec();
  return 0;
}

/** `capsa run [flags] ID`: create + start; in the foreground, waits and exits with the process's status. */
async function runCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, RUN_FLAGS, "run");
  if (help(flags, "usage: capsa run [--bundle DIR] [--detach] [--console-socket PATH] [--pid-file FILE] [--no-pivot] [--preserve-fds N] ID\n\nCreates and starts a container; in the foreground, exits with its process's status (128+N for signal N).\n")) return 0;
  const id = oneId(rest, "run");
  const detach = !!(flags["--detach"] || flags["-d"]);
  // The process starts at the end of create unless startContainer hooks must run first.
  const opts = { ...createOptions(flags), noFifo: true };
  const con = await consoleFor(opts, detach, flags);
  // In the foreground, signals go to the process; those that come while it is being created
  // are passed on once it exists.
  let target: InitProcess | null = null;
  const pending: number[] = [];
  const off: (() => void)[] = [];
  if (!detach) {
    for (const s of FORWARDED) {
      if (s === "SIGWINCH" && con) continue; // the proxy passes the new size on instead
      try {
        off.push(onSignal(s, () => (target ? target.kill(SIGNUM[s]) : pending.push(SIGNUM[s]))));
      } catch { /* not supported here */ }
    }
  }
  let c: Container;
  try {
    c = await createWith(g, id, opts, con);
  } catch (e) {
    for (const f of off) f();
    throw e;
  }
  const init = c.init!;
  try {
    if (con?.proxied) con.receive();
    await c.exec();
    target = init;
    for (const n of pending.splice(0)) init.kill(n);
    // Once the process runs and the forwarders are in place: whoever reads the pid file may
    // signal us at once.
    writePidFile(flags, init.pid);
  } catch (e) {
    for (const f of off) f();
    con?.close();
    await c.destroy(true).catch(() => {});
    throw e;
  }
  if (detach) {
    init.close();
    return 0;
  }
  try {
    const st = con ? await con.proxy(init.reap()) : await init.reap();
    init.close();
    return exitCodeOf(st);
  } finally {
    for (const f of off) f();
    await c.destroy(true);
  }
}

/** `capsa exec [flags] ID [ARGS…]`: another process in a running container. */
async function execCmd(g: Globals, argv: string[]): Promise<number> {
  const spec: Record<string, "bool" | "value"> = {
    "--process": "value", "-p": "value", "--tty": "bool", "-t": "bool", "--detach": "bool", "-d": "bool",
    "--console-socket": "value", "--pid-file": "value", "--env": "value", "-e": "value", "--cwd": "value",
    "--user": "value", "-u": "value", "--cap": "value", "-c": "value", "--no-new-privs": "bool",
    "--preserve-fds": "value", "--additional-gids": "value", "-g": "value", "--help": "bool", "-h": "bool",
  };
  // Flags come before the id; everything after the id is the command.
  const idAt = indexOfId(argv, spec);
  const { flags, multi } = parseFlagsMulti(argv.slice(0, idAt), spec, "exec");
  if (help(flags, "usage: capsa exec [-p process.json | ARGS…] [-t] [-d] [--console-socket PATH] [--pid-file FILE] [-e K=V]… [--cwd DIR] [-u UID[:GID]] [--cap CAP]… ID [ARGS…]\n\nRuns a process in a running container; in the foreground, exits with its status.\n")) return 0;
  if (idAt >= argv.length) throw new UsageError("exec: container ID is required");
  const id = checkId(argv[idAt]);
  const args = argv.slice(idAt + 1);
  const c = await new Factory(g.root).load(id);
  let proc: Record<string, any>;
  const pfile = (flags["--process"] ?? flags["-p"]) as string | undefined;
  if (pfile) {
    try {
      proc = JSON.parse(readText(resolvePath(pfile)));
    } catch (e) {
      throw new CapsaError(`cannot read the process file ${pfile}: ${(e as Error).message}`, "exec.process");
    }
  } else {
    if (args.length === 0) throw new UsageError("exec: a command or --process is required");
    const base = ((c.config() as any)?.process ?? {}) as Record<string, any>;
    proc = JSON.parse(JSON.stringify(base));
    proc.args = args;
    proc.terminal = !!(flags["--tty"] || flags["-t"]);
    delete proc.consoleSize;
  }
  const envs = multi["--env"].concat(multi["-e"]);
  if (envs.length) proc.env = [...(proc.env ?? []), ...envs];
  const cwdFlag = flags["--cwd"];
  if (typeof cwdFlag === "string") proc.cwd = cwdFlag;
  const user = (flags["--user"] ?? flags["-u"]) as string | undefined;
  if (user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    if (!m) throw new UsageError(`exec: --user must be UID or UID:GID, not "${user}"`);
    proc.user = { ...(proc.user ?? {}), uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : 0 };
  }
  const gids = multi["--additional-gids"].concat(multi["-g"]);
  if (gids.length) proc.user = { uid: 0, gid: 0, ...(proc.user ?? {}), additionalGids: gids.map(Number) };
  const caps = multi["--cap"].concat(multi["-c"]);
  if (caps.length) {
    proc.capabilities = proc.capabilities ?? {};
    for (const set of ["bounding", "effective", "permitted"]) {
      proc.capabilities[set] = [...new Set([...(proc.capabilities[set] ?? []), ...caps])];
    }
  }
  if (flags["--no-new-privs"]) proc.noNewPrivileges = true;
  const n = flags["--preserve-fds"] === undefined ? 0 : Number(flags["--preserve-fds"]);
  const detach = !!(flags["--detach"] || flags["-d"]);
  const con = await Console.open(proc.terminal === true, detach, flags["--console-socket"] as string | undefined);
  let p;
  try {
    p = await c.spawnProcess(proc, { preserveFds: n, consoleSocket: con?.socket });
    con?.spawned();
    if (con?.proxied) con.receive();
  } catch (e) {
    con?.close();
    if (p) {
      p.kill(9);
      await p.reap();
      p.close();
    }
    throw e;
  }
  if (detach) {
    writePidFile(flags, p.pid);
    p.close();
    return 0;
  }
  const off: (() => void)[] = [];
  for (const s of FORWARDED) {
    if (s === "SIGWINCH" && con) continue; // the proxy passes the new size on instead
    try { off.push(onSignal(s, () => p.kill(SIGNUM[s]))); } catch { /* not supported here */ }
  }
  writePidFile(flags, p.pid);
  try {
    const st = con ? await con.proxy(p.reap()) : await p.reap();
    return exitCodeOf(st);
  } finally {
    for (const f of off) f();
    p.close();
  }
}

/** The index of the first positional argument (the container id) in exec's argv. */
function indexOfId(argv: string[], spec: Record<string, "bool" | "value">): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") return i + 1;
    if (!a.startsWith("-") || a === "-") return i;
    if (a.startsWith("--") && a.includes("=")) continue;
    if (spec[a] === "value") i++;
  }
  return argv.length;
}

/** parseFlags, keeping every value of repeatable flags in `multi`. */
function parseFlagsMulti(argv: string[], spec: Record<string, "bool" | "value">, verb: string) {
  const multi: Record<string, string[]> = {};
  for (const k of Object.keys(spec)) multi[k] = [];
  const filtered: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === "--") continue;
    let val: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) { val = a.slice(eq + 1); a = a.slice(0, eq); }
    if (spec[a] === "value") {
      if (val === undefined) { val = argv[i + 1]; filtered.push(argv[i], argv[i + 1]); i++; } else filtered.push(argv[i]);
      if (val !== undefined) multi[a].push(val);
      continue;
    }
    filtered.push(argv[i]);
  }
  const { flags } = parseFlags(filtered, spec, verb);
  return { flags, multi };
}

/** `capsa pause ID` / `capsa resume ID`: the cgroup freezer. */
async function freezeCmd(g: Globals, argv: string[], verb: "pause" | "resume"): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--help": "bool", "-h": "bool" }, verb);
  if (help(flags, `usage: capsa ${verb} ID\n\n${verb === "pause" ? "Freezes every process of a running container." : "Thaws a paused container."}\n`)) return 0;
  const c = await new Factory(g.root).load(oneId(rest, verb));
  if (verb === "pause") await c.pause();
  else await c.resume();
  return 0;
}

const UPDATE_FLAGS: Record<string, [string, string, "int" | "str"]> = {
  "--memory": ["memory", "limit", "int"],
  "--memory-reservation": ["memory", "reservation", "int"],
  "--memory-swap": ["memory", "swap", "int"],
  "--kernel-memory": ["memory", "kernel", "int"],
  "--kernel-memory-tcp": ["memory", "kernelTCP", "int"],
  "--cpu-shares": ["cpu", "shares", "int"],
  "--cpu-quota": ["cpu", "quota", "int"],
  "--cpu-period": ["cpu", "period", "int"],
  "--cpu-burst": ["cpu", "burst", "int"],
  "--cpu-rt-runtime": ["cpu", "realtimeRuntime", "int"],
  "--cpu-rt-period": ["cpu", "realtimePeriod", "int"],
  "--cpuset-cpus": ["cpu", "cpus", "str"],
  "--cpuset-mems": ["cpu", "mems", "str"],
  "--pids-limit": ["pids", "limit", "int"],
  "--blkio-weight": ["blockIO", "weight", "int"],
};

/** Parses runc's sizes: plain bytes, or with k/m/g (and kb/mb/gb, KiB…) suffixes; -1 is unlimited. */
function parseSize(flag: string, v: string): number {
  const m = /^(-?\d+)\s*([kmgt]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`update: ${flag} must be a number of bytes (with an optional k, m, g suffix), not "${v}"`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()] ?? 1;
  return Number(m[1]) * mult;
}

/** `capsa update [flags | -r resources.json] ID`. */
async function updateCmd(g: Globals, argv: string[]): Promise<number> {
  const spec: Record<string, "bool" | "value"> = { "--resources": "value", "-r": "value", "--help": "bool", "-h": "bool" };
  for (const k of Object.keys(UPDATE_FLAGS)) spec[k] = "value";
  const { flags, rest } = parseFlags(argv, spec, "update");
  if (help(flags, "usage: capsa update [-r resources.json | --memory N --cpu-quota N --pids-limit N …] ID\n\nChanges a container's resources (linux.resources; '-r -' reads stdin).\n")) return 0;
  const id = oneId(rest, "update");
  let res: Record<string, any> = {};
  const rfile = (flags["--resources"] ?? flags["-r"]) as string | undefined;
  if (rfile) {
    try {
      res = JSON.parse(rfile === "-" ? readStdin() : readText(resolvePath(rfile)));
    } catch (e) {
      throw new CapsaError(`cannot read the resources ${rfile}: ${(e as Error).message}`, "update.resources");
    }
  }
  for (const [flag, [group, key, kind]] of Object.entries(UPDATE_FLAGS)) {
    const v = flags[flag];
    if (typeof v !== "string") continue;
    res[group] = res[group] ?? {};
    if (kind === "str") res[group][key] = v;
    else if (group === "memory") res[group][key] = parseSize(flag, v);
    else {
      if (!/^-?\d+$/.test(v)) throw new UsageError(`update: ${flag} must be an integer, not "${v}"`);
      res[group][key] = Number(v);
    }
  }
  const c = await new Factory(g.root).load(id);
  await c.set(res);
  return 0;
}

function readStdin(): string {
  return readText("/dev/stdin");
}

/** `capsa events [--stats] [--interval D] ID`: JSON lines of stats, and OOM notifications. */
async function eventsCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--stats": "bool", "--interval": "value", "--help": "bool", "-h": "bool" }, "events");
  if (help(flags, "usage: capsa events [--stats] [--interval 5s] ID\n\nPrints the container's stats as JSON lines (once with --stats), and an {\"type\":\"oom\"} line when the kernel kills for memory.\n")) return 0;
  const id = oneId(rest, "events");
  const iv = (flags["--interval"] as string | undefined) ?? "5s";
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(iv);
  if (!m) throw new UsageError(`events: --interval must be a duration like 5s or 500ms, not "${iv}"`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 }[m[2] ?? "s"] ?? 1000);
  const c = await new Factory(g.root).load(id);
  const line = (o: unknown) => writeOut(JSON.stringify(o) + "\n");
  if (flags["--stats"]) {
    writeOut(c.statsText() + "\n");
    return 0;
  }
  let lastOom = -1;
  for (;;) {
    let st: any, text: string;
    try {
      if (c.status() === "stopped") return 0;
      text = c.statsText();
      st = JSON.parse(text);
    } catch (e) {
      if (e instanceof CapsaError && e.code === "id.unknown") return 0;
      throw e;
    }
    const ooms = Number(st?.data?.memory?.events?.oom_kill ?? st?.data?.memory?.events?.oom ?? 0);
    if (lastOom >= 0 && ooms > lastOom) line({ type: "oom", id });
    lastOom = ooms;
    writeOut(text + "\n");
    await new Promise((r) => setTimeout(r, Math.max(ms, 10)));
  }
}

/** `capsa seccomp [--bundle DIR]`: the BPF program compiled from linux.seccomp, disassembled. */
function seccompCmd(argv: string[]): number {
  const { flags } = parseFlags(argv, { "--bundle": "value", "-b": "value", "--arch": "value", "--help": "bool", "-h": "bool" }, "seccomp");
  if (help(flags, "usage: capsa seccomp [--bundle DIR] [--arch x86_64|aarch64]\n\nPrints the seccomp filter the container would load, one BPF instruction a line.\n")) return 0;
  const bundle = bundleOf(flags);
  let config: any;
  try {
    config = JSON.parse(readConfig(bundle));
  } catch (e) {
    if (e instanceof CapsaError) throw e;
    throw new CapsaError(`${bundle}/config.json: ${(e as Error).message}`, "bundle.config");
  }
  const sc = config?.linux?.seccomp;
  if (!sc) throw new CapsaError(`${bundle}/config.json has no linux.seccomp`, "seccomp.none");
  const r = loadCore().json<{ diagnostics: { pointer: string; message: string; code: string; severity: string }[]; instructions: number; text: string }>("seccomp", { seccomp: sc, arch: (flags["--arch"] as string) ?? rtArch() });
  for (const d of r.value.diagnostics ?? []) writeErr(`capsa: ${d.severity}: config.json:${d.pointer}: ${d.message} [${d.code}]\n`);
  if (r.status !== 0) return 1;
  writeOut(`# ${r.value.instructions} instructions\n${r.value.text}`);
  return 0;
}

/** `capsa state ID`: the OCI state JSON. */
async function stateCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--help": "bool", "-h": "bool" }, "state");
  if (help(flags, "usage: capsa state ID\n\nPrints the container's state (runtime-spec state JSON).\n")) return 0;
  const c = await new Factory(g.root).load(oneId(rest, "state"));
  writeOut(JSON.stringify(c.ociState(), null, 2) + "\n");
  return 0;
}

/** `capsa kill [--all] ID [SIGNAL]`. */
async function killCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--all": "bool", "-a": "bool", "--help": "bool", "-h": "bool" }, "kill");
  if (help(flags, "usage: capsa kill [--all] ID [SIGNAL]\n\nSends SIGNAL (default SIGTERM; a name with or without SIG, or a number) to the container's init, or with --all to all its processes.\n")) return 0;
  if (rest.length === 0) throw new UsageError("kill: container ID is required (usage: capsa kill [--all] ID [SIGNAL])");
  if (rest.length > 2) throw new UsageError(`kill: unexpected argument "${rest[2]}"`);
  const id = checkId(rest[0]);
  const sig = signalNumber(rest[1] ?? "SIGTERM");
  const c = await new Factory(g.root).load(id);
  await c.signal(sig, !!(flags["--all"] || flags["-a"]));
  return 0;
}

/** `capsa delete [--force] ID`. */
async function deleteCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--force": "bool", "-f": "bool", "--help": "bool", "-h": "bool" }, "delete");
  if (help(flags, "usage: capsa delete [--force] ID\n\nDeletes a stopped or created container (a created one's init is killed, as runc does); --force kills a running or paused one first.\n")) return 0;
  const id = oneId(rest, "delete");
  const force = !!(flags["--force"] || flags["-f"]);
  let c;
  try {
    c = await new Factory(g.root).load(id);
  } catch (e) {
    // runc: deleting a missing container with --force succeeds.
    if (force && e instanceof CapsaError && e.code === "id.unknown") return 0;
    throw e;
  }
  await c.destroy(force);
  return 0;
}

/** `capsa list [-q] [--format table|json]`. */
async function listCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, { "--quiet": "bool", "-q": "bool", "--format": "value", "-f": "value", "--help": "bool", "-h": "bool" }, "list");
  if (help(flags, "usage: capsa list [-q] [--format table|json]\n\nLists the containers under --root.\n")) return 0;
  const format = (flags["--format"] ?? flags["-f"] ?? "table") as string;
  if (format !== "table" && format !== "json") throw new UsageError(`list: --format must be table or json, not "${format}"`);
  const f = new Factory(g.root);
  const rows = [];
  for (const id of f.list()) {
    try {
      rows.push((await f.load(id)).ociState());
    } catch {
      // deleted while listing
    }
  }
  if (flags["--quiet"] || flags["-q"]) {
    for (const r of rows) writeOut(r.id + "\n");
  } else if (format === "json") {
    writeOut(JSON.stringify(rows) + "\n");
  } else {
    const table = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...rows.map((r) => [r.id, String(r.pid ?? 0), r.status, r.bundle, r.created, r.owner || "root"])];
    const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table) writeOut(row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(w[i])).join("   ") + "\n");
  }
  return 0;
}

/** `capsa ps [--format table|json] ID`. */
async function psCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { "--format": "value", "-f": "value", "--help": "bool", "-h": "bool" }, "ps");
  if (help(flags, "usage: capsa ps [--format table|json] ID\n\nLists the container's processes.\n")) return 0;
  const format = (flags["--format"] ?? flags["-f"] ?? "table") as string;
  if (format !== "table" && format !== "json") throw new UsageError(`ps: --format must be table or json, not "${format}"`);
  const c = await new Factory(g.root).load(oneId(rest, "ps"));
  const pids = c.processes();
  if (format === "json") {
    writeOut(JSON.stringify(pids) + "\n");
    return 0;
  }
  writeOut("PID     PPID    STAT   CMD\n");
  for (const pid of pids) {
    let ppid = "?", stat = "?", cmd = "";
    try {
      const s = readText(`/proc/${pid}/stat`);
      const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
      stat = rest[0];
      ppid = rest[1];
      cmd = readText(`/proc/${pid}/cmdline`).split("\0").filter(Boolean).join(" ");
    } catch {
      continue;
    }
    writeOut(`${String(pid).padEnd(8)}${ppid.padEnd(8)}${stat.padEnd(7)}${cmd}\n`);
  }
  return 0;
}

const HELP = `capsa ${VERSION}: an OCI container runtime (runtime-spec ${SPEC_VERSION})

usage: capsa [global flags] COMMAND [flags] [args]

commands:
  create     create a container (its init waits for start)
  start      start a created container's process
  run        create and start a container (in the foreground unless --detach)
  state      print a container's state JSON
  kill       send a signal to a container
  delete     delete a container
  list       list containers
  ps         list a container's processes
  exec       run another process in a running container
  pause      freeze a container's processes
  resume     thaw a paused container
  update     change a container's resources
  events     print a container's stats and OOM events
  features   print what this build supports (runtime-spec features JSON)
  spec       write a default config.json
  plan       print the init program a bundle's container would run
  seccomp    print the seccomp filter a bundle's container would load
  validate   check a bundle's config.json and print its diagnostics
  version    print the version

global flags:
  --root DIR         state directory (default /run/capsa)
  --log FILE         append log lines to FILE
  --log-format FMT   text (default) or json, runc's formats
  --debug            log debug lines too
  --systemd-cgroup   use the systemd cgroup driver (not supported yet)
  --version, -v      print the version
  --help, -h         this help
`;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseGlobals>;
  try {
    parsed = parseGlobals(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    writeErr(`capsa: ${e.message}\n`);
    return 2;
  }
  const { g, cmd, rest, early } = parsed;
  if (early === "version") { writeOut(versionText()); return 0; }
  if (early === "help") { writeOut(HELP); return 0; }
  try {
    configureLog({ file: g.log, format: g.logFormat, debug: g.debug });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  log("debug", `capsa ${VERSION} (${isDeno ? "deno" : "node"}): ${JSON.stringify(argv)}`);
  try {
    if (g.systemdCgroup && cmd !== undefined && !["state", "list", "delete", "kill", "ps", "features", "spec", "version", "validate", "plan"].includes(cmd)) {
      throw new CapsaError("the systemd cgroup driver (--systemd-cgroup) is not supported yet: use cgroupfs (drop --systemd-cgroup, or set podman's cgroup_manager = \"cgroupfs\")", "cgroup.systemd");
    }
    switch (cmd) {
      case undefined: writeErr(HELP); return 2;
      case "validate": return validateCmd(rest);
      case "spec": return specCmd(rest);
      case "plan": return await planCmd(g, rest);
      case "run": return await runCmd(g, rest);
      case "create": return await createCmd(g, rest);
      case "start": return await startCmd(g, rest);
      case "state": return await stateCmd(g, rest);
      case "kill": return await killCmd(g, rest);
      case "delete": return await deleteCmd(g, rest);
      case "list": return await listCmd(g, rest);
      case "ps": return await psCmd(g, rest);
      case "exec": return await execCmd(g, rest);
      case "pause": return await freezeCmd(g, rest, "pause");
      case "resume": return await freezeCmd(g, rest, "resume");
      case "update": return await updateCmd(g, rest);
      case "events": return await eventsCmd(g, rest);
      case "seccomp": return seccompCmd(rest);
      case "features": {
        const f = parseFlags(rest, { "--help": "bool", "-h": "bool" }, "features").flags;
        if (help(f, "usage: capsa features\n\nPrints the runtime-spec features document: what this build supports.\n")) return 0;
        writeOut(JSON.stringify(JSON.parse(loadCore().call("features", "{}").text), null, 2) + "\n");
        return 0;
      }
      case "version": writeOut(versionText()); return 0;
      default: throw new UsageError(`unknown command "${cmd}" (see capsa --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      log("error", e.message);
      writeErr(`capsa: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CapsaError) {
      log("error", e.message);
      writeErr(`capsa: ${e.message}\n`);
      return e.exitCode;
    }
    log("error", (e as Error)?.message ?? String(e));
    throw e;
  }
}

function versionText(): string {
  return `capsa version ${VERSION}\nspec: ${SPEC_VERSION}\nruntime: ${isDeno ? "deno" : "node"}\n`;
}
