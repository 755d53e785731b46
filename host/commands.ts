// Command dispatch. Each verb parses its own flags and returns an exit code.
import { readText, writeOut, writeErr, cwd, isDeno, exists, writeText, onSignal, uid, gid } from "./rt.ts";
import { loadCore } from "./core.ts";
import { CapsaError } from "./errors.ts";
import { StateDir, checkId, DEFAULT_ROOT } from "./state.ts";
import { makePlan, hostLastCap, InitProcess, exitCodeOf, type Facts } from "./init.ts";

export const VERSION = "0.1.0";
export const SPEC_VERSION = "1.3.0";

export class UsageError extends Error {}

interface Diag { pointer: string; code: string; message: string; severity: string }

function resolve(p: string): string {
  return p.startsWith("/") ? p : cwd().replace(/\/$/, "") + "/" + p;
}

/** `capsa validate [--bundle DIR | FILE]`: 0 valid, 1 invalid, 2 unreadable. */
function validateCmd(argv: string[]): number {
  let file = "config.json";
  let label = "config.json";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--bundle" || a === "-b") {
      const dir = argv[++i];
      if (dir === undefined) throw new UsageError("--bundle needs a directory");
      file = resolve(dir).replace(/\/$/, "") + "/config.json";
    } else if (a.startsWith("--bundle=")) {
      file = resolve(a.slice(9)).replace(/\/$/, "") + "/config.json";
    } else if (a === "--help" || a === "-h") {
      writeOut("usage: capsa validate [--bundle DIR | FILE]\n\nChecks a config.json against the OCI runtime spec; one line per diagnostic.\nExit status: 0 valid, 1 invalid, 2 unreadable.\n");
      return 0;
    } else if (a.startsWith("-")) {
      throw new UsageError(`validate: unknown flag ${a}`);
    } else {
      file = resolve(a);
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
  if (label === "config.json" && file !== resolve("config.json")) label = file;
  const { status, value } = loadCore().json<{ valid: boolean; diagnostics: Diag[] }>("validate", text);
  for (const d of value.diagnostics) {
    writeOut(`${label}:${d.pointer}: ${d.severity}: ${d.message} [${d.code}]\n`);
  }
  return status === 0 && value.valid ? 0 : 1;
}

interface Globals { root: string; debug: boolean }

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
  return resolve(b ?? ".").replace(/\/+$/, "") || "/";
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
  "--no-new-keyring": "bool", "--console-socket": "value", "--detach": "bool", "-d": "bool", "--keep": "bool",
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
function planCmd(g: Globals, argv: string[]): number {
  const { flags, rest } = parseFlags(argv, { ...RUN_FLAGS, "--json": "bool" }, "plan");
  if (flags["--help"] || flags["-h"]) {
    writeOut("usage: capsa plan [--bundle DIR] [--no-pivot] [--json] [ID]\n\nPrints the init program the container would run: every syscall, with the config value it came from.\n");
    return 0;
  }
  const bundle = bundleOf(flags);
  const id = checkId(rest[0] ?? "plan");
  const { plan } = makePlan(factsFor(g, id, bundle, flags, `${g.root}/${id}/exec.fifo`), readConfig(bundle));
  if (flags["--json"]) { writeOut(JSON.stringify(plan, null, 2) + "\n"); return 0; }
  writeOut(`# clone flags: 0x${BigInt(plan.spawn.cloneFlags).toString(16)}\n`);
  if (plan.userns) writeOut(`# uid_map: ${plan.userns.uidMappings.trim().replace(/\n/g, "; ")}\n# gid_map: ${plan.userns.gidMappings.trim().replace(/\n/g, "; ")}\n`);
  for (const d of plan.diagnostics) writeOut(`# ${d.severity}: ${d.pointer}: ${d.message} [${d.code}]\n`);
  writeOut(plan.text);
  return 0;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGWINCH: 28 };

