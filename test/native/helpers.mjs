// Shared helpers of the native tests: the host's Sys and core, program assembly, a driver of
// the sync protocol, a busybox rootfs, and leak checks (processes, mounts, temp dirs).
import { mkdtempSync, rmSync, readFileSync, readdirSync, readlinkSync, existsSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { host } from "../lib/host.mjs";
import { ensureRootfs } from "../lib/rootfs.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const sysMod = await host("sys");
export const coreMod = await host("core");
export const sys = await sysMod.loadSys();
export const core = coreMod.loadCore();
export const tables = core.json("tables", "{}").value;
export const ENOSYS_INIT = join(root, "native-syscalls/build/capsa-init-enosys");
// The host's library built without openat2, close_range and clone3, in this runtime's form.
export const ENOSYS_LIB = join(root, "native-syscalls/build", globalThis.Deno ? "libcapsa-enosys.so" : "capsa-enosys.node");

const C = {};
for (const c of tables.constants) C[c.name] = c.value;
export { C };
export const errno = Object.fromEntries(tables.errno.map((e) => [e.name, e.n]));

export const MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 0x20, MS_BIND = 0x1000,
  MS_REC = 0x4000, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
export const { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWTIME } = sysMod;
export const BAD_PROGRAM = 0xfffffffe;
export const pid = globalThis.Deno ? Deno.pid : process.pid;

/** Program bytes for hand-written ops [{op, ints, strs}]. */
export function program(ops) {
  const r = core.json("assemble", ops);
  if (r.status !== 0) throw new Error("assemble: " + r.value.error);
  return core.blob();
}

// ---- op shorthands ---------------------------------------------------------------------------
export const op = (name, ints = [], strs = []) => ({ op: name, ints, strs });
export const mount = (source, target, fstype, flags, { cflags = 0, prop = 0, remount = 0, set = 0, clr = 0, data = "" } = {}) =>
  op("mount", [flags, cflags, prop, remount, set, clr], [source, target, fstype, data]);
/** exec of argv; with search, argv[0] is looked up in `dirs` (default: the PATH in env). */
export const exec = (argv, { env = [], search = 0, keep = 0, path = argv[0], dirs } = {}) =>
  op("exec", [argv.length, env.length, search, keep],
    [path, ...argv, ...env, ...(search ? [dirs ?? env.find((e) => e.startsWith("PATH="))?.slice(5) ?? ""] : [])]);
export const sync = (tag) => op("sync", [tag]);

/** A new mount namespace with `dir` as the root, ready for in-root ops and pivot_root. */
export function enterRoot(dir, { unshare = true, proc = false } = {}) {
  const ops = [];
  if (unshare) ops.push(op("unshare", [CLONE_NEWNS]));
  ops.push(mount("", "/", "", MS_REC | MS_PRIVATE, { cflags: C.MNT_TARGET_HOST }));
  ops.push(mount(dir, dir, "", MS_BIND | MS_REC, { cflags: C.MNT_TARGET_HOST }));
  ops.push(op("set_root", [], [dir]));
  if (proc) ops.push(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, { cflags: C.MNT_MKDIR }));
  return ops;
}

// ---- the sync protocol -----------------------------------------------------------------------
export function decodeMsg(b) {
  const v = new DataView(b.buffer, b.byteOffset, 16);
  return { type: v.getUint32(0, true), a: v.getUint32(4, true), b: v.getInt32(8, true), c: v.getUint32(12, true) };
}
export function encodeMsg(type, a = 0, b = 0) {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, a, true);
  v.setInt32(8, b, true);
  return out;
}

const tmpRoots = [];
/** A temp dir removed by cleanupTmp(). */
export function tmp(prefix = "capsa-native-") {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpRoots.push(d);
  return d;
}
export function cleanupTmp() {
  while (tmpRoots.length) rmSync(tmpRoots.pop(), { recursive: true, force: true });
}

/**
 * Spawns capsa-init on `prog` (ops or bytes) and drives the protocol: answers SYNC with
 * onSync(tag, ctx) (an errno, 0 by default), calls onReady(ctx) at READY, collects messages
 * until end of file, then reaps every process (the spawned one and MSG_PID's).
 */
