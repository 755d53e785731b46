// `npm run bench`: capsa (under Node and under Deno) against runc and crun, side by side, on one
// bundle (a busybox rootfs and one config.json all runtimes accept) running /bin/true.
// Interleaved A B C D A B C D … so machine drift cancels. Prints a table and writes
// bench/results/<timestamp>.json. Runs under Node and Deno; needs root. See bench/README.md.
//
//   node bench/run.mjs [--runs N] [--warmup N] [--gap MS] [--throughput N] [--parallel N] [--reps N]
//                      [--only capsa-node,capsa-deno,runc,crun] [--no-save]
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync, mkdtempSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { cpus, release } from "node:os";
import process from "node:process";
import { makeBundle as buildBundle, makeSleepBundle, writeConfig } from "./lib/bundle.mjs";
import { Runner, capture, runAsync, sleepSync } from "./lib/proc.mjs";
import { summarize, addRatios, table, round } from "./lib/stats.mjs";

const isDeno = typeof globalThis.Deno !== "undefined";
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const argv = isDeno ? [...globalThis.Deno.args] : process.argv.slice(2);

// ---- options ----------------------------------------------------------------------------------
const opt = { runs: 30, warmup: 3, gap: 100, throughput: 100, parallel: 2, reps: 3, only: null, save: true, inner: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const num = () => {
    const n = Number(argv[++i]);
    if (!Number.isInteger(n) || n < 0) die(`${a} needs a count`);
    return n;
  };
  if (a === "--runs") opt.runs = num();
  else if (a === "--warmup") opt.warmup = num();
  else if (a === "--gap") opt.gap = num();
  else if (a === "--throughput") opt.throughput = num();
  else if (a === "--parallel") opt.parallel = Math.max(1, num());
  else if (a === "--reps") opt.reps = num();
  else if (a === "--only") opt.only = (argv[++i] ?? "").split(",").filter(Boolean);
  else if (a === "--no-save") opt.save = false;
  else if (a === "--inner") opt.inner = true;
  else if (a === "--help" || a === "-h") {
    console.log("usage: node bench/run.mjs [--runs N] [--warmup N] [--gap MS] [--throughput N] [--parallel N] [--reps N] [--only LIST] [--no-save]");
    exit(0);
  } else die(`unknown argument ${a}`);
}

function die(msg) {
  console.error(`bench: ${msg}`);
  exit(2);
}
function exit(code) {
  if (isDeno) globalThis.Deno.exit(code);
  process.exit(code);
}
const log = (s) => console.error(s);

// ---- environment ------------------------------------------------------------------------------
// NODE_EXTRA_CA_CERTS adds ~40 ms to every Node start on these machines: no child gets it.
if (isDeno) globalThis.Deno.env.delete("NODE_EXTRA_CA_CERTS");
delete process.env.NODE_EXTRA_CA_CERTS;

if (process.getuid() !== 0) die("run as root: the runtimes create namespaces and mounts");

function which(name) {
  for (const d of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const p = join(d || ".", name);
    if (existsSync(p)) return p;
  }
  for (const d of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    if (existsSync(join(d, name))) return join(d, name);
  }
  return null;
}

// crun refuses cgroup v1+v2 "hybrid" hosts whose unified hierarchy carries any controller (here:
// hugetlb), before it looks at its --cgroup-manager. To measure it at all, the whole benchmark
// re-runs itself in a private mount namespace where that one file reads empty; the host is not
// changed, and every runtime runs in the same namespace.
const CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers";
function hybridControllers() {
  try {
    return readFileSync(CONTROLLERS, "utf8").trim();
  } catch {
    return "";
  }
}
const cgroupShimNote = `in a private mount namespace with /dev/null bound over ${CONTROLLERS}, so crun accepts this hybrid cgroup host`;
if (!opt.inner && which("crun") && (!opt.only || opt.only.includes("crun")) && hybridControllers() !== "" && which("unshare")) {
  const self = fileURLToPath(import.meta.url);
  const cmd = isDeno ? [globalThis.Deno.execPath(), "run", "-A", self, ...argv, "--inner"] : [process.execPath, self, ...argv, "--inner"];
  log(`bench: re-running ${cgroupShimNote}`);
  // unshare execs sh, which execs the benchmark: the child's pid is the inner benchmark's.
  const c = spawn("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c",
    `mount --bind /dev/null ${CONTROLLERS} && exec "$@"`, "bench-shim", ...cmd], { stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    try { process.on(sig, () => c.kill(sig)); } catch { /* not supported */ }
  }
  const status = await new Promise((resolve) => c.on("exit", (code, sig) => resolve(code ?? 128)));
  exit(status);
}
const cgroupShim = opt.inner && hybridControllers() === "";

