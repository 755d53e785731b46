// podman drives capsa as its OCI runtime (`podman --runtime bin/capsa`; under Deno,
// bin/capsa-deno): conmon calls create, start, exec --process --detach, kill, pause, resume,
// ps and delete --force with runc's argv. Storage, runroot and capsa's state are private dirs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { bin, sharedRootfs, leaks, isDeno } from "../lib/capsa.mjs";
import { which, sh, cgroupDir, childCgroups, removeCgroupTree, processesWith, mountsWith, until } from "./clients.mjs";

const podmanBin = which("podman");
if (!podmanBin || !which("conmon")) {
  const why = `podman${podmanBin ? "'s conmon" : ""} is not installed (apt-get install podman): the podman suite cannot run`;
  console.log(why);
  test("podman is absent, and that was detected", () => {
    assert.ok(!podmanBin || !which("conmon"), why);
  });
  test.run();
} else {
  suite();
}

function suite() {
  const base = `/tmp/capsa-test-podman-${process.pid}`;
  // podman 4 passes --runtime-flag to create and start but not to delete: capsa keeps its
  // state in its default root, /run/capsa, as it would under podman in production.
  const state = "/run/capsa";
  const stateOf = (n) => join(state, ok(podman(["inspect", "-f", "{{.Id}}", n]), "inspect").trim());
  const image = "localhost/capsa-busybox:latest";
  const hadLibpodParent = existsSync("/sys/fs/cgroup/memory/libpod_parent");
  // Dirs podman and capsa make on first use whatever the flags: removed after if they were new.
  const runDirs = ["/run/containers/networks", "/run/containers", state].filter((d) => !existsSync(d));
  // podman import writes containers/image's blob info cache there whatever --root says.
  const newVarLib = !existsSync("/var/lib/containers");

  // podman asks for RLIMIT_NOFILE 1048576 and a large RLIMIT_NPROC by default; without
  // CAP_SYS_RESOURCE (these machines) no runtime can raise them, so ask for what is allowed.
  const hardNofile = Number(/Max open files\s+\d+\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 1024);
  const conf = join(base, "containers.conf");

  const global = [
    "--root", join(base, "storage"), "--runroot", join(base, "runroot"), "--tmpdir", join(base, "tmp"),
    "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
    "--runtime", bin,
  ];
  const podman = (args, opts = {}) => sh(podmanBin, [...global, ...args], { ...opts, env: { CONTAINERS_CONF: conf, ...(opts.env ?? {}) } });
  const ok = (r, what) => {
    assert.is(r.status, 0, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
    return r.stdout;
  };
  const run = (args, opts) => podman(["run", "--rm", "--network", "none", ...args], opts);
  const names = [];
  const name = (n) => { const v = `capsa-${n}-${process.pid}`; names.push(v); return v; };

  test.before(() => {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    writeFileSync(conf, `[containers]\ndefault_ulimits = ["nofile=${hardNofile}:${hardNofile}", "nproc=4096:4096"]\n`);
    const tar = join(base, "rootfs.tar");
    ok(sh("tar", ["-C", sharedRootfs, "-cf", tar, "."]), "tar of the rootfs");
    ok(podman(["import", tar, image]), "podman import");
    rmSync(tar);
  });

  const cleanup = () => {
    for (const n of names.splice(0)) podman(["rm", "-f", "-t", "0", n]);
    const left = podman(["ps", "-a", "-q"]).stdout.trim();
    podman(["rmi", "-af"]);
    rmSync(base, { recursive: true, force: true });
    const cgroups = childCgroups("libpod_parent").filter((d) => !d.endsWith("/conmon"));
    if (!hadLibpodParent) removeCgroupTree("libpod_parent");
    if (newVarLib) rmSync("/var/lib/containers", { recursive: true, force: true });
    for (const d of runDirs) {
      try { rmdirSync(d); } catch { /* not empty, or never made */ }
    }
    return { left, cgroups, procs: processesWith(base), mounts: mountsWith(base) };
  };
  // A safety net when a test threw: the last test cleans up and checks.
  test.after(() => { if (existsSync(base)) cleanup(); });

  test(`podman ${isDeno ? "(capsa under Deno)" : "(capsa under Node)"}: a command's output and exit code`, () => {
    assert.is(ok(run([image, "echo", "hello from capsa"]), "run echo"), "hello from capsa\n");
    const r = run([image, "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.is(r.status, 7, r.stderr);
    assert.is(r.stdout, "out\n");
    assert.match(r.stderr, "err");
  });

  test("podman: stdin reaches the container (-i)", () => {
    assert.is(ok(run(["-i", image, "sh", "-c", "tr a-z A-Z"], { input: "piped through\n" }), "run -i"), "PIPED THROUGH\n");
  });

  test("podman: env, workdir and user", () => {
    const out = ok(run(["-e", "GREETING=hi there", "-w", "/tmp", "-u", "65534:65534", image, "sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g'], {}), "run -e -w -u");
    assert.is(out, "hi there\n/tmp\n65534\n65534\n");
  });

  test("podman: a read-only rootfs", () => {
    const r = run(["--read-only", image, "sh", "-c", "touch /probe 2>&1; echo rc=$?; touch /tmp/probe && echo tmp-ok"]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /rc=1/);
    assert.match(r.stdout, /tmp-ok/); // podman mounts a tmpfs on /tmp with --read-only
  });

  test("podman: a bind-mounted volume, read and written", () => {
    const vol = join(base, "vol");
    mkdirSync(vol, { recursive: true });
    writeFileSync(join(vol, "in"), "from the host\n");
    const out = ok(run(["-v", `${vol}:/data`, image, "sh", "-c", "cat /data/in; echo from the container > /data/out"]), "run -v");
    assert.is(out, "from the host\n");
    assert.is(readFileSync(join(vol, "out"), "utf8"), "from the container\n");
  });

  test("podman: memory and pids limits land in the container's cgroups", () => {
    const n = name("limits");
    ok(podman(["run", "-d", "--name", n, "--network", "none", "--memory", "64m", "--pids-limit", "42", image, "sleep", "1000"]), "run -d --memory --pids-limit");
    const pid = Number(ok(podman(["inspect", "-f", "{{.State.Pid}}", n]), "inspect").trim());
    assert.ok(pid > 0, "the container has a pid");
    const mem = cgroupDir(pid, "memory"), pids = cgroupDir(pid, "pids");
    assert.match(mem, /libpod/);
    assert.is(readFileSync(join(mem, "memory.limit_in_bytes"), "utf8").trim(), String(64 * 1024 * 1024));
    assert.is(readFileSync(join(pids, "pids.max"), "utf8").trim(), "42");
    ok(podman(["rm", "-f", "-t", "0", n]), "rm -f");
    assert.not.ok(existsSync(mem), "the cgroup is gone with the container");
  });

  test("podman: detached run, exec, pause, unpause, top, kill -s KILL (137), rm", async () => {
    const n = name("detached");
    ok(podman(["run", "-d", "--name", n, "--network", "none", image, "sleep", "1000"]), "run -d");
    assert.is(ok(podman(["inspect", "-f", "{{.State.Status}}", n]), "inspect").trim(), "running");
    const dir = stateOf(n);
    assert.ok(existsSync(join(dir, "state.json")), "capsa holds the container's state");

    const ex = podman(["exec", "-e", "X=1", "-w", "/tmp", n, "sh", "-c", 'echo "exec $X $(pwd)"; exit 3']);
    assert.is(ex.status, 3, ex.stderr);
    assert.is(ex.stdout, "exec 1 /tmp\n");
    assert.is(ok(podman(["exec", "-i", n, "cat"], { input: "exec stdin\n" }), "exec -i"), "exec stdin\n");
    assert.is(ok(podman(["exec", "-u", "65534", n, "id", "-u"]), "exec -u"), "65534\n");

    ok(podman(["pause", n]), "pause");
    assert.is(ok(podman(["inspect", "-f", "{{.State.Status}}", n]), "inspect").trim(), "paused");
    ok(podman(["unpause", n]), "unpause");
    assert.is(ok(podman(["inspect", "-f", "{{.State.Status}}", n]), "inspect").trim(), "running");

    const top = ok(podman(["top", n]), "top");
    assert.match(top, /sleep 1000/);

    ok(podman(["kill", "-s", "KILL", n]), "kill -s KILL");
    assert.is(ok(podman(["wait", n]), "wait").trim(), "137");
    assert.is(ok(podman(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", n]), "inspect").trim(), "exited 137");
    ok(podman(["rm", n]), "rm");
    assert.is(podman(["ps", "-a", "-q", "--filter", `name=${n}`]).stdout.trim(), "");
    assert.not.ok(existsSync(dir), "capsa's state is gone");
  });

  test("podman: kill with a signal the process handles", async () => {
    const n = name("term");
    ok(podman(["run", "-d", "--name", n, "--network", "none", image, "sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"]), "run -d");
    await until(() => /sleep/.test(podman(["top", n]).stdout));
    ok(podman(["kill", "-s", "TERM", n]), "kill -s TERM");
    assert.is(ok(podman(["wait", n]), "wait").trim(), "42");
    ok(podman(["rm", n]), "rm");
  });

  test("podman: create, then start -a", () => {
    const n = name("created");
    ok(podman(["create", "--name", n, "--network", "none", image, "sh", "-c", "echo started; exit 5"]), "create");
    const r = podman(["start", "-a", n]);
    assert.is(r.status, 5, r.stderr);
    assert.is(r.stdout, "started\n");
    ok(podman(["rm", n]), "rm");
  });

  test("podman: a created container (podman init) is removed", () => {
    const n = name("init");
    ok(podman(["create", "--name", n, "--network", "none", image, "sleep", "100"]), "create");
    ok(podman(["init", n]), "init");
    assert.is(ok(podman(["inspect", "-f", "{{.State.Status}}", n]), "inspect").trim(), "initialized");
    const dir = stateOf(n);
    const st = JSON.parse(ok(sh(bin, ["--root", state, "state", dir.slice(state.length + 1)]), "capsa state"));
    assert.is(st.status, "created");
    ok(podman(["rm", n]), "rm");
    assert.not.ok(existsSync(dir), "capsa's state is gone");
  });

  test("podman: a terminal (-t) through conmon's console socket", () => {
    const r = run(["-t", image, "sh", "-c", "tty; stty size; exit 6"]);
    assert.is(r.status, 6, r.stderr);
    assert.match(r.stdout, /^\/dev\/pts\/\d+\r?\n/);
    const ex = podman(["run", "-d", "--name", name("tty"), "--network", "none", image, "sleep", "1000"]);
    assert.is(ex.status, 0, ex.stderr);
    const e = podman(["exec", "-t", names[names.length - 1], "tty"]);
    assert.is(e.status, 0, e.stderr);
    assert.match(e.stdout, /^\/dev\/pts\/\d+/);
  });

  test("podman: a runtime error reaches podman's message", () => {
    // An rlimit above the hard limit: create fails, and podman shows capsa's error.
    const r = run(["--ulimit", `nofile=${hardNofile + 1}:${hardNofile + 1}`, image, "true"]);
    assert.is(r.status, 126, r.stderr);
    assert.match(r.stderr, /RLIMIT_NOFILE.*EPERM/);
  });

  test("podman: a missing executable is reported at create, as runc does (exit 127)", () => {
    for (const cmd of ["/nonexistent", "no-such-command"]) {
      const r = run([image, cmd]);
      assert.is(r.status, 127, r.stderr);
      assert.match(r.stderr, cmd.includes("/") ? /no such file or directory/ : /executable file not found in \$PATH/);
    }
  });

  test("podman: nothing is left behind (containers, cgroups, processes, mounts, state)", () => {
    const { left, cgroups, procs, mounts } = cleanup();
    assert.is(left, "", "no containers left in podman");
    assert.equal(cgroups, [], "no container cgroups left");
    assert.equal(procs, [], "no processes left");
    assert.equal(mounts, [], "no mounts left");
    assert.equal(leaks(), [], "nothing leaks");
  });

  test.run();
}
