// Runs the capsa CLI the way the current runtime runs it (bin/capsa under Node, bin/capsa-deno
// under Deno), builds bundles from the busybox rootfs, and checks that nothing leaked.
import { spawnSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync, statSync, cpSync, mkdirSync, openSync, closeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ensureRootfs } from "./rootfs.mjs";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const isDeno = !!globalThis.Deno;
export const bin = join(root, "bin", isDeno ? "capsa-deno" : "capsa");
/** This test process's mark, in its state root and in every container id it makes (uniqueId):
 * its pid and a random part, so what an earlier process with the same pid left behind (a run
 * that crashed) is never taken for this one's. */
const mark = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
export const stateRoot = join(tmpdir(), `capsa-test-state-${mark}`);
export const sharedRootfs = ensureRootfs(join(tmpdir(), "capsa-test", "rootfs"));
// The state root is this test process's own; remove it as the process ends, with the runtime's
// memo, unless a container's state is left (a leak the tests report).
process.on("exit", () => {
  try {
    rmSync(join(stateRoot, RUNTIME_MEMO), { force: true });
    rmdirSync(stateRoot);
  } catch { /* not empty, or never made */ }
});

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

// A container created by `create` or `run -d` keeps the stdio it was given: pipes would keep
// the caller waiting for their end of file until the container exits. So capsa's output goes
// to temporary files, read back when it exits.
let outSeq = 0;
function outFiles() {
  const base = join(tmpdir(), `capsa-test-out-${process.pid}-${++outSeq}`);
  return [base + ".out", base + ".err"];
}
function readAndRemove(p) {
  try {
    return readFileSync(p, "utf8");
  } finally {
    rmSync(p, { force: true });
  }
}

/** Runs a command with its output in files; returns {status, signal, stdout, stderr, error}. */
export function runCommand(cmd, args, opts = {}) {
  const [o, e] = outFiles();
  const fo = openSync(o, "w"), fe = openSync(e, "w");
  let r;
  try {
    r = spawnSync(cmd, args, {
      cwd: opts.cwd ?? root,
      input: opts.input ?? "",
      env: { ...env, ...(opts.env ?? {}) },
      timeout: opts.timeout ?? 60_000,
      stdio: ["pipe", fo, fe],
    });
  } finally {
    closeSync(fo);
    closeSync(fe);
  }
  return { status: r.status, signal: r.signal, stdout: readAndRemove(o), stderr: readAndRemove(e), error: r.error };
}

/** Runs `capsa --root <stateRoot> ...args`; returns {status, stdout, stderr}. */
export function capsa(args, opts = {}) {
  return runCommand(bin, ["--root", opts.root ?? stateRoot, ...args], opts);
}

/** Starts capsa in the background; `done` resolves with {status, stdout, stderr} when it exits. */
export function capsaAsync(args, opts = {}) {
  const [o, e] = outFiles();
  const fo = openSync(o, "w"), fe = openSync(e, "w");
  const child = spawn(bin, ["--root", opts.root ?? stateRoot, ...args], {
    cwd: opts.cwd ?? root,
    env: { ...env, ...(opts.env ?? {}) },
    stdio: [opts.input !== undefined ? "pipe" : "ignore", fo, fe],
  });
  closeSync(fo);
  closeSync(fe);
  if (opts.input !== undefined) child.stdin.end(opts.input);
  const done = new Promise((res) => child.on("exit", (status, signal) => res({ status, signal, stdout: readAndRemove(o), stderr: readAndRemove(e) })));
  return { child, done };
}

let specCache = null;
/** The default config from `capsa spec`. */
export function defaultSpec() {
  if (!specCache) {
    const dir = mkdtempSync(join(tmpdir(), "capsa-spec-"));
    try {
      const r = capsa(["spec", "--bundle", dir]);
      if (r.status !== 0) throw new Error("capsa spec failed: " + r.stderr);
      specCache = readFileSync(join(dir, "config.json"), "utf8");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return JSON.parse(specCache);
}

const bundles = [];
/**
 * Makes a bundle whose config is `capsa spec`'s default passed through `edit(config)`.
 * The rootfs is the shared read-only busybox tree unless `opts.copyRootfs`.
 */
export function bundle(edit = (c) => c, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), "capsa-bundle-"));
  bundles.push(dir);
  let rootfs = sharedRootfs;
  if (opts.copyRootfs) {
    rootfs = join(dir, "rootfs");
    cpSync(sharedRootfs, rootfs, { recursive: true, verbatimSymlinks: true });
  }
  const c = defaultSpec();
  c.root = { path: rootfs, readonly: !opts.copyRootfs };
  c.process.terminal = false;
  const out = edit(c) ?? c;
  writeFileSync(join(dir, "config.json"), typeof out === "string" ? out : JSON.stringify(out, null, 2));
  return dir;
}

/** `capsa run` of a shell script in a default bundle edited by `edit`. */
export function runSh(script, edit = (c) => c, opts = {}) {
  const dir = bundle((c) => {
    c.process.args = ["sh", "-c", script];
    return edit(c) ?? c;
  }, opts);
  return capsa(["run", "--bundle", dir, opts.id ?? uniqueId()], opts);
}

let n = 0;
export function uniqueId(prefix = "t") {
  return `${prefix}${mark}-${++n}`;
}

export function cleanupBundles() {
  while (bundles.length) rmSync(bundles.pop(), { recursive: true, force: true });
}

