// containerd drives capsa as its OCI runtime through the runc shim (containerd-shim-runc-v2):
// `ctr run --runc-binary bin/capsa` (BinaryName; under Deno, bin/capsa-deno), and capsa as the
// shim's default `runc` on PATH for `ctr containers create` + `ctr tasks start`. The shim calls
// capsa with runc's argv: `--root … --log …/log.json --log-format json create --bundle …
// --pid-file … ID`, start, exec --process --detach --pid-file, kill, pause, resume,
// ps --format json, delete [--force]. containerd runs on a private socket, root and state dir.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, readdirSync, symlinkSync, cpSync, openSync, closeSync, rmdirSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { bin, sharedRootfs, leaks, isDeno, RUNTIME_MEMO } from "../lib/capsa.mjs";
import { which, sh, shAsync, cgroupDir, childCgroups, removeCgroupTree, processesWith, mountsWith, until, sleep } from "./clients.mjs";

const containerdBin = which("containerd");
const ctrBin = which("ctr");
const shimBin = which("containerd-shim-runc-v2");
if (!containerdBin || !ctrBin || !shimBin) {
  const missing = [!containerdBin && "containerd", !ctrBin && "ctr", !shimBin && "containerd-shim-runc-v2"].filter(Boolean).join(", ");
  const why = `${missing} not installed (apt-get install containerd): the containerd suite cannot run`;
  console.log(why);
  test("containerd is absent, and that was detected", () => {
    assert.ok(!containerdBin || !ctrBin || !shimBin, why);
  });
  test.run();
} else {
  suite();
}

