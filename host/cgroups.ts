// The host half of cgroups: read what the core asks for, create the directories, write the
// values it computed, place processes, freeze, read stats, remove what we created. Every
// number and path comes from the core (core/cgroups); this file only does the I/O.
import { loadCore } from "./core.ts";
import { readText, exists, mkdir, writeExisting, isNotFound, isAlreadyExists, readDir, statId, writeAtomic, sleepSync, subdirs, rmdir, osErrno } from "./rt.ts";
import { CapsaError, type Diagnostic } from "./errors.ts";
import { type Sys, O_RDONLY, O_DIRECTORY, errnoInfo } from "./sys.ts";


export interface Layout {
  mode: "v1" | "hybrid" | "unified";
  unified: { mountpoint: string; root: string; path: string | null; controllers: string[] } | null;
  controllers: Record<string, { mountpoint: string; root: string; path: string | null }>;
  /** This process's own cgroup.procs file (see primeCgroupMoves), or null. */
  prime: string | null;
}

export interface Write { file: string; value: string; pointer?: string; tolerate?: string[]; ifCreated?: boolean }

/** Loads the core's cgroup v2 device program and attaches it to the container's v2 cgroup. */
export function attachDeviceProgram(plan: CgroupPlan, bpf: Uint8Array, sys?: Sys): void {
  const b = plan.bpf as { cgroup?: string; license?: string };
  const dir = b.cgroup ?? plan.paths["unified"];
  if (!sys) throw new CapsaError("attaching a cgroup v2 device program needs the native library", "cgroup.bpf");
  if (!dir) throw new CapsaError("the device program has no cgroup v2 directory to attach to", "cgroup.bpf");
  const fd = sys.open(dir, O_RDONLY | O_DIRECTORY);
  try {
    sys.bpfDeviceAttach(bpf, b.license ?? "Apache-2.0", fd);
  } finally {
    sys.close(fd);
  }
}

export interface CgroupPlan {
  valid: boolean;
  diagnostics: Diagnostic[];
  paths: Record<string, string>;
  create: string[];
  enable: { file: string; value: string }[];
  writes: Write[];
  bpf: null | { instructions: number };
  statFiles: Record<string, string>;
}

/** What state.json keeps: where the container's cgroups are and which directories we made. */
export interface CgroupState {
  paths: Record<string, string>;
  created: string[];
  statFiles: Record<string, string>;
}

let layoutCache: Layout | null = null;

/** The inputs of the core's cgroup_layout, as this process reads them now. */
interface LayoutInput { mountinfo: string; cgroup: string; controllers: string | null }

function layoutInput(): LayoutInput {
  let controllers: string | null = null;
  try {
    controllers = readText("/sys/fs/cgroup/unified/cgroup.controllers");
  } catch {
    try { controllers = readText("/sys/fs/cgroup/cgroup.controllers"); } catch { /* v1 only */ }
  }
  return { mountinfo: readText("/proc/self/mountinfo"), cgroup: readText("/proc/self/cgroup"), controllers };
}

/** The lines of a mountinfo that the layout reads: the cgroup and cgroup2 mounts. */
function cgroupMounts(mountinfo: string): string {
  return mountinfo.split("\n").filter((l) => / - cgroup2? /.test(l)).join("\n");
}

/**
 * This host's cgroup layout, from the core, once per process. With the state root, the memo
 * there (see PrimeMemo) answers while the cgroup mounts, /proc/self/cgroup and the unified
 * hierarchy's controllers read as they did when it was written: the core's answer depends on
 * nothing else. Otherwise the core computes it and the memo is written again.
 */
export function layout(root?: string): Layout {
  if (layoutCache) return layoutCache;
  const input = layoutInput();
  const m = root !== undefined ? readMemo(root) : null;
  if (m && m.layout && m.cgroup === input.cgroup && m.mounts === cgroupMounts(input.mountinfo) && m.controllers === input.controllers) {
    return (layoutCache = m.layout);
  }
  const r = loadCore().json<Layout & { error?: string }>("cgroup_layout", input);
  if (r.status !== 0) throw new CapsaError(`cannot understand this host's cgroups: ${r.value.error ?? JSON.stringify(r.value)}`, "cgroup.layout");
  layoutCache = r.value;
  if (root !== undefined) writeMemo(root, layoutCache, input);
  return layoutCache;
}