import { readlinkSync, rmdirSync } from "node:fs";
function foreignPids() {
  const mine = readlinkSync("/proc/self/ns/pid") + readlinkSync("/proc/self/ns/mnt");
  const out = new Map();
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const ns = readlinkSync(`/proc/${p}/ns/pid`) + readlinkSync(`/proc/${p}/ns/mnt`);
      if (ns !== mine) out.set(p, readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ").trim());
    } catch { /* gone, or a kernel thread */ }
  }
  return out;
}
const baseline = foreignPids();
/** The mark in every container id this test process makes (see uniqueId). */
const tag = `${mark}-`;
/** A process descended from this test process (a capsa-init outside any capsa cgroup). */
function ownedByUs(pid) {
  let p = String(pid);
  for (let i = 0; i < 64 && p !== "0" && p !== "1"; i++) {
    if (p === String(process.pid)) return true;
    try {
      const st = readFileSync(`/proc/${p}/stat`, "utf8");
      p = st.slice(st.lastIndexOf(")") + 2).split(" ")[1];
    } catch {
      return false;
    }
  }
  return false;
}

/** What a test may leave behind: mounts, state dirs, processes running capsa-init, cgroups. */
/** The one file of a state root that belongs to the runtime rather than to a container: the
 * cgroup primer's memo (host/cgroups.ts). It is no container's state, and stays. */
export const RUNTIME_MEMO = ".cgroup-prime.json";

export function leaks() {
  const out = [];
  const mi = readFileSync("/proc/self/mountinfo", "utf8");
  for (const line of mi.split("\n")) {
    if (/capsa-(bundle|spec)-|capsa-test\/rootfs/.test(line)) out.push("mount: " + line);
  }
  if (existsSync(stateRoot)) {
    for (const e of readdirSync(stateRoot)) if (e !== RUNTIME_MEMO) out.push("state dir: " + join(stateRoot, e));
  }
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const exe = readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (exe.startsWith("capsa-init\0") && (readFileSync(`/proc/${p}/cgroup`, "utf8").includes(tag) || ownedByUs(p))) {
        out.push(`process: ${p} ${exe.replace(/\0/g, " ")}`);
      }
    } catch { /* gone */ }
  }
  // Only what this test process made counts (its container ids carry its pid), so suites run
  // side by side, or other software's containers, are not mistaken for leaks. A container's
  // cgroup is by default named after it, below the runtime's (this process's) own cgroup.
  for (const d of Object.values(ownCgroupDirs())) {
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name.includes(tag)) out.push("cgroup: " + join(d, e.name));
    }
  }
  for (const [p, cmd] of foreignPids()) {
    if (baseline.has(p)) continue;
    let cg = "";
    try { cg = readFileSync(`/proc/${p}/cgroup`, "utf8"); } catch { continue; }
    if (cg.includes(tag) || cmd.startsWith("capsa-init") && ownedByUs(p)) out.push(`process in another namespace: ${p} ${cmd}`);
  }
  const st = statSync("/dev/null");
  if (st.uid !== 0 || st.gid !== 0 || (st.mode & 0o777) !== 0o666) {
    out.push(`/dev/null is ${st.uid}:${st.gid} mode ${(st.mode & 0o777).toString(8)}`);
  }
  // uvu reports nothing when an after-each hook fails: say it here.
  if (out.length) console.error("LEAKED after a test:\n  " + out.join("\n  "));
  return out;
}

/**
 * This process's own cgroup directory in each mounted hierarchy, keyed by the hierarchy's mount
 * point ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"): where a container without a
 * cgroupsPath gets its cgroup (`<own>/<id>`, as runc).
 */
export function ownCgroupDirs() {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n").map((line) => {
    const f = line.split(" "), sep = f.indexOf("-");
    return { root: f[3], mp: f[4], type: f[sep + 1], opts: f[sep + 3].split(",") };
  });
  const out = {};
  for (const line of readFileSync("/proc/self/cgroup", "utf8").trim().split("\n")) {
    const [hid, ctrls, ...rest] = line.split(":");
    const path = rest.join(":");
    const m = hid === "0"
      ? mounts.find((x) => x.type === "cgroup2")
      : mounts.find((x) => x.type === "cgroup" && ctrls.split(",").every((c) => x.opts.includes(c)));
    if (!m || (m.root !== "/" && !path.startsWith(m.root))) continue;
    const rel = m.root === "/" ? path : path.slice(m.root.length);
    out[m.mp] = (m.mp + "/" + rel).replace(/\/+/g, "/").replace(/\/$/, "");
  }
  return out;
}

/** A default container's cgroup directory in the hierarchy mounted at /sys/fs/cgroup/<h>. */
export function containerCgroupDir(h, id) {
  const dirs = ownCgroupDirs();
  // A hierarchy may carry several controllers (cpu,cpuacct): name it by any of them.
  const key = Object.keys(dirs).find((k) => k === `/sys/fs/cgroup/${h}` || k.slice("/sys/fs/cgroup/".length).split(",").includes(h));
  const own = key && dirs[key];
  if (!own) throw new Error(`no cgroup hierarchy at /sys/fs/cgroup/${h}`);
  return `${own}/${id}`;
}

export function mkdirp(p) {
  mkdirSync(p, { recursive: true });
  return p;
}

/**
 * Registers the after-each check every runtime suite uses: force-delete the containers the
 * test recorded in `created`, remove its bundles, and assert that nothing leaked.
 */
export function checkEachTest(test, assert, created = new Set()) {
  test.after.each(() => {
    for (const id of created) capsa(["delete", "--force", id]);
    created.clear();
    cleanupBundles();
    const l = leaks();
    assert.equal(l, [], "nothing leaks: " + l.join("; "));
  });
  return created;
}