// ---- interruption and cleanup -------------------------------------------------------------------
let interrupted = false;
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  try {
    process.on(s, () => {
      if (interrupted) return;
      interrupted = true;
      log(`bench: ${s}: finishing the current step, then cleaning up`);
    });
  } catch { /* signal not supported */ }
}
function checkInterrupt() {
  if (interrupted) throw new Error("interrupted");
}

const work = mkdtempSync("/tmp/capsa-bench-");
const bundle = join(work, "bundle");
const bundleSleep = join(work, "bundle-sleep");

// ---- runtimes ---------------------------------------------------------------------------------
const denoBin = (() => {
  if (process.env.CAPSA_DENO) return process.env.CAPSA_DENO;
  for (const d of readdirSafe(join(repo, "node_modules/@deno")).filter((n) => n.startsWith("linux-"))) {
    const p = join(repo, "node_modules/@deno", d, "deno");
    if (existsSync(p)) return p;
  }
  if (existsSync(join(repo, "node_modules/deno/deno"))) return join(repo, "node_modules/deno/deno");
  return which("deno");
})();
const nodeBin = which("node") ?? (isDeno ? null : process.execPath);

function readdirSafe(d) {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

const ALL = [
  { name: "capsa-node", argv: [join(repo, "bin/capsa")], what: "bin/capsa (Node, dist/host)" },
  { name: "capsa-deno", argv: [join(repo, "bin/capsa-deno")], what: "bin/capsa-deno (Deno, host/*.ts)" },
  { name: "runc", argv: [which("runc") ?? "runc"], what: "runc" },
  { name: "crun", argv: [which("crun") ?? "crun"], what: "crun" },
];
const skipped = {};
const runtimes = [];
for (const rt of ALL) {
  if (opt.only && !opt.only.includes(rt.name)) continue;
  const v = capture([...rt.argv, "--version"]);
  if (v.status !== 0) {
    skipped[rt.name] = `not installed or not built (${(v.stderr || v.stdout).trim().split("\n")[0] || "exit " + v.status})`;
    continue;
  }
  rt.version = v.stdout.trim().split("\n").slice(0, 2).join("; ");
  rt.root = join(work, "state", rt.name);
  mkdirSync(rt.root, { recursive: true });
  runtimes.push(rt);
}
for (const [n, why] of Object.entries(skipped)) log(`bench: skipping ${n}: ${why}`);
const names = runtimes.map((r) => r.name);
const cmd = (rt, ...rest) => [...rt.argv, "--root", rt.root, ...rest];

let runner;
const created = new Set(); // "name\0id" of containers that may exist
function track(rt, id) {
  created.add(rt.name + "\0" + id);
}
function untrack(rt, id) {
  created.delete(rt.name + "\0" + id);
}

function cleanup() {
  for (const rt of runtimes) {
    const ids = new Set([...created].filter((k) => k.startsWith(rt.name + "\0")).map((k) => k.slice(rt.name.length + 1)));
    // capsa's .cgroup-prime.json is the runtime's own file (README.md), no container's state.
    const state = () => readdirSafe(rt.root).filter((e) => !(rt.name.startsWith("capsa") && e === ".cgroup-prime.json"));
    for (const id of state()) ids.add(id);
    for (const id of ids) capture(cmd(rt, "delete", "--force", id));
    const left = state();
    if (left.length) log(`bench: warning: ${rt.name} left state behind: ${left.join(", ")}`);
  }
  rmSync(work, { recursive: true, force: true });
}

// ---- the bundle ---------------------------------------------------------------------------------
const adjustments = [];
let config;

function makeBundle() {
  const spec = runtimes.find((r) => r.name.startsWith("capsa")) ?? ALL[0];
  config = buildBundle(bundle, spec.argv);
  saveConfigs();
}
function saveConfigs() {
  writeConfig(bundle, config);
  makeSleepBundle(bundleSleep, config, join(bundle, "rootfs"));
}

// Fixes for fields a runtime refuses; each applies to the one shared config.
const FIXES = [
  {
    match: /unknown version specified/,
    apply: (c) => {
      const was = c.ociVersion;
      c.ociVersion = "1.0.2";
      return `ociVersion ${was} → 1.0.2: crun ${runtimes.find((r) => r.name === "crun")?.version.match(/[\d.]+/)?.[0] ?? ""} accepts only 1.0.x ("unknown version specified")`;
    },
  },
];

function probe() {
  for (let round_ = 0; round_ < 3; round_++) {
    let fixed = false;
    for (const rt of [...runtimes]) {
      const id = `probe-${round_}`;
      track(rt, id);
      const r = runner.run(cmd(rt, "run", "--bundle", bundle, id));
      capture(cmd(rt, "delete", "--force", id));
      untrack(rt, id);
      if (r.ok) {
        rt.failure = null;
        continue;
      }
      const fix = FIXES.find((f) => f.match.test(r.err) && !f.used);
      if (fix) {
        fix.used = true;
        adjustments.push(fix.apply(config));
        saveConfigs();
        fixed = true;
        break;
      }
      rt.failure = r.err.split("\n").slice(-3).join(" / ") || `exit ${r.status}`;
    }
    if (!fixed) break;
  }
  for (const rt of [...runtimes]) {
    if (rt.failure) {
      skipped[rt.name] = `\`run\` of the shared bundle fails: ${rt.failure}`;
      log(`bench: skipping ${rt.name}: ${skipped[rt.name]}`);
      runtimes.splice(runtimes.indexOf(rt), 1);
      names.splice(names.indexOf(rt.name), 1);
    }
  }
  for (const a of adjustments) log(`bench: adjusted the shared config: ${a}`);
}

// ---- measures -----------------------------------------------------------------------------------
const MEASURES = {
  run: { label: "run /bin/true", unit: "ms" },
  runCpu: { label: "run: CPU user+sys", unit: "ms" },
  runRss: { label: "run: peak RSS", unit: "MiB" },
  create: { label: "create", unit: "ms" },
  start: { label: "start", unit: "ms" },
  delete: { label: "delete", unit: "ms" },
  exec: { label: "exec /bin/true", unit: "ms" },
  throughput: { label: "", unit: "s" },
  createdPss: { label: "created: init Pss", unit: "kB" },
  createdDirty: { label: "created: init Private_Dirty", unit: "kB" },
  createdRss: { label: "created: init Rss", unit: "kB" },
  version: { label: "--version (start floor)", unit: "ms" },
};
MEASURES.throughput.label = `throughput: ${opt.throughput} runs, ${opt.parallel} parallel`;
const samples = Object.fromEntries(Object.keys(MEASURES).map((k) => [k, Object.fromEntries(names.map((n) => [n, []]))]));
const notes = {}; // measure → runtime → text (n/a reasons)
const failures = {}; // measure → runtime → [error lines]
const floors = {};

// Every timed command starts after `--gap` ms of idle: the first write of a pid into a cgroup
// costs 7-15 ms on an idle host but far less right after another container's teardown, so
// without the gap a runtime's numbers depend on which runtime ran just before it.
function idle() {
  if (opt.gap > 0) sleepSync(opt.gap);
}

function fail(rt, what, r) {
  throw new Error(`${rt.name} ${what} failed (status ${r.status}): ${r.err}`);
}

function measureRun() {
  for (let w = 0; w < opt.warmup; w++) {
    for (const rt of runtimes) {
      const id = `w${w}`;
      track(rt, id);
      idle();
      const r = runner.run(cmd(rt, "run", "--bundle", bundle, id));
      if (!r.ok) fail(rt, "run (warm-up)", r);
      untrack(rt, id);
    }
  }
  for (let i = 0; i < opt.runs; i++) {
    for (const rt of runtimes) {
      checkInterrupt();
      const id = `r${i}`;
      track(rt, id);
      idle();
      const r = runner.run(cmd(rt, "run", "--bundle", bundle, id));
      if (!r.ok) fail(rt, "run", r);
      untrack(rt, id);
      samples.run[rt.name].push(r.wallMs);
      if (r.cpuMs !== null) samples.runCpu[rt.name].push(r.cpuMs);
      if (r.rssKb !== null) samples.runRss[rt.name].push(r.rssKb / 1024);
      idle();
      const v = runner.run([...rt.argv, "--version"]);
      if (v.ok) samples.version[rt.name].push(v.wallMs);
    }
  }
}

/** The pid of a created container's waiting init, from `state`. */
function statePid(rt, id) {
  const r = capture(cmd(rt, "state", id));
  if (r.status !== 0) throw new Error(`${rt.name} state ${id} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout).pid;
}

function smapsRollup(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n")) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Waits until pid has exited (gone, or a zombie nobody reaped yet). */
function waitExited(pid, timeoutMs = 10000) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return;
    }
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return;
    if (performance.now() > end) throw new Error(`pid ${pid} still running after ${timeoutMs} ms`);
    sleepSync(1);
  }
}

function measureLifecycle() {
  for (let i = -opt.warmup; i < opt.runs; i++) {
    for (const rt of runtimes) {
      checkInterrupt();
      const id = `c${i}`;
      track(rt, id);
      idle();
      const c = runner.run(cmd(rt, "create", "--bundle", bundle, id));
      if (!c.ok) fail(rt, "create", c);
      const pid = statePid(rt, id);
      const mem = smapsRollup(pid);
      idle();
      const s = runner.run(cmd(rt, "start", id));
      if (!s.ok) fail(rt, "start", s);
      waitExited(pid);
      idle();
      const d = runner.run(cmd(rt, "delete", id));
      if (!d.ok) fail(rt, "delete", d);
      untrack(rt, id);
      if (i < 0) continue;
      samples.create[rt.name].push(c.wallMs);
      samples.start[rt.name].push(s.wallMs);
      samples.delete[rt.name].push(d.wallMs);
      samples.createdPss[rt.name].push(mem.Pss);
      samples.createdDirty[rt.name].push(mem.Private_Dirty);
      samples.createdRss[rt.name].push(mem.Rss);
    }
  }
}

// One running container per runtime for exec, all at once: each its own id, since runtimes
// without a cgroupsPath name the container's cgroup after its id (`<own cgroup>/<id>`).
const execId = (rt) => `x-${rt.name}`;

function measureExec() {
  const ready = [];
  try {
    for (const rt of runtimes) {
      const id = execId(rt);
      track(rt, id);
      const c = runner.run(cmd(rt, "create", "--bundle", bundleSleep, id));
      if (!c.ok) fail(rt, "create (exec bundle)", c);
      const s = runner.run(cmd(rt, "start", id));
      if (!s.ok) fail(rt, "start (exec bundle)", s);
      const p = runner.run(cmd(rt, "exec", id, "/bin/true"));
      if (p.ok) {
        ready.push(rt);
        continue;
      }
      const unknown = /unknown command|not implemented|unknown (sub)?command|usage/i.test(p.err);
      const why = rt.name.startsWith("capsa") && unknown ? "n/a (not implemented)" : `n/a (${p.err.split("\n").pop() || "exit " + p.status})`;
      (notes.exec ??= {})[rt.name] = why;
      log(`bench: exec under ${rt.name}: ${why}`);
    }
    for (let i = -opt.warmup; i < opt.runs; i++) {
      for (const rt of ready) {
        checkInterrupt();
        idle();
        const r = runner.run(cmd(rt, "exec", execId(rt), "/bin/true"));
        if (!r.ok) fail(rt, "exec", r);
        if (i >= 0) samples.exec[rt.name].push(r.wallMs);
      }
    }
  } finally {
    for (const rt of runtimes) {
      capture(cmd(rt, "delete", "--force", execId(rt)));
      untrack(rt, execId(rt));
    }
  }
}

async function measureThroughput() {
  for (let rep = 0; rep < opt.reps; rep++) {
    for (const rt of runtimes) {
      checkInterrupt();
      let next = 0;
      const errors = [];
      const worker = async (w) => {
        while (next < opt.throughput && !interrupted) {
          const id = `t${rep}-${next++}`;
          track(rt, id);
          const r = await runAsync(cmd(rt, "run", "--bundle", bundle, id), join(work, `tp-stderr-${w}.txt`));
          if (r.status !== 0) {
            errors.push(`${id}: exit ${r.status}: ${r.err.split("\n").pop()}`);
            capture(cmd(rt, "delete", "--force", id));
          }
          untrack(rt, id);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: opt.parallel }, (_, w) => worker(w)));
      const s = (performance.now() - t0) / 1000;
      checkInterrupt();
      samples.throughput[rt.name].push(s);
      if (errors.length) {
        // Reported, not fatal: the time still covers every attempt.
        ((failures.throughput ??= {})[rt.name] ??= []).push(...errors);
        log(`bench: ${rt.name}: ${errors.length} of ${opt.throughput} runs failed in a throughput batch: ${errors[0]}`);
      }
    }
  }
}

function measureFloors() {
  const empty = join(work, "empty.mjs");
  writeFileSync(empty, "");
  const list = [
    ["spawn /bin/true (harness floor)", ["/bin/true"]],
    nodeBin && ["node -e 0", [nodeBin, "-e", "0"]],
    denoBin && ["deno run (empty file, flags of bin/capsa-deno)", [denoBin, "run", "-A", "--quiet", "--no-config", "--no-lock", empty]],
  ].filter(Boolean);
  const got = Object.fromEntries(list.map(([k]) => [k, []]));
  for (let i = -opt.warmup; i < opt.runs; i++) {
    for (const [k, a] of list) {
      checkInterrupt();
      idle();
      const r = runner.run(a);
      if (r.ok && i >= 0) got[k].push(r.wallMs);
    }
  }
  for (const [k, xs] of Object.entries(got)) floors[k] = { unit: "ms", ...summarize(xs) };
}

function machine() {
  let cpuModel = "";
  try {
    cpuModel = cpus()[0]?.model ?? "";
  } catch { /* unknown */ }
  const ver = (a) => (a ? capture(a).stdout.trim().split("\n")[0] : null);
  const git = (...a) => capture(["git", "-C", repo, ...a]);
  const commit = git("rev-parse", "--short", "HEAD").stdout.trim() || null;
  const dirty = git("status", "--porcelain", "--", "host", "core", "native-syscalls").stdout.trim() !== "";
  return {
    capsa: commit && `${commit}${dirty ? " + uncommitted changes" : ""}`,
    kernel: release(),
    cpus: cpus().length,
    cpuModel,
    harness: isDeno ? `deno ${globalThis.Deno.version.deno}` : `node ${process.version}`,
    node: ver(nodeBin && [nodeBin, "--version"]),
    deno: ver(denoBin && [denoBin, "--version"]),
    runtimes: Object.fromEntries(runtimes.map((r) => [r.name, r.version])),
  };
}

function targets(m) {
  const med = (k, n) => m[k]?.runtimes[n]?.median;
  const out = [];
  const t = (what, value, limit, ok) => out.push({ target: what, value: value === undefined ? null : round(value, 3), limit: limit === undefined ? null : round(limit, 3), met: value === undefined || limit === undefined ? null : ok(value, limit) });
  const le = (a, b) => a <= b;
  t("run under Deno ≤ runc (ms)", med("run", "capsa-deno"), med("run", "runc"), le);
  t("run under Deno ≤ 1.5 × crun (ms)", med("run", "capsa-deno"), med("run", "crun") && med("run", "crun") * 1.5, le);
  t("run under Node ≤ 1.3 × runc (ms)", med("run", "capsa-node"), med("run", "runc") && med("run", "runc") * 1.3, le);
  t("exec under Node ≤ runc (ms)", med("exec", "capsa-node"), med("exec", "runc"), le);
  t("exec under Deno ≤ runc (ms)", med("exec", "capsa-deno"), med("exec", "runc"), le);
  t("created init Pss ≤ 1.1 MiB (kB)", med("createdPss", "capsa-node"), 1.1 * 1024, le);
  t("created init Private_Dirty ≤ 0.3 MiB (kB)", med("createdDirty", "capsa-node"), 0.3 * 1024, le);
  return out;
}

// ---- main ---------------------------------------------------------------------------------------
function loadavg() {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return null;
  }
}
let loadBefore = null;
let code = 0;
try {
  runner = new Runner(work);
  log(`bench: ${runtimes.length} runtimes (${names.join(", ")}); samples via ${runner.mode}; ${opt.gap} ms idle before each timed command; scratch ${work}`);
  makeBundle();
  probe();
  if (runtimes.length === 0) throw new Error("no runtime can run the bundle");
  const t0 = performance.now();
  loadBefore = loadavg();
  log(`bench: startup floors …`);
  measureFloors();
  log(`bench: run ×${opt.runs} (+${opt.warmup} warm-up) …`);
  measureRun();
  log(`bench: create / start / delete ×${opt.runs} …`);
  measureLifecycle();
  log(`bench: exec ×${opt.runs} …`);
  measureExec();
  if (opt.reps > 0 && opt.throughput > 0) {
    log(`bench: throughput: ${opt.reps} × ${opt.throughput} runs, ${opt.parallel} in parallel …`);
    await measureThroughput();
  }
  const measures = {};
  for (const [k, m] of Object.entries(MEASURES)) {
    const byRt = {};
    for (const n of names) {
      const s = summarize(samples[k][n] ?? []);
      if (s) byRt[n] = s;
      else if (notes[k]?.[n]) byRt[n] = notes[k][n];
    }
    if (Object.keys(byRt).length === 0) continue;
    addRatios(byRt);
    measures[k] = { label: m.label, unit: m.unit, runtimes: byRt };
  }
  const result = {
    timestamp: new Date().toISOString(),
    machine: { ...machine(), loadavg: { before: loadBefore, after: loadavg() } },
    settings: { runs: opt.runs, warmup: opt.warmup, gapMs: opt.gap, throughput: { containers: opt.throughput, parallel: opt.parallel, reps: opt.reps } },
    method: runner.describe(),
    environment: cgroupShim ? cgroupShimNote : "as is",
    config: { adjustments, process: config.process.args, namespaces: config.linux.namespaces.map((n) => n.type), mounts: config.mounts.map((m) => m.destination), rootReadonly: config.root.readonly },
    skipped,
    failures,
    floors,
    measures,
    targets: targets(measures),
    seconds: round((performance.now() - t0) / 1000, 1),
  };
  console.log(`\ncapsa vs runc vs crun — ${result.machine.kernel}, ${result.machine.cpus} CPUs, harness ${result.machine.harness}, ${opt.runs} runs each, ${opt.gap} ms idle before each (ratios are of medians)\n`);
  console.log(table(measures, names));
  console.log("\nstartup floors (ms):");
  for (const [k, s] of Object.entries(floors)) console.log(`  ${k}: median ${s.median}, min ${s.min}, max ${s.max}`);
  for (const [n, why] of Object.entries(skipped)) console.log(`skipped ${n}: ${why}`);
  for (const a of adjustments) console.log(`shared config adjusted: ${a}`);
  for (const [m, byRt] of Object.entries(failures)) {
    for (const [n, errs] of Object.entries(byRt)) console.log(`${n}: ${errs.length} failed ${m} runs (counted in the time), e.g. ${errs[0]}`);
  }
  if (cgroupShim) console.log(`environment: ${cgroupShimNote}`);
  console.log("\ntargets:");
  for (const t of result.targets) console.log(`  ${t.met === null ? "?  " : t.met ? "met" : "NOT"}  ${t.target}: ${t.value ?? "n/a"} vs ${t.limit ?? "n/a"}`);
  if (opt.save) {
    const dir = join(here, "results");
    mkdirSync(dir, { recursive: true });
    const stamp = result.timestamp.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const file = join(dir, `${stamp}.json`);
    writeFileSync(file, JSON.stringify(result, null, 1) + "\n");
    console.log(`\nwrote ${file.slice(repo.length + 1)}`);
  }
} catch (e) {
  log(`bench: ${e?.message ?? e}`);
  code = 1;
} finally {
  cleanup();
}
exit(interrupted ? 130 : code);
