// Real containers through `capsa run`: namespaces, the rootfs, process setup, security, errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readlinkSync, writeFileSync, symlinkSync, mkdirSync, existsSync, readFileSync, rmSync, mkdtempSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync, spawn } from "node:child_process";
import { capsa, bundle, runSh, uniqueId, cleanupBundles, leaks, stateRoot, sharedRootfs, runCommand, root } from "../lib/capsa.mjs";

test.after.each(() => {
  cleanupBundles();
  const l = leaks();
  assert.equal(l, [], "nothing leaks: " + l.join("; "));
});

function ok(r, msg = "") {
  assert.is(r.status, 0, `${msg} exit ${r.status}, stderr: ${r.stderr}`);
  return r.stdout;
}

test("pid 1 in a new pid namespace, with its own hostname and domainname", () => {
  const out = ok(runSh("echo pid=$$; hostname; cat /proc/sys/kernel/domainname", (c) => {
    c.hostname = "box1";
    c.domainname = "example.test";
  }));
  assert.equal(out.trim().split("\n"), ["pid=1", "box1", "example.test"]);
});

test("its own mount, ipc, uts, net, pid and cgroup namespaces", () => {
  const kinds = ["mnt", "ipc", "uts", "net", "pid", "cgroup"];
  const out = ok(runSh(kinds.map((k) => `readlink /proc/self/ns/${k}`).join("; ")));
  const inside = out.trim().split("\n");
  assert.is(inside.length, kinds.length);
  kinds.forEach((k, i) => {
    const host = readlinkSync(`/proc/self/ns/${k}`);
    assert.ok(inside[i].startsWith(`${k}:[`), inside[i]);
    assert.is.not(inside[i], host, `${k} namespace differs from the host's`);
  });
  // No user namespace in the default config: the same as the host's.
  const u = ok(runSh("readlink /proc/self/ns/user")).trim();
  assert.is(u, readlinkSync("/proc/self/ns/user"));
});

test("joins an existing namespace by path", () => {
  // A long-lived process in a new uts+net namespace, made with unshare(1) from busybox.
  const holder = spawn("/bin/busybox", ["unshare", "--uts", "--net", "/bin/busybox", "sh", "-c", "hostname joined-ns; exec sleep 30"], { stdio: "ignore" });
  try {
    let hostname = "";
    for (let i = 0; i < 100 && hostname !== "joined-ns"; i++) {
      try { hostname = execFileSync("/bin/busybox", ["nsenter", "-t", String(holder.pid), "-u", "hostname"], { encoding: "utf8" }).trim(); } catch { /* not yet */ }
      if (hostname !== "joined-ns") execFileSync("sleep", ["0.02"]);
    }
    const out = ok(runSh("hostname; readlink /proc/self/ns/net", (c) => {
      c.linux.namespaces = c.linux.namespaces.map((n) =>
        n.type === "uts" ? { type: "uts", path: `/proc/${holder.pid}/ns/uts` } : n.type === "network" ? { type: "network", path: `/proc/${holder.pid}/ns/net` } : n);
      delete c.hostname;
    }));
    const [h, net] = out.trim().split("\n");
    assert.is(h, "joined-ns");
    assert.is(net, readlinkSync(`/proc/${holder.pid}/ns/net`));
  } finally {
    holder.kill("SIGKILL");
  }
});

test("the default spec config: /proc, read-only /sys, devices, /dev/pts, /dev/shm, /dev/fd", () => {
  const script = [
    "test -r /proc/self/status && echo proc",
    "touch /sys/x 2>/dev/null && echo sys-rw || echo sys-ro",
    "echo hi > /dev/null && echo null",
    "head -c 4 /dev/zero | od -An -tx1 | tr -d ' \\n'; echo",
    "test -c /dev/full && test -c /dev/random && test -c /dev/urandom && test -c /dev/tty && echo devs",
    "test -d /dev/pts && grep -q ' /dev/pts ' /proc/self/mounts && echo pts",
    "test -L /dev/ptmx && echo ptmx",
    "grep -q ' /dev/shm tmpfs' /proc/self/mounts && echo shm > /dev/shm/x && cat /dev/shm/x",
    "readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr",
    "grep -q ' /dev/mqueue mqueue' /proc/self/mounts && echo mqueue",
  ].join("; ");
  const out = ok(runSh(script)).trim().split("\n");
  assert.equal(out, ["proc", "sys-ro", "null", "00000000", "devs", "pts", "ptmx", "shm", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "mqueue"]);
});