/** The running primer: its stop, its file, and whether nobody has taken it over yet (see
 * primeEarly). */
let primer: { stop: () => void; users: number; early: boolean; file: string } | null = null;

/**
 * Keeps cgroup moves cheap until the returned function is called. Moving a process between
 * cgroups waits for an RCU grace period, 5 to 20 ms, unless another move happened within about
 * one grace period before. A worker thread (capsa_cgroup_prime) moves this process into the
 * cgroup it is already in (Layout.prime, from the core), now and every 2 ms: the first
 * wait then runs alongside planning and spawning, and the container's init joins its cgroups,
 * its first ops, without one. One primer serves every caller; it stops when the last one
 * calls its stop. With `needed` false (a process that joins no cgroup) it only ends an early
 * primer. Failures only lose the head start.
 */
export function primeCgroupMoves(sys: Sys, needed = true, root?: string): () => void {
  if (!needed) {
    // Nothing will move: an early primer nobody else uses ends now.
    if (primer?.early) {
      primer.stop();
      primer = null;
    }
    return () => {};
  }
  if (primer?.early) {
    primer.early = false; // taken over: the early caller's share becomes this one
  } else if (primer) {
    primer.users++;
  } else {
    const file = layoutPrime(root);
    const stop = file ? startPrimer(sys, file) : null;
    if (!file || !stop) return () => {};
    primer = { stop, users: 1, early: false, file };
  }
  let done = false;
  return () => {
    if (done || !primer) return;
    done = true;
    if (--primer.users === 0) {
      primer.stop();
      primer = null;
    }
  };
}

/**
 * Starts the primer as early as a command knows that it will place a process in cgroups, before
 * the rest of its modules load: from the memo in the state root when it still holds, which
 * spares waiting for the core, else from the core's layout. The first primeCgroupMoves takes it
 * over; if none does, it runs until the process exits.
 */
export function primeEarly(sys: Sys, root?: string): void {
  if (primer) return;
  const file = (root !== undefined ? rememberedPrime(root) : null) ?? layoutPrime(root);
  const stop = file ? startPrimer(sys, file) : null;
  if (file && stop) primer = { stop, users: 1, early: true, file };
}

/**
 * What the state root remembers of this host's cgroups: the core's layout with the inputs it was
 * computed from, and where this process's own cgroup.procs is (the primer's file). The root's
 * file, mode 0600, trusted as the containers' state.json files beside it are (they name the
 * cgroups capsa writes pids into and the hooks it runs). The prime file is used while the
 * process's cgroups read the same and the file's directory is the same cgroup, so the primer
 * starts before the core is loaded and `exec`, which needs no layout of its own, skips computing
 * one; the layout is used while its inputs read the same (see layout).
 */
interface PrimeMemo {
  /** /proc/self/cgroup when it was found: the same text means the same cgroups. */
  cgroup: string;
  prime: string;
  /** The device and inode numbers of its directory: the same hierarchy and the same cgroup. */
  dev: number;
  ino: number;
  /** The cgroup mount lines of /proc/self/mountinfo and the unified controllers. */
  mounts: string;
  controllers: string | null;
  layout: Layout;
}

// A leading dot: no container ID can start with one (checkId), so the memo never collides with a
// container's directory.
const memoPath = (root: string) => `${root}/.cgroup-prime.json`;

function readMemo(root: string): PrimeMemo | null {
  try {
    const m = JSON.parse(readText(memoPath(root)));
    return m && typeof m === "object" ? m as PrimeMemo : null;
  } catch {
    return null;
  }
}