/** `capsa run [flags] ID`: runs a container in the foreground and exits with its status. */
async function runCmd(g: Globals, argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, RUN_FLAGS, "run");
  if (flags["--help"] || flags["-h"]) {
    writeOut("usage: capsa run [--bundle DIR] [--no-pivot] [--preserve-fds N] [--pid-file FILE] ID\n\nCreates and starts a container in the foreground; exits with its process's status (128+N for signal N).\n");
    return 0;
  }
  if (flags["--detach"] || flags["-d"]) throw new CapsaError("run --detach is not supported yet: run in the foreground", "run.detach");
  if (flags["--console-socket"]) throw new CapsaError("--console-socket is not supported yet", "run.console");
  const id = checkId(rest[0]);
  if (rest.length > 1) throw new UsageError(`run: unexpected argument ${rest[1]}`);
  const bundle = bundleOf(flags);
  const configText = readConfig(bundle);
  const facts = factsFor(g, id, bundle, flags, null);
  const { plan, program } = makePlan(facts, configText);
  for (const d of plan.diagnostics) if (d.severity === "warning") writeErr(`capsa: warning: config.json:${d.pointer}: ${d.message} [${d.code}]\n`);
  const { loadSys } = await import("./sys.ts");
  const sys = await loadSys();
  const state = new StateDir(g.root, id);
  state.create();
  const off: (() => void)[] = [];
  try {
    const preserve = Array.from({ length: facts.preserveFds ?? 0 }, (_, i) => 3 + i);
    const { init } = await InitProcess.start(sys, plan, program, { stdin: 0, stdout: 1, stderr: 2 }, preserve);
    state.write({
      id, init_process_pid: init.pid, init_process_start: "", created: new Date().toISOString(),
      bundle, rootfs: plan.rootfs, config: null, status: "running",
    });
    if (typeof flags["--pid-file"] === "string") writeText(resolve(flags["--pid-file"]), `${init.pid}`);
    for (const s of FORWARDED) {
      try { off.push(onSignal(s, () => init.kill(SIGNUM[s]))); } catch { /* not supported here */ }
    }
    const st = await init.reap();
    init.close();
    return exitCodeOf(st);
  } finally {
    for (const f of off) f();
    state.destroy();
  }
}

const HELP = `capsa ${VERSION}: an OCI container runtime (runtime-spec ${SPEC_VERSION})

usage: capsa [global flags] COMMAND [flags] [args]

commands:
  run        create and start a container in the foreground
  spec       write a default config.json
  plan       print the init program a bundle's container would run
  validate   check a bundle's config.json and print its diagnostics
  version    print the version

global flags:
  --root DIR         state directory (default /run/capsa)
  --version, -v      print the version
  --help, -h         this help
`;

export async function main(argv: string[]): Promise<number> {
  const g: Globals = { root: DEFAULT_ROOT, debug: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version" || a === "-v") { writeOut(versionText()); return 0; }
    if (a === "--help" || a === "-h") { writeOut(HELP); return 0; }
    if (!a.startsWith("-")) break;
    if (a === "--root") { g.root = resolve(argv[++i] ?? ""); continue; }
    if (a.startsWith("--root=")) { g.root = resolve(a.slice(7)); continue; }
    if (a === "--debug") { g.debug = true; continue; }
    throw new UsageError(`unknown global flag ${a}`);
  }
  const cmd = argv[i];
  const rest = argv.slice(i + 1);
  try {
    switch (cmd) {
      case undefined: writeErr(HELP); return 2;
      case "validate": return validateCmd(rest);
      case "spec": return specCmd(rest);
      case "plan": return planCmd(g, rest);
      case "run": return await runCmd(g, rest);
      case "version": writeOut(versionText()); return 0;
      default: throw new UsageError(`unknown command "${cmd}" (see capsa --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      writeErr(`capsa: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CapsaError) {
      writeErr(`capsa: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

function versionText(): string {
  return `capsa version ${VERSION}\nspec: ${SPEC_VERSION}\nruntime: ${isDeno ? "deno" : "node"}\n`;
}