test("masked paths read empty or fail; read-only paths refuse writes; a read-only root refuses writes", () => {
  const out = ok(runSh([
    "wc -c < /proc/timer_list",
    "cat /proc/keys | wc -c",
    "ls /proc/acpi 2>/dev/null | wc -l",
    "ls /sys/firmware | wc -l",
    "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sysrw || echo sysro",
    "touch /proc/sys/x 2>/dev/null || echo procsys-ro",
    "touch /newfile 2>/dev/null && echo root-rw || echo root-ro",
  ].join("; "), (c) => {
    c.linux.maskedPaths = ["/proc/timer_list", "/proc/keys", "/proc/acpi", "/sys/firmware", "/does/not/exist"];
    c.linux.readonlyPaths = ["/proc/sys", "/no/such/path"];
    c.root.readonly = true;
  })).trim().split("\n");
  assert.equal(out, ["0", "0", "0", "0", "sysro", "procsys-ro", "root-ro"]);
});

test("capabilities in /proc/self/status equal the config's sets (non-root user: execve keeps them as set)", () => {
  const out = ok(runSh("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status", (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = {
      bounding: ["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
      effective: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
      permitted: ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
      inheritable: ["CAP_KILL"],
      ambient: ["CAP_KILL"],
    };
  }));
  const get = (k) => BigInt("0x" + out.match(new RegExp(`^${k}:\\s+([0-9a-f]+)`, "m"))[1]);
  const bit = (n) => 1n << BigInt(n);
  const KILL = bit(5), CHOWN = bit(0), NBS = bit(10), AW = bit(29);
  assert.is(get("CapBnd"), KILL | AW | NBS | CHOWN);
  assert.is(get("CapInh"), KILL);
  assert.is(get("CapAmb"), KILL);
  // execve recomputes for a non-root user without file caps: P' = P'(amb), E' = P'(amb).
  assert.is(get("CapPrm"), KILL);
  assert.is(get("CapEff"), KILL);
});

test("root keeps exactly the configured sets under noNewPrivileges; without it execve grants root the bounding set", () => {
  const caps = { bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] };
  const read = (nnp) => {
    const out = ok(runSh("grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status", (c) => {
      c.process.capabilities = caps;
      c.process.noNewPrivileges = nnp;
    }));
    return (k) => BigInt("0x" + out.match(new RegExp(`^${k}:\\s+([0-9a-f]+)`, "m"))[1]);
  };
  const KILL = 1n << 5n, CHOWN = 1n;
  let get = read(true);
  assert.is(get("CapBnd"), KILL | CHOWN);
  assert.is(get("CapPrm"), KILL);
  assert.is(get("CapEff"), KILL);
  get = read(false);
  assert.is(get("CapBnd"), KILL | CHOWN);
  assert.is(get("CapPrm"), KILL | CHOWN);
  assert.is(get("CapEff"), KILL | CHOWN);
});

test("rlimits, user, groups, umask, cwd, env, NoNewPrivs and oom_score_adj equal the config's", () => {
  const out = ok(runSh([
    "ulimit -n", "ulimit -Hn", "id -u", "id -g", "id -G", "umask", "pwd", "echo $FOO",
    "grep NoNewPrivs /proc/self/status | tr -d ' \\t'", "cat /proc/self/oom_score_adj",
  ].join("; "), (c) => {
    c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 512, hard: 1000 }];
    c.process.user = { uid: 1000, gid: 1001, additionalGids: [1002, 1003], umask: 0o027 };
    c.process.cwd = "/tmp";
    c.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz"];
    c.process.noNewPrivileges = true;
    c.process.oomScoreAdj = 123;
  })).trim().split("\n");
  assert.equal(out, ["512", "1000", "1000", "1001", "1001 1002 1003", "0027", "/tmp", "bar baz", "NoNewPrivs:1", "123"]);
});