function writeMemo(root: string, l: Layout, input: LayoutInput): void {
  const file = l.prime;
  const id = file ? statId(file.slice(0, file.lastIndexOf("/")) || "/") : null;
  if (!file || !id) return;
  const m: PrimeMemo = {
    cgroup: input.cgroup, prime: file, dev: id.dev, ino: id.ino,
    mounts: cgroupMounts(input.mountinfo), controllers: input.controllers, layout: l,
  };
  try {
    writeAtomic(memoPath(root), JSON.stringify(m), 0o600);
  } catch {
    // no state root yet: the next command writes it
  }
}

/** The prime file of the memo in root, while it still names this process's own cgroup. */
export function rememberedPrime(root: string): string | null {
  const m = readMemo(root);
  try {
    if (!m || typeof m.prime !== "string" || m.cgroup !== readText("/proc/self/cgroup")) return null;
    const id = statId(m.prime.slice(0, m.prime.lastIndexOf("/")) || "/");
    return id !== null && id.dev === m.dev && id.ino === m.ino ? m.prime : null;
  } catch {
    return null;
  }
}

/** The layout's prime file; a memo in root that no longer names it is written again. */
function layoutPrime(root?: string): string | null {
  let l: Layout;
  try {
    l = layout(root);
  } catch {
    return null; // whoever needs the layout reports the error
  }
  if (l.prime && root !== undefined && rememberedPrime(root) !== l.prime) writeMemo(root, l, layoutInput());
  return l.prime;
}

function startPrimer(sys: Sys, file: string): (() => void) | null {
  let fds: [number, number];
  try {
    fds = sys.pipe();
  } catch {
    return null;
  }
  const [stopRead, stopWrite] = fds;
  // Ends when stopWrite is closed, or after a second at most (a container's init joins its
  // cgroups first thing); its end closes stopRead.
  sys.cgroupPrimeAsync(file, stopRead, 2, 1000).catch(() => 0).finally(() => sys.close(stopRead));
  return () => sys.close(stopWrite);
}

