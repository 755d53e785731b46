// Where capsa's time goes: runs the CLI's own `main` (host/commands.ts under Deno, dist/host under
// Node) in a child process that imports the host modules one by one, loads the wasm core and the
// FFI itself, wraps every Sys call and every core call with a clock, then records the timeline.
// The parent times the child from spawn to exit, repeats, and prints the median of each step,
// per verb (run, create, start, delete, exec) and engine; with strace installed it also splits
// the init's own work (clone, mounts, pivot_root, …) by system call. Needs root. The verb
// `noop` loads everything a verb loads (modules, wasm, FFI) and exits without running main.
//
//   node bench/trace.mjs [--runs N] [--engines node,deno] [--verbs run,create,start,delete,exec]
//                        [--no-strace] [--no-save]
//   deno run -A bench/trace.mjs …
//
// The child (`--child OUT ROOT ARGS…`) imports no `node:` module itself: under Deno that alone
// would add ~30 ms that the real CLI does not pay.
const T_TOP = performance.now();
const isDeno = typeof globalThis.Deno !== "undefined";
const ARGV = isDeno ? [...globalThis.Deno.args] : globalThis.process.argv.slice(2);

if (ARGV[0] === "--child") await child(ARGV.slice(1));
else await parent(ARGV);

// ---- the child: one traced CLI invocation -------------------------------------------------------
async function child([out, root, ...cli]) {
  const now = () => performance.now();
  const marks = []; // [label, start, end]
  const events = []; // [name, start, end]
  const mark = (label, s) => marks.push([label, s, now()]);
  const base = new URL(isDeno ? "../host/" : "../dist/host/", import.meta.url).href;
  const ext = isDeno ? ".ts" : ".js";
  const mods = {};
  // Leaf modules first, so each import's time is that module's own cost.
  for (const m of ["rt", "core", "sys", "errors", "state", "log", "init", "hooks", "cgroups", "container", "commands"]) {
    const s = now();
    try {
      mods[m] = await import(base + m + ext);
      mark(`import ${m}`, s);
    } catch {
      // not in this version of the host
    }
  }
  const rt = mods.rt;

  // The wasm core: read, compile and instantiate here so the three are apart; V8 keeps the
  // compiled module, so loadCore's own compile is a cache hit.
  let s = now();
  const bytes = rt.readFile(mods.core.corePath());
  mark("wasm: read capsa-core.wasm", s);
  s = now();
  const mod = new WebAssembly.Module(bytes);
  mark("wasm: compile", s);
  s = now();
  new WebAssembly.Instance(mod, {});
  mark("wasm: instantiate", s);
  s = now();
  const core = mods.core.loadCore();
  mark("wasm: loadCore (cached compile + instantiate)", s);
  globalThis.__keep = mod;

  // The native library: the capsa.node addon under Node; under Deno the backend only, since
  // each symbol is bound with Deno.dlopen on its first call (counted in that call).
  s = now();
  const sys = await mods.sys.loadSys();
  mark(isDeno ? "ffi: Sys backend (Deno.dlopen per symbol, on first use)" : "ffi: require capsa.node (Node-API addon)", s);

  // Clocks on every Sys and core call. `label` may name the call after its arguments.
  const wrap = (obj, key, name, label) => {
    const orig = obj[key];
    obj[key] = function (...a) {
      const t = now();
      const done = (r) => events.push([label ? label.call(this, name, a, r) : name, t, now()]);
      let r;
      try {
        r = orig.apply(this, a);
      } catch (e) {
        done(undefined);
        throw e;
      }
      if (r && typeof r.then === "function") return r.then((v) => (done(v), v), (e) => { done(undefined); throw e; });
      done(r);
      return r;
    };
  };
  for (const k of Object.keys(sys)) if (typeof sys[k] === "function") wrap(sys, k, "sys." + k);
  {
    const orig = core.call;
    core.call = function (fn, input) {
      const t = now();
      try {
        return orig.call(this, fn, input);
      } finally {
        events.push(["core." + fn, t, now()]);
      }
    };
  }

  // File system calls, named after what they touch: node:fs (patched, then synced into its ESM
  // namespace) or Deno's.
  const bundleDir = cli.includes("--bundle") ? cli[cli.indexOf("--bundle") + 1] : "\0";
  const kind = (path) => {
    if (typeof path !== "string") return "other";
    if (path.startsWith("/sys/fs/cgroup")) return "cgroup";
    if (path.startsWith(root)) return "state";
    if (path.startsWith("/proc")) return "proc";
    if (path.startsWith(bundleDir)) return "bundle";
    return "other";
  };
  const byPath = (name, a) => `${name}[${kind(String(a[0] instanceof URL ? a[0].pathname : a[0]))}]`;
  const files = new Map(); // fd or FsFile → path
  const byFile = (name, a) => `${name}[${kind(files.get(a[0]))}]`;
  if (isDeno) {
    const D = globalThis.Deno;
    for (const k of ["readFileSync", "readTextFileSync", "writeFileSync", "writeTextFileSync", "mkdirSync", "removeSync", "renameSync", "lstatSync", "statSync", "realPathSync", "readDirSync", "readLinkSync"]) {
      try { if (typeof D[k] === "function") wrap(D, k, "fs." + k, byPath); } catch { /* read-only here */ }
    }
    try {
      wrap(D, "openSync", "fs.openSync", (name, a, r) => { if (r) files.set(r, String(a[0])); return byPath(name, a); });
    } catch { /* read-only here */ }
    for (const k of ["writeSync", "syncSync", "close"]) {
      try {
        if (typeof D.FsFile?.prototype[k] === "function") wrap(D.FsFile.prototype, k, "fs." + k, function (name) { return `${name}[${kind(files.get(this))}]`; });
      } catch { /* read-only here */ }
    }
  } else {
    const fs = (await import("node:fs")).default;
    for (const k of ["readFileSync", "writeFileSync", "renameSync", "mkdirSync", "rmSync", "lstatSync", "statSync", "realpathSync", "readdirSync", "readlinkSync", "existsSync"]) {
      if (typeof fs[k] === "function") wrap(fs, k, "fs." + k, byPath);
    }
    wrap(fs, "openSync", "fs.openSync", (name, a, r) => { if (typeof r === "number") files.set(r, String(a[0])); return byPath(name, a); });
    for (const k of ["writeSync", "fsyncSync", "closeSync"]) wrap(fs, k, "fs." + k.replace("fsyncSync", "syncSync"), byFile);
    (await import("node:module")).syncBuiltinESMExports();
  }

  s = now();
  let code = 0;
  if (cli[0] === "--noop") {
    // Everything above, then straight to exit: the fixed cost of any verb.
    mark("main", s);
    rt.writeText(out, JSON.stringify({ timeOrigin: performance.timeOrigin, top: T_TOP, marks, events, extra: [], code, done: now() }));
    rt.exit(0);
  }
  // As the CLI (host/cli.ts): commands that place a process in cgroups start the primer first,
  // from the memo in the state root when it holds.
  if (["run", "create", "exec"].includes(cli[0]) && mods.cgroups.primeEarly) {
    const t = now();
    mods.cgroups.primeEarly(sys, root);
    events.push(["cgroups.primeEarly", t, now()]);
  }
  try {
    code = await mods.commands.main(["--root", root, ...cli]);
  } catch (e) {
    rt.writeErr(`trace: ${e?.stack ?? e}\n`);
    code = 1;
  }
  mark("main", s);

  // Apart from the timeline: what the host's own file work costs (cgroups, state.json).
  const extraStart = now();
  const extra = [];
  const bi = cli.indexOf("--bundle");
  if (cli[0] === "run" && bi >= 0 && mods.cgroups?.planCgroups) {
    try {
      const config = JSON.parse(rt.readText(cli[bi + 1] + "/config.json"));
      const id = `trace-cg-${rt.pid()}`;
      let t = now();
      const p = mods.cgroups.planCgroups(id, config);
      extra.push(["cgroups: plan (core)", t, now()]);
      t = now();
      const st = mods.cgroups.applyCgroups(p.plan, p.bpf);
      extra.push(["cgroups: create + write", t, now()]);
      t = now();
      mods.cgroups.removeCgroups(st);
      extra.push(["cgroups: remove", t, now()]);
    } catch (e) {
      extra.push([`cgroups: failed (${e?.message ?? e})`, 0, 0]);
    }
    try {
      const f = `${root}/trace-state-${rt.pid()}.json`;
      const text = rt.readText(cli[bi + 1] + "/config.json");
      const t = now();
      rt.writeAtomic(f, text);
      extra.push(["state.json: write + rename", t, now()]);
      rt.remove(f);
    } catch { /* not measurable */ }
  }
  const apart = now() - extraStart;
  rt.writeText(out, JSON.stringify({ timeOrigin: performance.timeOrigin, top: T_TOP, marks, events, extra, apart, code, done: now() }));
  rt.exit(code);
}