test("a user namespace with mappings: root inside is the mapped host id", () => {
  const dir = bundle((c) => {
    c.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; sleep 0.3"];
    c.linux.namespaces.push({ type: "user" });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.mounts = c.mounts.filter((m) => m.destination !== "/sys/fs/cgroup");
  });
  const id = uniqueId();
  const r = capsa(["run", "--bundle", dir, id]);
  const lines = ok(r).trim().split("\n").map((l) => l.trim());
  assert.equal(lines, ["0", "0 100000 65536", "0 100000 65536"]);
});

test("the user-namespace container's process runs as the mapped host uid", async () => {
  const dir = bundle((c) => {
    // pid 1 of a pid namespace only receives signals it handles: trap TERM to see it forwarded.
    c.process.args = ["sh", "-c", "trap 'exit 143' TERM; echo started; sleep 5 & wait"];
    c.linux.namespaces.push({ type: "user" });
    c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    c.mounts = c.mounts.filter((m) => m.destination !== "/sys/fs/cgroup");
  });
  const pidFile = join(dir, "pid");
  const { capsaAsync } = await import("../lib/capsa.mjs");
  const { child, done } = capsaAsync(["run", "--bundle", dir, "--pid-file", pidFile, uniqueId()]);
  let pid = "";
  for (let i = 0; i < 200 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (existsSync(pidFile)) pid = readFileSync(pidFile, "utf8").trim();
  }
  assert.ok(pid, "pid file written");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  assert.match(status, /^Uid:\s+200000\s+200000\s+200000\s+200000/m);
  // process.kill, not child.kill: Deno's child_process reports a child it signalled itself as
  // killed by that signal, whatever its real exit status.
  process.kill(child.pid, "SIGTERM");
  const r = await done;
  assert.is(r.status, 128 + 15, "the container died of the forwarded SIGTERM: " + r.stderr);
});

test("exit codes propagate, signals become 128+N", () => {
  assert.is(runSh("exit 7").status, 7);
  assert.is(runSh("exit 0").status, 0);
  // pid 1 of a pid namespace ignores SIGKILL from inside it: use the host's pid namespace.
  assert.is(runSh("kill -9 $$", (c) => { c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== "pid"); }).status, 137);
});

test("stdin, stdout and stderr pass through", () => {
  const r = runSh("read line; echo out:$line; echo err:$line >&2", (c) => c, { input: "hello\n" });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, "out:hello\n");
  assert.match(r.stderr, /err:hello\n/);
});

test("no fd other than 0, 1, 2 reaches the container's process", () => {
  const out = ok(runSh("ls /proc/self/fd | sort -n | tr '\\n' ' '"));
  // ls itself holds one fd open on /proc/self/fd (3).
  assert.is(out.trim(), "0 1 2 3");
});

test("--preserve-fds passes fds 3.. through", () => {
  const dir = bundle((c) => { c.process.args = ["sh", "-c", "cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '"]; });
  const f = join(dir, "extra");
  writeFileSync(f, "from-fd-3\n");
  const r = spawnCapsaWithFd(["run", "--preserve-fds", "1", "--bundle", dir, uniqueId()], f);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), ["from-fd-3", "0 1 2 3 4"]);
});