/** The nearest existing v1 cpuset directory's cpus and mems (copied into new directories). */
function cpusetParent(l: Layout, id: string, cgroupsPath: string | null): { cpus: string; mems: string } | null {
  const c = l.controllers["cpuset"];
  if (!c) return null;
  let dir = c.mountpoint + "/" + (cgroupsPath && cgroupsPath.startsWith("/") ? cgroupsPath : (c.path ?? "/") + "/" + (cgroupsPath ?? id));
  dir = dir.replace(/\/+/g, "/");
  for (;;) {
    try {
      const cpus = readText(dir + "/cpuset.cpus").trim();
      const mems = readText(dir + "/cpuset.mems").trim();
      if (cpus && mems) return { cpus, mems };
    } catch { /* not there yet */ }
    if (dir.length <= c.mountpoint.length) return null;
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
}

function hugePageSizes(): string[] {
  try {
    return readDir("/sys/kernel/mm/hugepages").map((n) => n.replace(/^hugepages-/, ""));
  } catch {
    return [];
  }
}

export function planCgroups(id: string, config: any, opts: { update?: boolean; resources?: unknown; current?: Record<string, string>; root?: string } = {}): { plan: CgroupPlan; bpf: Uint8Array } {
  const l = layout(opts.root);
  const cgroupsPath = (config?.linux?.cgroupsPath as string | undefined) ?? null;
  const resources = opts.resources ?? config?.linux?.resources ?? {};
  const core = loadCore();
  const r = core.call("cgroup_plan", {
    layout: l,
    id,
    cgroupsPath,
    resources,
    update: !!opts.update,
    current: opts.current ?? null,
    cpusetParent: cpusetParent(l, id, cgroupsPath),
    hugePageSizes: hugePageSizes(),
    defaultDevices: !opts.update,
    linuxDevices: opts.update ? null : config?.linux?.devices ?? null,
  });
  const plan = JSON.parse(r.text) as CgroupPlan;
  if (r.status !== 0 || !plan.valid) {
    const errs = (plan.diagnostics ?? []).filter((d) => d.severity === "error");
    throw new CapsaError(errs.map((d) => `config.json:${d.pointer}: ${d.message} [${d.code}]`).join("\n") || `cgroup plan refused: ${r.text}`, "cgroup.plan");
  }
  return { plan, bpf: core.blob() };
}

/** The errno name of a failed file operation: Node's `code`, else its number (osErrno) named
 * from the core's table. */
function errnoOf(e: unknown): string {
  const x = e as { code?: string; name?: string; message?: string };
  if (x?.code) return x.code;
  const n = osErrno(e);
  if (n !== null) return errnoInfo(n).name;
  const m = /\b(E[A-Z]+)\b/.exec(x?.message ?? "");
  if (m) return m[1];
  if (isNotFound(e)) return "ENOENT";
  return x?.name ?? "EIO";
}

function isEmptyFile(path: string): boolean {
  try {
    return readText(path).trim() === "";
  } catch {
    return false;
  }
}

function write(w: Write): void {
  try {
    writeExisting(w.file, w.value);
  } catch (e) {
    const code = errnoOf(e);
    if (w.tolerate?.includes(code)) return;
    const where = w.pointer ? `${w.pointer}: ` : "";
    throw new CapsaError(`${where}write ${JSON.stringify(w.value)} to ${w.file}: ${code}`, "cgroup.write");
  }
}

/** Creates the cgroup and writes its resources; returns what to record (and later remove). */
export function applyCgroups(plan: CgroupPlan, bpf: Uint8Array, sys?: Sys): CgroupState {
  const created: string[] = [];
  const st: CgroupState = { paths: plan.paths, created, statFiles: plan.statFiles ?? {} };
  try {
    // Another container's delete may remove a parent both cgroupsPaths share (a/b and a/c)
    // between our mkdirs: start over when a parent vanished. Once our leaf exists, its parents
    // cannot be removed.
    for (let attempt = 0; ; attempt++) {
      let vanished = false;
      for (const d of plan.create) {
        try {
          mkdir(d, 0o755);
          if (!created.includes(d)) created.push(d);
        } catch (e) {
          if (isAlreadyExists(e)) continue;
          if (isNotFound(e) && attempt < 20) { vanished = true; break; }
          throw new CapsaError(`mkdir ${d}: ${errnoOf(e)}`, "cgroup.mkdir");
        }
      }
      if (!vanished) break;
    }
    // A container's own directory that was there already must hold no process (runc checks the
    // same): joining it would put those processes under this container's limits, its kill --all
    // and its delete.
    for (const leaf of new Set(Object.values(plan.paths))) {
      if (created.includes(leaf)) continue;
      const n = processesBelow(leaf);
      if (n > 0) throw new CapsaError(`/linux/cgroupsPath: the container's cgroup ${leaf} is not empty: ${n} process(es) found`, "cgroup.not-empty");
    }
    for (const en of plan.enable) {
      try { writeExisting(en.file, en.value); } catch { /* best effort: a failing write below says more */ }
    }
    for (const w of plan.writes) {
      // cpuset copies: for the directories we made, and for any on the path whose value is
      // still empty (a shared parent another container is creating right now).
      if (w.ifCreated && !created.includes(w.file.slice(0, w.file.lastIndexOf("/"))) && !isEmptyFile(w.file)) continue;
      write(w);
    }
    if (plan.bpf && bpf.length > 0) attachDeviceProgram(plan, bpf, sys);
    return st;
  } catch (e) {
    removeCgroups(st);
    throw e;
  }
}

/** Writes an update's values (no directories are created). */
export function updateCgroups(plan: CgroupPlan): void {
  for (const w of plan.writes) if (!w.ifCreated) write(w);
}

function procsFile(st: CgroupState): string | null {
  for (const k of ["pids", "memory", "freezer", "devices", "cpu", "unified"]) {
    if (st.paths[k]) return `${st.paths[k]}/cgroup.procs`;
  }
  const any = Object.values(st.paths)[0];
  return any ? `${any}/cgroup.procs` : null;
}

/** The pids in the container's cgroup. */
export function cgroupPids(st: CgroupState): number[] {
  const f = procsFile(st);
  if (!f) return [];
  try {
    return readText(f).split("\n").filter(Boolean).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/**
 * Removes the directories this container created, deepest first, retrying while the kernel
 * still drains them (EBUSY right after the last process exits). Never removes a directory it
 * did not create.
 */
export function removeCgroupsRetrying(st: CgroupState): void {
  for (let attempt = 0; ; attempt++) {
    const left = removeOnce(st);
    if (left.length === 0) return;
    if (attempt >= 200) throw new CapsaError(`cannot remove cgroup ${left[0]}: still busy`, "cgroup.remove");
    sleepSync(10);
  }
}

/** One pass of removeCgroupsRetrying: returns the directories still there. */
export function removeCgroups(st: CgroupState): string[] {
  return removeOnce(st);
}

/** The cgroups directly below `dir` (none once it is gone). */
function childCgroups(dir: string): string[] {
  try {
    return subdirs(dir);
  } catch {
    return [];
  }
}

/** How many processes `dir` and every cgroup below it hold (0 once it is gone). */
function processesBelow(dir: string): number {
  let n: number;
  try {
    n = readText(`${dir}/cgroup.procs`).split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
  for (const c of childCgroups(dir)) n += processesBelow(`${dir}/${c}`);
  return n;
}

function removeOnce(st: CgroupState): string[] {
  const left: string[] = [];
  for (const d of [...st.created].sort((a, b) => b.length - a.length)) {
    try {
      rmdir(d);
    } catch (e) {
      if (isNotFound(e)) continue;
      // A parent that still holds other cgroups (another container's) is shared: leave it.
      if (childCgroups(d).length > 0) continue;
      left.push(d);
    }
  }
  return left;
}

/** The freezer state, mapped by the core: THAWED, FREEZING, FROZEN or null (no freezer). */
export function freezerState(st: CgroupState): string | null {
  const files: Record<string, string> = {};
  const fz = st.paths["freezer"];
  if (fz) {
    try { files["freezer.state"] = readText(`${fz}/freezer.state`); } catch { /* gone */ }
  } else if (st.paths["unified"]) {
    try { files["cgroup.events"] = readText(`${st.paths["unified"]}/cgroup.events`); } catch { /* gone */ }
    try { files["cgroup.freeze"] = readText(`${st.paths["unified"]}/cgroup.freeze`); } catch { /* gone */ }
  }
  if (Object.keys(files).length === 0) return null;
  return loadCore().json<{ freezer: string | null }>("cgroup_freezer", { files }).value.freezer;
}

/** Freezes or thaws the container's cgroup; waits until the kernel reports the new state. */
export async function setFrozen(st: CgroupState, frozen: boolean): Promise<void> {
  const fz = st.paths["freezer"];
  if (fz) {
    writeExisting(`${fz}/freezer.state`, frozen ? "FROZEN" : "THAWED");
  } else if (st.paths["unified"]) {
    writeExisting(`${st.paths["unified"]}/cgroup.freeze`, frozen ? "1" : "0");
  } else {
    throw new CapsaError("no freezer: this container has no freezer cgroup", "cgroup.freezer");
  }
  const want = frozen ? "FROZEN" : "THAWED";
  for (let i = 0; i < 1000; i++) {
    if (freezerState(st) === want) return;
    sleepSync(2);
  }
  throw new CapsaError(`the cgroup did not become ${want}`, "cgroup.freezer");
}

/** Reads the stat files the core named and lets it build runc's stats JSON. */
export function readStats(id: string, st: CgroupState): unknown {
  return JSON.parse(readStatsText(id, st));
}

/** The stats JSON text exactly as the core wrote it (64-bit counters stay exact). */
export function readStatsText(id: string, st: CgroupState): string {
  const files: Record<string, string> = {};
  for (const [name, path] of Object.entries(st.statFiles ?? {})) {
    try { files[name] = readText(path); } catch { /* optional */ }
  }
  return loadCore().call("cgroup_stats", { id, files }).text;
}