export async function runInit(prog, opts = {}) {
  const s = opts.sys ?? sys;
  const bytes = prog instanceof Uint8Array ? prog : program(prog);
  const dir = tmp("capsa-run-");
  const outPath = join(dir, "stdout"), errPath = join(dir, "stderr");
  const O = sysMod.O_WRONLY | sysMod.O_CREAT | sysMod.O_TRUNC;
  const out = s.open(outPath, O, 0o644), err = s.open(errPath, O, 0o644);
  const [parent, child] = s.socketpair();
  const ifd = s.initFd(opts.init);
  let spawned;
  try {
    spawned = s.spawn({
      initFd: ifd, cloneFlags: opts.cloneFlags ?? 0, syncFd: child,
      stdin: opts.stdin ?? -1, stdout: opts.stdout ?? out, stderr: opts.stderr ?? err, preserve: opts.preserve ?? [],
    });
  } catch (e) {
    s.close(parent);
    throw e;
  } finally {
    s.close(child);
    s.close(ifd);
    s.close(out);
    s.close(err);
  }
  const ctx = { pid: spawned.pid, pids: [spawned.pid], msgs: [], sys: s, parent };
  s.close(spawned.pidfd);
  const timer = setTimeout(() => {
    ctx.timedOut = true;
    for (const p of ctx.pids) try { s.kill(p, 9); } catch { /* gone */ }
  }, opts.timeoutMs ?? 20000);
  try {
    if (!opts.noProgram) s.write(parent, bytes);
    const buf = new Uint8Array(16);
    for (;;) {
      const n = await s.readAsync(parent, buf);
      if (n === 0) break;
      const m = decodeMsg(buf);
      ctx.msgs.push(m);
      if (m.type === C.MSG_PID) {
        ctx.pids.push(m.a);
        ctx.pid = m.a;
      } else if (m.type === C.MSG_SYNC) {
        let e = 0;
        try {
          e = (opts.onSync ? await opts.onSync(m.a, ctx) : 0) ?? 0;
        } finally {
          s.write(parent, encodeMsg(C.MSG_ACK, 0, e));
        }
      } else if (m.type === C.MSG_READY && opts.onReady) {
        await opts.onReady(ctx);
      }
    }
  } finally {
    clearTimeout(timer);
    s.close(parent);
    ctx.statuses = [];
    for (const p of ctx.pids) ctx.statuses.push(await s.waitAsync(p));
  }
  ctx.status = ctx.statuses[ctx.statuses.length - 1];
  ctx.stdout = readFileSync(outPath, "utf8");
  ctx.stderr = readFileSync(errPath, "utf8");
  ctx.error = ctx.msgs.find((m) => m.type === C.MSG_ERROR) ?? null;
  if (ctx.timedOut) throw new Error("capsa-init timed out; messages: " + JSON.stringify(ctx.msgs));
  return ctx;
}

// ---- rootfs and leak checks -----------------------------------------------------------------
let baseRootfs = null;
/** The shared busybox rootfs (read-only use: mounts happen in child mount namespaces). */
export function rootfs() {
  if (!baseRootfs) baseRootfs = ensureRootfs(join(tmp("capsa-rootfs-"), "rootfs"));
  return baseRootfs;
}
/** A private copy of the rootfs for a test that writes to it. */
export function rootfsCopy() {
  const d = join(tmp("capsa-rootfs-copy-"), "rootfs");
  execFileSync("cp", ["-a", rootfs(), d]);
  return d;
}

/** Pids whose parent is this process. */
export function children() {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch { /* exited */ }
  }
  return out;
}
export function mountCount() {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).length;
}
export function devNullOk() {
  const st = statSync("/dev/null");
  return st.uid === 0 && st.gid === 0 && (st.mode & 0o7777) === 0o666 && st.isCharacterDevice();
}
/** Mount points and sources from a mountinfo text: [{point, fstype, source, options}]. */
export function parseMountinfo(text) {
  return text.split("\n").filter(Boolean).map((l) => {
    const [a, b] = l.split(" - ");
    const f = a.split(" "), g = b.split(" ");
    return { point: f[4], options: f[5], optional: f.slice(6).join(" "), fstype: g[0], source: g[1], super: g[2] };
  });
}
export { existsSync, readFileSync, readlinkSync, join };