function suite() {
  const base = `/tmp/capsa-test-containerd-${process.pid}`;
  const sock = join(base, "c.sock");
  const ns = `capsatest${process.pid}`;
  const rootfs = join(base, "rootfs");
  const runcRoot = join(base, "runc-root");
  const binDir = join(base, "bin");
  // The shim's default root for containers without runtime options (ctr containers create).
  const defaultRuncRoot = `/run/containerd/runc/${ns}`;
  // ctr keeps a process's stdio fifos in --fifo-dir (default /run/containerd/fifo) and leaves
  // a detached exec's behind: the suite's own dir takes them.
  const F = ["--fifo-dir", join(base, "fifo")];
  const R = ["--runc-binary", bin, "--runc-root", runcRoot, ...F];
  // The shim's sockets live in /run/containerd/s whatever the config says.
  const hadRunContainerd = existsSync("/run/containerd");
  let daemon = null;
  let daemonExit = null;

  const ctr = (args, opts = {}) => sh(ctrBin, ["--address", sock, "--namespace", ns, ...args], { ...opts, env: { PATH: `${binDir}:${process.env.PATH}` } });
  const ok = (r, what) => {
    assert.is(r.status, 0, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
    return r.stdout;
  };
  const tasks = () => {
    const out = {};
    for (const line of ctr(["tasks", "ls"]).stdout.split("\n").slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id) out[id] = { pid: Number(pid), status };
    }
    return out;
  };
  const ids = [];
  const id = (n) => { const v = `${n}-${process.pid}`; ids.push(v); return v; };
  /** A spec from `ctr oci spec`, on the suite's rootfs, edited by `edit`. */
  const specFile = (name, edit) => {
    const s = JSON.parse(ok(ctr(["oci", "spec"]), "oci spec"));
    s.root = { path: rootfs, readonly: false };
    s.process.terminal = false;
    edit(s);
    const p = join(base, `${name}.json`);
    writeFileSync(p, JSON.stringify(s));
    return p;
  };

  test.before(async () => {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(binDir, { recursive: true });
    cpSync(sharedRootfs, rootfs, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(rootfs, "start.sh"), "echo started; exit 4\n");
    symlinkSync(bin, join(binDir, "runc"));
    writeFileSync(join(base, "config.toml"), [
      "version = 2",
      `root = "${base}/root"`,
      `state = "${base}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]',
      "[grpc]", `  address = "${sock}"`,
      "[ttrpc]", `  address = "${sock}.ttrpc"`,
      "[debug]", `  address = "${base}/debug.sock"`, '  level = "info"',
      "[metrics]", '  address = ""',
      "",
    ].join("\n"));
    const log = openSync(join(base, "containerd.log"), "w");
    const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}` };
    delete env.NODE_EXTRA_CA_CERTS;
    daemon = spawn(containerdBin, ["--config", join(base, "config.toml")], { env, stdio: ["ignore", log, log] });
    closeSync(log);
    daemon.on("exit", (code, sig) => { daemonExit = sig ?? code; });
    const up = await until(() => daemonExit === null && existsSync(sock) && ctr(["version"]).status === 0, 20_000);
    assert.ok(up, "containerd starts: " + readFileSync(join(base, "containerd.log"), "utf8").slice(-2000));
  });

  const stopDaemon = async () => {
    if (daemon && daemonExit === null) {
      daemon.kill("SIGTERM");
      if (!(await until(() => daemonExit !== null, 10_000))) daemon.kill("SIGKILL");
      await until(() => daemonExit !== null, 5_000);
    }
    daemon = null;
  };
  const cleanup = async () => {
    for (const t of Object.keys(tasks())) ctr(["tasks", "kill", "-a", "-s", "KILL", t]);
    await until(() => Object.values(tasks()).every((t) => t.status === "STOPPED"), 5_000);
    for (const t of Object.keys(tasks())) ctr(["tasks", "rm", "-f", t]);
    for (const c of ctr(["containers", "ls", "-q"]).stdout.split("\n").filter(Boolean)) ctr(["containers", "rm", c]);
    const left = ctr(["containers", "ls", "-q"]).stdout.trim();
    await stopDaemon();
    // containerd-shim-runc-v2 and capsa both exit once their containers are gone.
    await until(() => processesWith(base).length === 0, 5_000);
    const cgroups = childCgroups(ns);
    removeCgroupTree(ns);
    const states = [join(runcRoot, ns), defaultRuncRoot].flatMap((d) => existsSync(d) ? readdirSync(d).filter((e) => e !== RUNTIME_MEMO).map((e) => join(d, e)) : []);
    try { rmdirSync(defaultRuncRoot); } catch { /* never made */ }
    if (!hadRunContainerd) {
      for (const d of ["runc", "s", "fifo", ""]) {
        try { rmdirSync(join("/run/containerd", d)); } catch { /* not empty: reported below */ }
      }
    }
    const runDirs = hadRunContainerd || !existsSync("/run/containerd") ? [] : ["/run/containerd: " + readdirSync("/run/containerd").join(" ")];
    const procs = processesWith(base);
    const mounts = mountsWith(base);
    rmSync(base, { recursive: true, force: true });
    return { left, cgroups, states: [...states, ...runDirs], procs, mounts };
  };
  test.after(async () => { if (existsSync(base)) await cleanup(); });

  test(`containerd ${isDeno ? "(capsa under Deno)" : "(capsa under Node)"}: a command's output and exit code`, () => {
    const r = ctr(["run", "--rm", ...R, "--rootfs", rootfs, id("out"), "/bin/sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.is(r.status, 7, r.stderr);
    assert.is(r.stdout, "out\n");
    assert.match(r.stderr, "err");
    assert.is(ok(ctr(["run", "--rm", ...R, "--rootfs", rootfs, id("echo"), "/bin/echo", "hello from capsa"]), "run echo"), "hello from capsa\n");
  });

  test("containerd: stdin reaches the container", async () => {
    const t = id("stdin");
    const p = shAsync(ctrBin, ["--address", sock, "--namespace", ns, "run", "--rm", ...R, "--rootfs", rootfs, t, "/bin/tr", "a-z", "A-Z"]);
    // ctr closes the task's stdin on end of file only once its task has started.
    assert.ok(await until(() => tasks()[t]?.status === "RUNNING"), "the task runs");
    await sleep(200);
    p.child.stdin.end("piped through\n");
    const r = await p.done;
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, "PIPED THROUGH\n");
  });

  test("containerd: env, cwd and user", () => {
    const out = ok(ctr(["run", "--rm", ...R, "--env", "GREETING=hi there", "--cwd", "/tmp", "--rootfs", rootfs, id("env"), "/bin/sh", "-c", 'echo "$GREETING"; pwd']), "run --env --cwd");
    assert.is(out, "hi there\n/tmp\n");
    const spec = specFile("user", (s) => {
      s.process.args = ["/bin/sh", "-c", "id -u; id -g"];
      s.process.user = { uid: 65534, gid: 65534 };
      s.linux.cgroupsPath = `/${ns}/user`;
    });
    assert.is(ok(ctr(["run", "--rm", ...R, "--config", spec, id("user")]), "run --config (user)"), "65534\n65534\n");
  });

  test("containerd: a read-only rootfs", () => {
    const r = ctr(["run", "--rm", ...R, "--read-only", "--rootfs", rootfs, id("ro"), "/bin/sh", "-c", "touch /probe 2>&1; echo rc=$?"]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /rc=1/);
    assert.not.ok(existsSync(join(rootfs, "probe")));
  });

  test("containerd: a bind-mounted volume, read and written", () => {
    const vol = join(base, "vol");
    mkdirSync(vol);
    writeFileSync(join(vol, "in"), "from the host\n");
    const out = ok(ctr(["run", "--rm", ...R, "--mount", `type=bind,src=${vol},dst=/data,options=rbind:rw`, "--rootfs", rootfs, id("vol"), "/bin/sh", "-c", "cat /data/in; echo from the container > /data/out"]), "run --mount");
    assert.is(out, "from the host\n");
    assert.is(readFileSync(join(vol, "out"), "utf8"), "from the container\n");
  });

  test("containerd: a memory limit (--memory-limit) and a pids limit (from the spec) in the cgroups", async () => {
    const m = id("mem");
    ok(ctr(["run", "-d", ...R, "--memory-limit", String(64 * 1024 * 1024), "--rootfs", rootfs, m, "/bin/sleep", "1000"]), "run -d --memory-limit");
    const mt = tasks()[m];
    assert.is(mt?.status, "RUNNING");
    const mem = cgroupDir(mt.pid, "memory");
    assert.is(mem, `/sys/fs/cgroup/memory/${ns}/${m}`);
    assert.is(readFileSync(join(mem, "memory.limit_in_bytes"), "utf8").trim(), String(64 * 1024 * 1024));

    const p = id("pids");
    const spec = specFile("pids", (s) => {
      s.process.args = ["/bin/sleep", "1000"];
      s.linux.resources = { ...(s.linux.resources ?? {}), pids: { limit: 42 } };
      s.linux.cgroupsPath = `/${ns}/${p}`;
    });
    ok(ctr(["run", "-d", ...R, "--config", spec, p]), "run -d --config (pids)");
    const pt = tasks()[p];
    assert.is(pt?.status, "RUNNING");
    assert.is(readFileSync(join(cgroupDir(pt.pid, "pids"), "pids.max"), "utf8").trim(), "42");

    for (const t of [m, p]) {
      ok(ctr(["tasks", "kill", "-s", "KILL", t]), "kill");
      assert.ok(await until(() => tasks()[t]?.status === "STOPPED"), "stopped");
      ok(ctr(["tasks", "rm", t]), "tasks rm");
      ok(ctr(["containers", "rm", t]), "containers rm");
    }
    assert.not.ok(existsSync(mem), "the cgroup is gone with the task");
  });

  test("containerd: detached run, exec, pause, resume, ps, kill --all, rm", async () => {
    const t = id("detached");
    ok(ctr(["run", "-d", ...R, "--rootfs", rootfs, t, "/bin/sh", "-c", "sleep 1000 & sleep 1000"]), "run -d");
    assert.is(tasks()[t]?.status, "RUNNING");
    assert.ok(existsSync(join(runcRoot, ns, t, "state.json")), "capsa's state is under the shim's --root");

    const ex = ctr(["tasks", "exec", "--exec-id", "e1", ...F, "--cwd", "/tmp", t, "/bin/sh", "-c", 'echo "exec $(pwd)"; exit 3']);
    assert.is(ex.status, 3, ex.stderr);
    assert.is(ex.stdout, "exec /tmp\n");

    ok(ctr(["tasks", "pause", t]), "pause");
    assert.is(tasks()[t]?.status, "PAUSED");
    ok(ctr(["tasks", "resume", t]), "resume");
    assert.is(tasks()[t]?.status, "RUNNING");

    ok(ctr(["tasks", "exec", "-d", "--exec-id", "e2", ...F, t, "/bin/sleep", "1001"]), "exec -d");
    const ps = ok(ctr(["tasks", "ps", t]), "ps");
    const pids = ps.split("\n").slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter(Boolean);
    assert.ok(pids.length >= 3, `ps lists the init (sh exec'd its last sleep), the background sleep and the exec: ${ps}`);
    assert.ok(pids.includes(tasks()[t].pid), "ps lists the init");
    assert.match(ps, /ExecID:e2/);

    ok(ctr(["tasks", "kill", "--all", "-s", "KILL", t]), "kill --all");
    assert.ok(await until(() => tasks()[t]?.status === "STOPPED"), "stopped");
    for (const pid of pids) assert.not.ok(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("/bin/sleep"), `pid ${pid} is gone`);
    ok(ctr(["tasks", "rm", t]), "tasks rm");
    ok(ctr(["containers", "rm", t]), "containers rm");
    assert.not.ok(existsSync(join(runcRoot, ns, t)), "capsa's state is gone");
  });

  test("containerd: the exit code of a killed task (137 for KILL, the handler's for TERM)", async () => {
    for (const [sig, script, want] of [["KILL", "sleep 1000", 137], ["TERM", "trap 'exit 42' TERM; while :; do sleep 0.1; done", 42]]) {
      const t = id(`kill${sig}`);
      const p = shAsync(ctrBin, ["--address", sock, "--namespace", ns, "run", "--rm", ...R, "--rootfs", rootfs, t, "/bin/sh", "-c", script]);
      assert.ok(await until(() => tasks()[t]?.status === "RUNNING"), "the task runs");
      await sleep(300);
      ok(ctr(["tasks", "kill", "-s", sig, t]), `kill -s ${sig}`);
      const r = await p.done;
      assert.is(r.status, want, `${sig}: ${r.stderr}`);
    }
  });

  test("containerd: containers create, then tasks start (capsa as the shim's default runc)", () => {
    const c = id("created");
    ok(ctr(["containers", "create", "--rootfs", rootfs, c, "/bin/sh", "/start.sh"]), "containers create");
    const r = ctr(["tasks", "start", ...F, c]);
    assert.is(r.status, 4, r.stderr);
    assert.is(r.stdout, "started\n");
    // ctr tasks start deletes the task once it has exited.
    ok(ctr(["containers", "rm", c]), "containers rm");
    assert.not.ok(existsSync(join(defaultRuncRoot, c)), "capsa's state is gone");
  });

  test("containerd: a terminal (-t) through the shim's console socket", () => {
    const cmd = [ctrBin, "--address", sock, "--namespace", ns, "run", "--rm", "-t", ...R, "--rootfs", rootfs, id("tty"), "/bin/sh", "-c", "tty; exit 6"]
      .map((a) => `'${a}'`).join(" ");
    const r = sh("script", ["-qec", cmd, "/dev/null"]);
    assert.is(r.status, 6, r.stderr + r.stdout);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
  });

  test("containerd: capsa's error reaches containerd through the json log", () => {
    const spec = specFile("badcwd", (s) => {
      s.process.args = ["/bin/true"];
      s.process.cwd = "relative";
      s.linux.cgroupsPath = `/${ns}/badcwd`;
    });
    const c = id("badcwd");
    const r = ctr(["run", "--rm", ...R, "--config", spec, c]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /OCI runtime create failed: .*process\.cwd\.relative/);
    assert.not.ok(ctr(["containers", "ls", "-q"]).stdout.split("\n").includes(c), "ctr run --rm removed it");
    assert.not.ok(existsSync(join(runcRoot, ns, c)), "no capsa state");
  });

  test("containerd: a missing executable fails create with runc's message", () => {
    const c = id("missing");
    const r = ctr(["run", "--rm", ...R, "--rootfs", rootfs, c, "no-such-command"]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /OCI runtime create failed: .*exec: "no-such-command": executable file not found in \$PATH/);
  });

  test("containerd: nothing is left behind (tasks, containers, cgroups, processes, mounts, state)", async () => {
    const { left, cgroups, states, procs, mounts } = await cleanup();
    assert.is(left, "", "no containers left in containerd");
    assert.equal(cgroups, [], "no container cgroups left");
    assert.equal(states, [], "no capsa state left");
    assert.equal(procs, [], "no processes left");
    assert.equal(mounts, [], "no mounts left");
    assert.equal(leaks(), [], "nothing leaks");
  });

  test.run();
}
