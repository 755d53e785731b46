// The one module that knows which JavaScript runtime it runs in. Deno's native APIs start
// faster than its `node:` compatibility layer, so the Deno path imports no `node:` module.
// deno-lint-ignore-file no-explicit-any
declare const Deno: any;
declare const process: any;

export const isDeno: boolean = typeof (globalThis as any).Deno !== "undefined";

/**
 * node:fs under Node, from process.getBuiltinModule (Node 20.16 and later): synchronous, so no
 * module needs a top-level await, and it skips the ESM facade that `import("node:fs")` builds,
 * whose export list wakes every lazy getter of node:fs and with them node:stream (about 2 ms of
 * each command's start).
 */
export const nodeFs: any = isDeno ? null : process.getBuiltinModule("node:fs");

export function readFile(path: string): Uint8Array<ArrayBuffer> {
  return isDeno ? Deno.readFileSync(path) : new Uint8Array(nodeFs.readFileSync(path));
}
export function readText(path: string): string {
  return isDeno ? Deno.readTextFileSync(path) : nodeFs.readFileSync(path, "utf8");
}
export function exists(path: string): boolean {
  try {
    if (isDeno) Deno.lstatSync(path);
    else nodeFs.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
export function args(): string[] {
  return isDeno ? Deno.args : process.argv.slice(2);
}
export function exit(code: number): never {
  if (isDeno) Deno.exit(code);
  process.exit(code);
  throw new Error("unreachable");
}
export function cwd(): string {
  return isDeno ? Deno.cwd() : process.cwd();
}
const enc = new TextEncoder();
export function writeOut(s: string): void {
  if (isDeno) Deno.stdout.writeSync(enc.encode(s));
  else nodeFs.writeSync(1, s);
}
export function writeErr(s: string): void {
  if (isDeno) Deno.stderr.writeSync(enc.encode(s));
  else nodeFs.writeSync(2, s);
}
/** The directory holding this file: host/, dist/host/, or dist/ for the bundled CLI. */
export function hereDir(): string {
  // Deno and Node (20.11 and later) give it directly; the CommonJS bundle defines it as __dirname.
  return (import.meta as unknown as { dirname: string }).dirname + "/";
}

/**
 * A file of dist/ (the core, the native library, capsa-init), found from where this module
 * runs: dist/ itself (the bundles), dist/host/ (the library under Node) or host/ (Deno from
 * source). The likely place is tried first: a failed stat costs a thrown error.
 */
export function distFile(name: string, what: string): string {
  const here = hereDir();
  const places = here.endsWith("/dist/host/") ? [here + "../" + name]
    : here.endsWith("/dist/") ? [here + name]
    : [here + "../dist/" + name, here + "../" + name];
  for (const p of places) if (exists(p)) return p;
  throw new Error(`${name} not found next to ${here}: ${what}`);
}

export function writeText(path: string, text: string, mode = 0o644): void {
  if (isDeno) Deno.writeTextFileSync(path, text, { mode });
  else nodeFs.writeFileSync(path, text, { mode });
}

/**
 * Writes a file atomically for readers: a temp file beside it, then rename. No fsync: what is
 * written this way (state.json, pid files) describes processes that a crash of the machine
 * ends anyway, and runc does not sync them either.
 */
export function writeAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${pid()}`;
  const data = enc.encode(text);
  if (isDeno) {
    const f = Deno.openSync(tmp, { write: true, create: true, truncate: true, mode });
    try {
      let off = 0;
      while (off < data.length) off += f.writeSync(data.subarray(off));
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } else {
    const fd = nodeFs.openSync(tmp, "w", mode);
    try {
      nodeFs.writeSync(fd, data);
    } finally {
      nodeFs.closeSync(fd);
    }
    nodeFs.renameSync(tmp, path);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks this thread for `ms` milliseconds. For the short polls of delete, pause and cgroup
 * removal: Deno's first setTimeout loads its Node timers layer, about 10 ms, more than those
 * waits themselves.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** The device and inode numbers of a path (followed), or null when it cannot be read. */
export function statId(path: string): { dev: number; ino: number } | null {
  try {
    const st = isDeno ? Deno.statSync(path) : nodeFs.statSync(path);
    return { dev: Number(st.dev), ino: Number(st.ino) };
  } catch {
    return null;
  }
}

export function mkdir(path: string, mode = 0o711, recursive = false): void {
  if (isDeno) Deno.mkdirSync(path, { mode, recursive });
  else nodeFs.mkdirSync(path, { mode, recursive });
}

export function remove(path: string, recursive = false): void {
  try {
    if (isDeno) Deno.removeSync(path, { recursive });
    else nodeFs.rmSync(path, { recursive, force: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export function readDir(path: string): string[] {
  if (isDeno) return [...Deno.readDirSync(path)].map((e: any) => e.name);
  return nodeFs.readdirSync(path);
}

/** The names of the directories in `path`. */
export function subdirs(path: string): string[] {
  if (isDeno) return [...Deno.readDirSync(path)].filter((e: any) => e.isDirectory).map((e: any) => e.name);
  return nodeFs.readdirSync(path, { withFileTypes: true }).filter((e: any) => e.isDirectory()).map((e: any) => e.name);
}
/** rmdir(2): removes an empty directory (a cgroup), or throws. */
export function rmdir(path: string): void {
  if (isDeno) Deno.removeSync(path);
  else nodeFs.rmdirSync(path);
}
/** The errno of a failed file operation, or null: Node's `errno` (negative), or the number in
 * Deno's "(os error N)". */
export function osErrno(e: unknown): number | null {
  const x = e as any;
  if (typeof x?.errno === "number" && x.errno !== 0) return Math.abs(x.errno);
  const m = /\(os error (\d+)\)/.exec(x?.message ?? "");
  return m ? Number(m[1]) : null;
}
export function isNotFound(e: unknown): boolean {
  const x = e as any;
  return x?.code === "ENOENT" || (isDeno && x instanceof Deno.errors.NotFound);
}
export function isAlreadyExists(e: unknown): boolean {
  const x = e as any;
  return x?.code === "EEXIST" || (isDeno && x instanceof Deno.errors.AlreadyExists);
}

export function pid(): number {
  return isDeno ? Deno.pid : process.pid;
}
export function uid(): number {
  return isDeno ? (Deno.uid() ?? 0) : process.getuid();
}
export function gid(): number {
  return isDeno ? (Deno.gid() ?? 0) : process.getgid();
}
export function env(name: string): string | undefined {
  return isDeno ? Deno.env.get(name) : process.env[name];
}
export function realPath(path: string): string {
  return isDeno ? Deno.realPathSync(path) : nodeFs.realpathSync(path);
}
/** Installs a handler for a signal (SIGINT, SIGTERM, …); returns a function that removes it. */
export function onSignal(sig: string, fn: () => void): () => void {
  if (isDeno) {
    Deno.addSignalListener(sig, fn);
    return () => Deno.removeSignalListener(sig, fn);
  }
  process.on(sig, fn);
  return () => process.off(sig, fn);
}

/** Writes to an existing file (procfs, cgroupfs) with one write(2): no create, no truncate, no chmod. */
export function writeExisting(path: string, text: string): void {
  const data = enc.encode(text);
  if (isDeno) {
    const f = Deno.openSync(path, { write: true });
    try {
      const n = f.writeSync(data);
      if (n !== data.length) throw new Error(`short write to ${path}: ${n} of ${data.length} bytes`);
    } finally {
      f.close();
    }
    return;
  }
  const fd = nodeFs.openSync(path, nodeFs.constants.O_WRONLY);
  try {
    const n = nodeFs.writeSync(fd, data);
    if (n !== data.length) throw new Error(`short write to ${path}: ${n} of ${data.length} bytes`);
  } finally {
    nodeFs.closeSync(fd);
  }
}

export function readLink(path: string): string {
  return isDeno ? Deno.readLinkSync(path) : nodeFs.readlinkSync(path);
}

/** The machine architecture in seccomp's words: "x86_64" or "aarch64". */
export function arch(): string {
  const a = isDeno ? Deno.build.arch : process.arch;
  return a === "x64" || a === "x86_64" ? "x86_64" : a === "arm64" || a === "aarch64" ? "aarch64" : a;
}