// ---- the parent ---------------------------------------------------------------------------------
async function parent(argv) {
  const { spawnSync } = await import("node:child_process");
  const fs = await import("node:fs");
  const { join, dirname } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const process = (await import("node:process")).default;
  const { makeBundle, makeSleepBundle } = await import("./lib/bundle.mjs");
  const { Runner, sleepSync } = await import("./lib/proc.mjs");
  const { summarize, round } = await import("./lib/stats.mjs");

  const self = fileURLToPath(import.meta.url);
  const here = dirname(self);
  const repo = join(here, "..");
  const opt = { runs: 15, engines: ["node", "deno"], verbs: ["noop", "run", "create", "start", "delete", "exec"], strace: true, save: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") opt.runs = Math.max(1, Number(argv[++i]) || 1);
    else if (a === "--engines") opt.engines = argv[++i].split(",");
    else if (a === "--verbs") opt.verbs = argv[++i].split(",");
    else if (a === "--no-strace") opt.strace = false;
    else if (a === "--no-save") opt.save = false;
    else {
      console.error(`trace: unknown argument ${a}`);
      return exitWith(2);
    }
  }
  function exitWith(c) {
    if (isDeno) globalThis.Deno.exit(c);
    process.exit(c);
  }
  if (process.getuid() !== 0) {
    console.error("trace: run as root");
    return exitWith(2);
  }
  if (isDeno) globalThis.Deno.env.delete("NODE_EXTRA_CA_CERTS");
  delete process.env.NODE_EXTRA_CA_CERTS;

  const which = (n) => (process.env.PATH ?? "").split(":").map((d) => join(d, n)).find((p) => fs.existsSync(p)) ?? null;
  const denoBin = process.env.CAPSA_DENO ||
    [...fs.readdirSync(join(repo, "node_modules/@deno"), { withFileTypes: true }).filter((d) => d.name.startsWith("linux-")).map((d) => join(repo, "node_modules/@deno", d.name, "deno")),
      join(repo, "node_modules/deno/deno")].find((p) => fs.existsSync(p)) || which("deno");
  const nodeBin = which("node");
  const engines = { node: nodeBin && [nodeBin, self], deno: denoBin && [denoBin, "run", "-A", "--quiet", "--no-config", "--no-lock", self] };

  let interrupted = false;
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { interrupted = true; });

  const work = fs.mkdtempSync("/tmp/capsa-trace-");
  const root = join(work, "state");
  const bundle = join(work, "bundle");
  const bundleSleep = join(work, "bundle-sleep");
  const capsaNode = [join(repo, "bin/capsa")];
  const result = { timestamp: new Date().toISOString(), runs: opt.runs, entry: {}, traces: {}, strace: null };
  try {
    fs.mkdirSync(root, { recursive: true });
    const config = makeBundle(bundle, capsaNode);
    makeSleepBundle(bundleSleep, config, join(bundle, "rootfs"));
    const runner = new Runner(work);

    // Entry points: the wrappers in bin/ against the engine started on the entry file directly.
    const entry = {
      "node -e 0": [nodeBin, "-e", "0"],
      "node dist/host/cli.js --version (unbundled)": [nodeBin, join(repo, "dist/host/cli.js"), "--version"],
      "node dist/capsa-cli.cjs --version": [nodeBin, join(repo, "dist/capsa-cli.cjs"), "--version"],
      "bin/capsa --version (env + node)": [join(repo, "bin/capsa"), "--version"],
      "deno run (empty file)": [denoBin, "run", "-A", "--quiet", "--no-config", "--no-lock", join(work, "empty.mjs")],
      "deno run host/cli.ts --version (unbundled)": [denoBin, "run", "-A", "--quiet", "--no-config", "--no-lock", join(repo, "host/cli.ts"), "--version"],
      "deno run dist/capsa-deno.mjs --version": [denoBin, "run", "-A", "--quiet", "--no-config", "--no-lock", join(repo, "dist/capsa-deno.mjs"), "--version"],
      "bin/capsa-deno --version (sh + deno)": [join(repo, "bin/capsa-deno"), "--version"],
    };
    fs.writeFileSync(join(work, "empty.mjs"), "");
    const entrySamples = Object.fromEntries(Object.keys(entry).map((k) => [k, []]));
    for (let i = -2; i < opt.runs; i++) {
      for (const [k, a] of Object.entries(entry)) {
        const r = runner.run(a);
        if (r.ok && i >= 0) entrySamples[k].push(r.wallMs);
      }
    }
    for (const [k, xs] of Object.entries(entrySamples)) result.entry[k] = summarize(xs);

    // One traced CLI call: spawn → child marks → exit, all on the epoch clock.
    const outFile = join(work, "trace.json");
    const errFile = join(work, "trace-stderr.txt");
    const traceOnce = (engine, cli) => {
      try { fs.rmSync(outFile, { force: true }); } catch { /* none */ }
      const errFd = fs.openSync(errFile, "w");
      const t0 = performance.timeOrigin + performance.now();
      const r = spawnSync(engines[engine][0], [...engines[engine].slice(1), "--child", outFile, root, ...cli], { stdio: ["ignore", "ignore", errFd] });
      const t1 = performance.timeOrigin + performance.now();
      fs.closeSync(errFd);
      if (r.status !== 0 || !fs.existsSync(outFile)) {
        throw new Error(`${engine} ${cli.join(" ")}: exit ${r.status}: ${fs.readFileSync(errFile, "utf8").trim()}`);
      }
      const d = JSON.parse(fs.readFileSync(outFile, "utf8"));
      return { spawn: t0, exit: t1, ...d };
    };

    const waitStopped = (id) => {
      const st = JSON.parse(fs.readFileSync(join(root, id, "state.json"), "utf8"));
      for (let i = 0; i < 10000; i++) {
        let stat;
        try { stat = fs.readFileSync(`/proc/${st.init_process_pid}/stat`, "utf8"); } catch { return; }
        const s = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        if (s === "Z" || s === "X") return;
        sleepSync(1);
      }
      throw new Error(`${id}'s init did not stop`);
    };

    const all = {};
    for (const e of Object.keys(engines)) if (opt.engines.includes(e) && engines[e]) all[e] = Object.fromEntries(opt.verbs.map((v) => [v, []]));
    const wantExec = opt.verbs.includes("exec");
    if (wantExec) {
      if (capsa("create", "--bundle", bundleSleep, "x") !== 0 || capsa("start", "x") !== 0) throw new Error("cannot start the exec container");
    }
    for (let i = -1; i < opt.runs && !interrupted; i++) {
      for (const e of Object.keys(all)) {
        const keep = (v, t) => { if (i >= 0 && all[e][v]) all[e][v].push(t); };
        if (opt.verbs.includes("noop")) keep("noop", traceOnce(e, ["--noop"]));
        if (opt.verbs.includes("run")) keep("run", traceOnce(e, ["run", "--bundle", bundle, `r${i}`]));
        if (opt.verbs.some((v) => v === "create" || v === "start" || v === "delete")) {
          const id = `c${i}`;
          keep("create", traceOnce(e, ["create", "--bundle", bundle, id]));
          keep("start", traceOnce(e, ["start", id]));
          waitStopped(id);
          keep("delete", traceOnce(e, ["delete", id]));
        }
        if (wantExec) keep("exec", traceOnce(e, ["exec", "x", "/bin/true"]));
      }
    }
    if (wantExec) capsa("delete", "--force", "x");
    for (const [e, verbs] of Object.entries(all)) {
      result.traces[e] = {};
      for (const [v, list] of Object.entries(verbs)) if (list.length) result.traces[e][v] = analyse(list);
    }
    if (opt.strace && which("strace")) result.strace = straceInit(which("strace"), work, root, bundle, capsaNode);
    print(result);
    if (opt.save) {
      const dir = join(here, "results");
      fs.mkdirSync(dir, { recursive: true });
      const file = join(dir, `trace-${result.timestamp.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.json`);
      // Medians only, to keep the file small.
      const slim = { ...result, entry: Object.fromEntries(Object.entries(result.entry).map(([k, s]) => [k, s?.median ?? null])), traces: {} };
      for (const [e, verbs] of Object.entries(result.traces)) {
        slim.traces[e] = {};
        for (const [v, a] of Object.entries(verbs)) {
          const med = (o) => Object.fromEntries(Object.entries(o).filter(([k, s]) => s.median >= 0.1 || k.startsWith("total")).map(([k, s]) => [k, round(s.median, 2)]));
          slim.traces[e][v] = { n: a.n, phases: med(a.phases), steps: med(a.steps) };
        }
      }
      fs.writeFileSync(file, JSON.stringify(slim, null, 1) + "\n");
      console.log(`\nwrote ${file.slice(repo.length + 1)}`);
    }
  } finally {
    for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) capsa("delete", "--force", id);
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (interrupted) exitWith(130);

  function capsa(...a) {
    return spawnSync(capsaNode[0], ["--root", root, ...a], { stdio: "ignore" }).status;
  }

  /** Medians of each step over a verb's traces, in timeline order, grouped into phases. */
  function analyse(list) {
    const rows = new Map(); // key → samples
    const add = (k, v) => { if (!rows.has(k)) rows.set(k, []); rows.get(k).push(v); };
    const phases = new Map();
    const addPhase = (k, v) => { phases.set(k, (phases.get(k) ?? 0) + v); };
    const phaseRows = new Map();
    for (const t of list) {
      phases.clear();
      const pre = t.timeOrigin - t.spawn;
      add("exec → JS clock origin (process start; ~½ of the harness's spawn cost)", pre);
      add("engine bootstrap → trace.mjs runs", t.top);
      addPhase("JS engine start", pre + t.top);
      for (const [label, s, e] of t.marks) {
        if (label === "main") continue;
        add(label, e - s);
        addPhase(label.startsWith("import ") ? "module loading" : label.startsWith("wasm") ? "wasm read + compile + instantiate" : label.startsWith("ffi") ? "FFI load" : "other", e - s);
      }
      const main = t.marks.find((m) => m[0] === "main");
      const counts = new Map();
      let covered = 0;
      for (const [name, s, e] of t.events) {
        if (s < main[1] || e > main[2]) continue;
        if (name === "sys.cgroupPrimeAsync") {
          // Runs on a worker thread alongside the steps (primeCgroupMoves): shown, not summed.
          add(`(background) ${name}`, e - s);
          continue;
        }
        const n = (counts.get(name) ?? 0) + 1;
        counts.set(name, n);
        add(`main: ${name}#${n}`, e - s);
        covered += e - s;
        addPhase(phaseOf(name), e - s);
      }
      add("main: JS between those calls (argument parsing, JSON, awaits)", main[2] - main[1] - covered);
      addPhase("host JS between calls (JSON, awaits, logic)", main[2] - main[1] - covered);
      add("main (total)", main[2] - main[1]);
      for (const [label, s, e] of t.extra ?? []) add(`(apart) ${label}`, e - s);
      const post = t.exit - (t.timeOrigin + t.done);
      add("exit → parent sees it (~½ of the harness's spawn cost)", post);
      addPhase("process exit", post);
      add("total (spawn → exit, harness clock, less the apart measurements)", t.exit - t.spawn - (t.apart ?? 0));
      for (const [k, v] of phases) {
        if (!phaseRows.has(k)) phaseRows.set(k, []);
        phaseRows.get(k).push(v);
      }
    }
    const steps = [...rows].map(([k, xs]) => [k, summarize(xs)]).filter(([, s]) => s);
    const ph = [...phaseRows].map(([k, xs]) => [k, summarize(xs)]);
    return { n: list.length, phases: Object.fromEntries(ph), steps: Object.fromEntries(steps) };
  }

  function phaseOf(name) {
    if (name.startsWith("fs.syncSync")) return "fsync of state.json";
    if (name.startsWith("fs.") && name.endsWith("[cgroup]")) return "cgroup files (mkdir, write limits, place the init, rmdir)";
    if (name.startsWith("fs.")) return "other file I/O (config, state dir, /proc)";
    if (name === "core.plan") return "validate + plan (core)";
    if (name.startsWith("core.")) return "other core calls (status, cgroups, tables, check)";
    if (["sys.spawn", "sys.initFd", "sys.socketpair"].includes(name)) return "clone + exec of capsa-init";
    if (["sys.readAsync", "sys.write"].includes(name)) return "init program (kernel namespace/mount work) + sync round trips";
    if (["sys.open", "sys.poll", "sys.read", "sys.mkfifo"].includes(name)) return "exec fifo";
    if (["sys.waitAsync", "sys.wait"].includes(name)) return "waits (process runs, exits, reaped)";
    return "other Sys calls (flock, close, kill, pidfd)";
  }

  /** strace of one `capsa run`: the init's system calls, by kind, and the spans between them. */
  function straceInit(strace, work, root, bundle, capsaNode) {
    const file = join(work, "strace.txt");
    const r = spawnSync(strace, ["-f", "-ttt", "-T", "-qq", "-o", file, capsaNode[0], "--root", root, "run", "--bundle", bundle, "st"], { stdio: "ignore" });
    if (r.status !== 0) return { error: `strace exit ${r.status}` };
    const lines = fs.readFileSync(file, "utf8").split("\n");
    // pid → [{t, call, dur, text}]
    const byPid = new Map();
    const pending = new Map();
    for (const line of lines) {
      const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const [, pid, ts, rest] = m;
      let text = rest;
      let t = Number(ts) * 1000;
      if (/<unfinished \.\.\.>$/.test(text)) { pending.set(pid, [text.replace(/\s*<unfinished \.\.\.>$/, ""), t]); continue; }
      const res = /^<\.\.\. (\w+) resumed>(.*)$/.exec(text);
      if (res) {
        const p = pending.get(pid);
        text = (p?.[0] ?? res[1] + "(") + res[2];
        if (p) t = p[1];
        pending.delete(pid);
      }
      const call = /^(\w+)\(/.exec(text)?.[1];
      if (!call) continue;
      const dur = Number(/<(\d+\.\d+)>$/.exec(text)?.[1] ?? 0) * 1000;
      if (!byPid.has(pid)) byPid.set(pid, []);
      byPid.get(pid).push({ t, call, dur, text });
    }
    // The init: the process that execveat'd capsa-init.
    let initPid = null;
    for (const [pid, calls] of byPid) if (calls.some((c) => c.call === "execveat")) initPid = pid;
    if (!initPid) return { error: "no execveat of capsa-init in the trace" };
    const calls = byPid.get(initPid);
    const idx = (pred, from = 0) => { for (let i = from; i < calls.length; i++) if (pred(calls[i])) return i; return -1; };
    const iExec = idx((c) => c.call === "execveat");
    const iRecv = idx((c) => c.call === "recvfrom", iExec);
    const iTrue = idx((c) => c.call === "execve", iExec + 1);
    // `run` starts the process at the end of the program (no READY, no fifo) unless
    // startContainer hooks must run first; `create` reports READY and waits on the fifo.
    const iReady = iRecv >= 0 ? idx((c) => c.call === "sendto", iRecv + 1) : -1;
    const fifo = iReady >= 0 && (iTrue < 0 || iReady < iTrue);
    const iFifo = fifo ? idx((c) => c.call === "openat" && /O_WRONLY\|O_CLOEXEC\)/.test(c.text), iReady) : -1;
    const iEnd = fifo ? iReady : iTrue;
    const end = (i) => calls[i].t + calls[i].dur;
    const span = (a, b) => (a >= 0 && b >= 0 ? round(b - a, 3) : null);
    const program = iRecv >= 0 && iEnd >= 0 ? calls.slice(iRecv + 1, iEnd) : [];
    const kinds = {};
    for (const c of program) kinds[c.call] = (kinds[c.call] ?? 0) + 1;
    let clone = null;
    let runtimeCalls = 0;
    const runtimeKinds = {};
    for (const [pid, cs] of byPid) {
      if (pid === initPid) continue;
      for (const c of cs) {
        runtimeCalls++;
        runtimeKinds[c.call] = (runtimeKinds[c.call] ?? 0) + 1;
        if (c.call === "clone3" && /CLONE_NEW/.test(c.text)) clone = round(c.dur, 3);
      }
    }
    return {
      note: "every span is inflated by strace (tens of µs per system call); read the counts, and the untraced timings above for durations",
      spans: {
        "clone3 with the namespace flags (the runtime's call, until capsa-init is exec'd)": clone,
        "capsa-init start → program received (the runtime places the cgroup, sends the program)": iRecv >= 0 ? span(end(iExec), end(iRecv)) : null,
        "program: cgroups, namespaces, mounts, devices, pivot_root, caps (until READY, or the execve)": iEnd >= 0 ? span(end(iRecv), calls[iEnd].t) : null,
        "READY → the runtime opens exec.fifo (only with the fifo)": iFifo >= 0 ? span(calls[iReady].t, end(iFifo)) : null,
        "fifo opened → execve(/bin/true) (only with the fifo)": iTrue >= 0 && iFifo >= 0 ? span(end(iFifo), calls[iTrue].t) : null,
        "/bin/true runs and exits": iTrue >= 0 ? span(calls[iTrue].t, calls[calls.length - 1].t) : null,
      },
      initSyscalls: calls.length,
      programSyscalls: program.length,
      programByKind: Object.fromEntries(Object.entries(kinds).sort((x, y) => y[1] - x[1])),
      runtimeSyscalls: runtimeCalls,
      runtimeByKind: Object.fromEntries(Object.entries(runtimeKinds).sort((x, y) => y[1] - x[1]).slice(0, 15)),
    };
  }

  function print(res) {
    const f = (x) => (x === null || x === undefined ? "—" : x.toFixed(2));
    console.log(`\nentry points (ms, median of ${opt.runs}):`);
    for (const [k, s] of Object.entries(res.entry)) if (s) console.log(`  ${k.padEnd(42)} ${f(s.median).padStart(8)}`);
    for (const [e, verbs] of Object.entries(res.traces)) {
      for (const [v, a] of Object.entries(verbs)) {
        console.log(`\n${e}: capsa ${v} — phases (ms, median of ${a.n}; medians do not add up exactly)`);
        const ph = Object.entries(a.phases).sort((x, y) => y[1].median - x[1].median);
        for (const [k, s] of ph) console.log(`  ${f(s.median).padStart(8)}  ${k}`);
        console.log(`  ${f(a.steps["total (spawn → exit, harness clock, less the apart measurements)"]?.median).padStart(8)}  total`);
        if (v === "run" || v === "start" || v === "delete" || v === "exec") {
          console.log(`  steps:`);
          for (const [k, s] of Object.entries(a.steps)) if (s.median >= 0.1 || k.startsWith("total")) console.log(`    ${f(s.median).padStart(8)}  ${k}`);
        }
      }
    }
    if (res.strace?.error) console.log(`\nstrace: ${res.strace.error}`);
    else if (res.strace) {
      const st = res.strace;
      console.log(`\nstrace -f of one \`capsa run\` (Node) — ${st.note}:`);
      for (const [k, v] of Object.entries(st.spans)) console.log(`  ${f(v).padStart(8)}  ${k}`);
      const top = (o) => Object.entries(o).slice(0, 12).map(([k, n]) => `${k} ${n}`).join(", ");
      console.log(`  the init made ${st.initSyscalls} system calls, ${st.programSyscalls} of them for the program: ${top(st.programByKind)}`);
      console.log(`  the runtime (all its threads) made ${st.runtimeSyscalls}: ${top(st.runtimeByKind)}`);
    }
  }
}
