// Shared helpers of the client suites (podman, containerd): they drive capsa as their OCI
// runtime the way these tools drive runc, from private storage dirs under /tmp.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../lib/capsa.mjs";

/** The path of `name` on PATH, or null. */
export function which(name) {
  for (const d of (process.env.PATH ?? "").split(":")) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return null;
}

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

/** Runs a command; output goes through files (a detached container keeps its stdio open). */
export function sh(cmd, args, opts = {}) {
  return runCommand(cmd, args, opts);
}

/** Starts a command in the background; `done` resolves with {status, stdout, stderr}. */
export function shAsync(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { env: { ...env, ...(opts.env ?? {}) }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  const done = new Promise((res) => child.on("close", (status, signal) => res({ status, signal, stdout, stderr })));
  return { child, done };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (or the time runs out: returns the last value). */
export async function until(fn, ms = 10_000) {
  const end = Date.now() + ms;
  let v;
  while (!(v = fn()) && Date.now() < end) await sleep(50);
  return v;
}

/** The cgroup v1 directory of `pid` for `controller` (null when it has none). */
export function cgroupDir(pid, controller) {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")) {
    const [, ctrls, path] = line.split(":");
    if (ctrls !== undefined && ctrls.split(",").includes(controller)) return join("/sys/fs/cgroup", controller, path);
  }
  return null;
}

export function cgroupHierarchies() {
  return readdirSync("/sys/fs/cgroup").filter((h) => existsSync(join("/sys/fs/cgroup", h, "cgroup.procs")));
}

/** Child cgroups left under `rel` in any hierarchy. */
export function childCgroups(rel) {
  const out = [];
  for (const h of cgroupHierarchies()) {
    const d = join("/sys/fs/cgroup", h, rel);
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) out.push(join(d, e.name));
  }
  return out;
}

/** Removes the (empty) cgroup `rel` in every hierarchy, children first. */
export function removeCgroupTree(rel) {
  for (const h of cgroupHierarchies()) {
    const d = join("/sys/fs/cgroup", h, rel);
    if (!existsSync(d)) continue;
    const walk = (p) => {
      for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) walk(join(p, e.name));
      try { rmdirSync(p); } catch { /* busy: the leak check reports it */ }
    };
    walk(d);
  }
}

/** Processes whose command line mentions `needle`. */
export function processesWith(needle) {
  const out = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle)) out.push(`${p} ${cmd}`);
    } catch { /* gone */ }
  }
  return out;
}

/** Mounts whose mount point or source mentions `needle`. */
export function mountsWith(needle) {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(needle));
}