import { spawnSync } from "node:child_process";
import { bin as capsaBin } from "../lib/capsa.mjs";
/** Runs capsa from a shell that first opens `file` on fd 3. */
function spawnCapsaWithFd(args, file) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync("/bin/sh", ["-c", `exec 3<"$0"; exec "$@"`, file, capsaBin, "--root", stateRoot, ...args], { encoding: "utf8", env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("security: a mount destination that is a symlink to / or ../../.. stays inside the rootfs", () => {
  const hostMarker = `/tmp/capsa-escape-${process.pid}`;
  rmSync(hostMarker, { force: true });
  const dir = bundle((c) => {
    c.root.readonly = false;
    c.mounts.push({ destination: "/evil1", type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
    c.mounts.push({ destination: "/evil2/x", type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
    c.process.args = ["sh", "-c", `touch /evil1/in1 /evil2/x/in2 && ls /mnt/in1 /home/x/in2`];
  }, { copyRootfs: true });
  const rootfs = join(dir, "rootfs");
  // Absolute and relative symlinks that would leave the rootfs if followed on the host.
  symlinkSync("/mnt", join(rootfs, "evil1"));
  symlinkSync("../../../../../../../home", join(rootfs, "evil2"));
  const before = readFileSync("/proc/self/mountinfo", "utf8");
  const r = capsa(["run", "--bundle", dir, uniqueId()]);
  assert.is(r.status, 0, r.stderr);
  // The tmpfs landed on the rootfs's own /mnt and /home/x, never on the host's.
  assert.equal(r.stdout.trim().split("\n").sort(), ["/home/x/in2", "/mnt/in1"]);
  assert.is(readFileSync("/proc/self/mountinfo", "utf8"), before, "no host mount changed");
  assert.not.ok(existsSync("/mnt/in1"));
  assert.not.ok(existsSync("/home/x"));
  assert.ok(existsSync(join(rootfs, "home/x")), "the missing target was created inside the rootfs");
});

test("a failing op names the mount by index and path, exits non-zero and leaves nothing behind", () => {
  const dir = bundle((c) => {
    c.mounts.push({ destination: "/data", type: "bind", source: "/nonexistent/capsa-src", options: ["rbind"] });
  });
  const id = uniqueId();
  const r = capsa(["run", "--bundle", dir, id]);
  assert.is.not(r.status, 0);
  const idx = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).mounts.length - 1;
  assert.match(r.stderr, new RegExp(`mounts\\[${idx}\\] \\(/data[^)]*\\): mount failed: ENOENT \\(No such file or directory\\)`));
  assert.not.ok(existsSync(join(stateRoot, id)), "no state dir");
});

test("an invalid config is refused with its diagnostics before anything runs", () => {
  const dir = bundle((c) => { c.process.cwd = "relative/dir"; });
  const id = uniqueId();
  const r = capsa(["run", "--bundle", dir, id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /config\.json:\/process\/cwd: .*\[process\.cwd\.relative\]/);
  assert.not.ok(existsSync(join(stateRoot, id)));
});

test("capsa plan prints the program for the spec's example config", () => {
  const dir = mkdtempSync(join(tmpdir(), "capsa-bundle-plan-"));
  try {
    const ex = JSON.parse(readFileSync(new URL("../../../shared/runtime-spec/schema/test/config/good/spec-example.json", import.meta.url), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify(ex));
    const r = capsa(["plan", "--bundle", dir]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# clone flags: 0x[0-9a-f]+$/m);
    assert.match(r.stdout, /mount .*target="\/proc".*# \/mounts\/0/);
    assert.match(r.stdout, /sethostname .*"slartibartfast".*# \/hostname/);
    assert.match(r.stdout, /setrlimit .*# \/process\/rlimits\/0/);
    assert.match(r.stdout, /exec .*"sh"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a command's exit leaves no process behind it and no pipe open: the caller sees end of file at the exit", async () => {
  // The CLI leaves through capsa_exit, whose short-lived keeper of the address space closes
  // every descriptor and dies with the runtime; its command line is the runtime's (they share
  // memory), so the unique id finds it.
  const id = uniqueId("keep");
  const child = spawn(capsaBin, ["--root", stateRoot, "run", "--bundle", bundle((c) => { c.process.args = ["sh", "-c", "echo out; echo err >&2"]; }), id], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout.on("data", (d) => { out += d; });
  child.stderr.on("data", (d) => { err += d; });
  const closed = await Promise.race([
    new Promise((res) => child.on("close", (code) => res({ code }))),
    new Promise((res) => setTimeout(() => res(null), 10_000)),
  ]);
  assert.ok(closed, "stdout and stderr reached end of file and the runtime exited");
  assert.is(closed.code, 0, err);
  assert.is(out, "out\n");
  assert.is(err, "err\n");
  const mine = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(id); } catch { return false; }
  });
  for (let i = 0; i < 100 && mine().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(mine(), [], "no process of this command is left");
});

test("the Node CLI writes its code cache once, after a container command, and V8 accepts it", () => {
  // bin/capsa (Node) whatever runtime runs this test.
  const node = globalThis.Deno ? "node" : process.execPath;
  const cli = join(root, "bin/capsa");
  const cache = join(root, "dist/capsa-cli.cjs.cache");
  rmSync(cache, { force: true });
  let r = runCommand(node, [cli, "--root", stateRoot, "--version"]);
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(existsSync(cache), "--version writes no cache");
  const dir = bundle((c) => { c.process.args = ["true"]; });
  r = runCommand(node, [cli, "--root", stateRoot, "run", "--bundle", dir, uniqueId("cc")]);
  assert.is(r.status, 0, r.stderr);
  const first = statSync(cache);
  assert.ok(first.size > 10_000, `cache of ${first.size} bytes`);
  // Accepted by the next command, which therefore does not write it again.
  r = runCommand(node, [cli, "--root", stateRoot, "run", "--bundle", dir, uniqueId("cc")]);
  assert.is(r.status, 0, r.stderr);
  assert.is(statSync(cache).mtimeMs, first.mtimeMs);
  // A cache that does not match the bundle is rejected and replaced.
  writeFileSync(cache, "not a code cache");
  r = runCommand(node, [cli, "--root", stateRoot, "run", "--bundle", dir, uniqueId("cc")]);
  assert.is(r.status, 0, r.stderr);
  assert.ok(statSync(cache).size > 10_000);
});

test("the Node CLI's code cache is used only for the bundle it was made from, even one of the same length", () => {
  // V8 checks a code cache against its source only by length: a rebuilt bundle of the same
  // length (a version bump) must not run the old bytecode. A copy of bin/ and dist/ is changed.
  const node = globalThis.Deno ? "node" : process.execPath;
  const top = mkdtempSync(join(tmpdir(), "capsa-cc-"));
  try {
    mkdirSync(join(top, "bin"));
    mkdirSync(join(top, "dist"));
    for (const f of ["capsa", "package.json"]) writeFileSync(join(top, "bin", f), readFileSync(join(root, "bin", f)));
    for (const f of ["capsa-cli.cjs", "capsa-core.wasm", "capsa.node", "capsa-init", "libcapsa.so"]) {
      writeFileSync(join(top, "dist", f), readFileSync(join(root, "dist", f)), { mode: 0o755 });
    }
    const cli = join(top, "bin/capsa");
    const cache = join(top, "dist/capsa-cli.cjs.cache");
    const dir = bundle((c) => { c.process.args = ["true"]; });
    let r = runCommand(node, [cli, "--root", stateRoot, "run", "--bundle", dir, uniqueId("cc")]);
    assert.is(r.status, 0, r.stderr);
    assert.ok(existsSync(cache), "the cache is written");
    r = runCommand(node, [cli, "--root", stateRoot, "--help"]);
    assert.match(r.stdout, /print the version/);
    // The help text is a literal of the bundle's top level, whose bytecode is in the cache.
    const src = readFileSync(join(top, "dist/capsa-cli.cjs"), "utf8");
    const changed = src.replaceAll("print the version", "PRINT THE VERSION");
    assert.is(changed.length, src.length);
    writeFileSync(join(top, "dist/capsa-cli.cjs"), changed);
    r = runCommand(node, [cli, "--root", stateRoot, "--help"]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /PRINT THE VERSION/, "the new bundle's code runs");
    assert.not.match(r.stdout, /print the version/);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test.run();
