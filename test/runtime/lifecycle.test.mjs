// The container lifecycle through the CLI: create, start, state, kill, delete, list, ps,
// hooks, concurrency; checked against /proc and the state root after every step.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync, chmodSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { capsa, capsaAsync, bundle, uniqueId, cleanupBundles, leaks, checkEachTest, stateRoot } from "../lib/capsa.mjs";

const created = checkEachTest(test, assert);

function ok(r, what) {
  assert.is(r.status, 0, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
  return r.stdout;
}
function state(id) {
  return JSON.parse(ok(capsa(["state", id]), "state"));
}
function create(dir, id = uniqueId("lc")) {
  ok(capsa(["create", "--bundle", dir, id]), "create");
  created.add(id);
  return id;
}
/** A process that exists and has not exited (zombies and dying tasks count as gone). */
function alive(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !"ZXx".includes(st.slice(st.lastIndexOf(")") + 2)[0]);
  } catch {
    return false;
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, what, ms = 5000) {
  for (let t = 0; t < ms; t += 20) {
    if (fn()) return;
    await sleep(20);
  }
  assert.unreachable(`timed out waiting for ${what}`);
}

test("create → created, start → running, exit → stopped, delete → gone", async () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "0.4"]; });
  const id = create(dir);
  const s1 = state(id);
  assert.is(s1.status, "created");
  assert.is(s1.id, id);
  assert.is(s1.ociVersion, "1.3.0");
  assert.ok(s1.pid > 0);
  assert.is(s1.bundle, dir.startsWith("/") ? s1.bundle : s1.bundle);
  // The init is alive and has not exec'd the process yet.
  assert.is(readFileSync(`/proc/${s1.pid}/cmdline`, "utf8").split("\0")[0], "capsa-init");
  assert.ok(existsSync(join(stateRoot, id, "exec.fifo")));
  ok(capsa(["start", id]), "start");
  const s2 = state(id);
  assert.is(s2.status, "running");
  assert.is(s2.pid, s1.pid);
  assert.is(readFileSync(`/proc/${s2.pid}/cmdline`, "utf8").split("\0")[0], "sleep");
  await until(() => state(id).status === "stopped", "the process to exit");
  assert.is(state(id).pid, 0);
  ok(capsa(["delete", id]), "delete");
  created.delete(id);
  const r = capsa(["state", id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, new RegExp(`container "${id}" does not exist`));
  assert.not.ok(existsSync(join(stateRoot, id)));
});

test("start twice fails with a clear error; delete of a running container fails, --force works", () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "30"]; });
  const id = create(dir);
  ok(capsa(["start", id]), "start");
  const again = capsa(["start", id]);
  assert.is(again.status, 1);
  assert.match(again.stderr, /cannot start a container that is running/);
  const del = capsa(["delete", id]);
  assert.is(del.status, 1);
  assert.match(del.stderr, /cannot delete a container that is running/);
  const pid = state(id).pid;
  ok(capsa(["delete", "--force", id]), "delete --force");
  created.delete(id);
  assert.not.ok(alive(pid), "the init is gone");
  assert.not.ok(existsSync(join(stateRoot, id)));
});

test("kill delivers the signal: by name, with SIG, and by number", async () => {
  for (const sig of ["USR1", "SIGUSR1", "10"]) {
    const dir = bundle((c) => { c.process.args = ["sh", "-c", "trap 'exit 0' USR1; while :; do sleep 0.05; done"]; });
    const id = create(dir);
    ok(capsa(["start", id]), "start");
    ok(capsa(["kill", id, sig]), "kill " + sig);
    await until(() => state(id).status === "stopped", `the trap on ${sig}`);
    ok(capsa(["delete", id]), "delete");
    created.delete(id);
  }
  const id = create(bundle((c) => { c.process.args = ["sleep", "30"]; }));
  const bad = capsa(["kill", id, "SIGNOPE"]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown signal "SIGNOPE"/);
});

test("kill of a created container, then delete", async () => {
  const id = create(bundle((c) => { c.process.args = ["sleep", "30"]; }));
  ok(capsa(["kill", id, "KILL"]), "kill");
  await until(() => state(id).status === "stopped", "the init to die");
  ok(capsa(["delete", id]), "delete");
  created.delete(id);
});

test("unknown ids, bad ids and bad flags get their own messages and exit codes", () => {
  const r1 = capsa(["state", "no-such-container"]);
  assert.is(r1.status, 1);
  assert.match(r1.stderr, /container "no-such-container" does not exist/);
  const r2 = capsa(["state", "../etc"]);
  assert.is(r2.status, 1);
  assert.match(r2.stderr, /invalid container ID "\.\.\/etc"/);
  const r3 = capsa(["create", "--frobnicate", "x"]);
  assert.is(r3.status, 2);
  assert.match(r3.stderr, /create: unknown flag --frobnicate/);
  const r4 = capsa(["start"]);
  assert.is(r4.status, 2);
  assert.match(r4.stderr, /start: container ID is required/);
  assert.is(capsa(["delete", "--force", "never-existed"]).status, 0, "delete --force of a missing container succeeds, as with runc");
});

test("list and ps show the right rows", () => {
  const a = create(bundle((c) => { c.process.args = ["sh", "-c", "sleep 30 & sleep 30 & wait"]; }));
  const b = create(bundle((c) => { c.process.args = ["sleep", "30"]; }));
  ok(capsa(["start", a]), "start");
  const rows = JSON.parse(ok(capsa(["list", "--format", "json"]), "list"));
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  assert.is(byId[a].status, "running");
  assert.is(byId[b].status, "created");
  assert.equal(ok(capsa(["list", "-q"]), "list -q").trim().split("\n").sort(), [a, b].sort());
  const table = ok(capsa(["list"]), "list");
  assert.match(table, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/m);
  assert.match(table, new RegExp(`^${a}\\s+\\d+\\s+running\\s`, "m"));
  const pids = JSON.parse(ok(capsa(["ps", "--format", "json", a]), "ps"));
  assert.is(pids.length, 3, "sh and its two sleeps: " + JSON.stringify(pids));
  assert.ok(pids.includes(state(a).pid));
  const ps = ok(capsa(["ps", a]), "ps table");
  assert.is(ps.trim().split("\n").filter((l) => /sleep 30$/.test(l)).length, 2);
});

test("editing config.json after create has no effect on the container", async () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "30"]; c.hostname = "before"; });
  const id = create(dir);
  const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  cfg.hostname = "after";
  cfg.process.args = ["sh", "-c", "exit 3"];
  writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
  ok(capsa(["start", id]), "start");
  await sleep(100);
  const s = state(id);
  assert.is(s.status, "running", "still the original process");
  assert.is(readFileSync(`/proc/${s.pid}/cmdline`, "utf8").split("\0").slice(0, 2).join(" "), "sleep 30");
  const hostname = execFileSync("/bin/busybox", ["nsenter", "-t", String(s.pid), "-u", "hostname"], { encoding: "utf8" }).trim();
  assert.is(hostname, "before");
});

test("20 containers created and deleted concurrently leave consistent state and no leaks", async () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "30"]; });
  const ids = Array.from({ length: 20 }, () => uniqueId("par"));
  ids.forEach((id) => created.add(id)); // cleaned up even when a create fails
  const creates = await Promise.all(ids.map((id) => capsaAsync(["create", "--bundle", dir, id]).done));
  creates.forEach((r, i) => assert.is(r.status, 0, `create ${ids[i]}: ${r.stderr}`));
  const listed = ok(capsa(["list", "-q"]), "list").trim().split("\n").sort();
  assert.equal(listed, [...ids].sort());
  const dels = await Promise.all(ids.map((id) => capsaAsync(["delete", "--force", id]).done));
  dels.forEach((r, i) => assert.is(r.status, 0, `delete ${ids[i]}: ${r.stderr}`));
  ids.forEach((id) => created.delete(id));
  assert.is(ok(capsa(["list", "-q"]), "list").trim(), "");
});

test("racing start, kill and delete --force on one id serialize and leave nothing behind", async () => {
  for (let round = 0; round < 5; round++) {
    const id = create(bundle((c) => { c.process.args = ["sleep", "30"]; }));
    const rs = await Promise.all([
      capsaAsync(["start", id]).done,
      capsaAsync(["kill", id, "KILL"]).done,
      capsaAsync(["delete", "--force", id]).done,
      capsaAsync(["start", id]).done,
    ]);
    // Each command either did its work or failed with a lifecycle or unknown-id message: never a crash.
    for (const r of rs) {
      if (r.status !== 0) assert.match(r.stderr, /cannot (start|kill|delete) a container|does not exist|exited before/, r.stderr);
    }
    assert.is(rs[2].status, 0, "delete --force always succeeds: " + rs[2].stderr);
    created.delete(id);
    assert.not.ok(existsSync(join(stateRoot, id)));
  }
});

function hookScript(dir, name, body) {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test("hooks run in order, with the state on stdin, their args and env", async () => {
  const hdir = mkdtempSync(join(tmpdir(), "capsa-hooks-"));
  try {
    const log = join(hdir, "log");
    const h = hookScript(hdir, "hook", `read -r state; echo "$1 $HOOKVAR $(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/pid) $state" >> ${log}`);
    const kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];
    const dir = bundle((c) => {
      c.process.args = ["sh", "-c", `echo process >> ${log}; sleep 0.2`];
      c.hooks = Object.fromEntries(kinds.map((k) => [k, [{ path: h, args: [h, k], env: [`HOOKVAR=v-${k}`] }]]));
      // startContainer runs inside the container: give it the hook script and a log it can reach.
      c.mounts.push({ destination: hdir, type: "bind", source: hdir, options: ["rbind"] });
    }, { copyRootfs: true });
    const id = uniqueId("hk");
    const r = capsa(["run", "--bundle", dir, id]);
    assert.is(r.status, 0, r.stderr);
    const all = readFileSync(log, "utf8").trim().split("\n");
    // With a startContainer hook, run waits on the exec fifo: the hook runs before the process.
    assert.ok(all.indexOf("process") > all.findIndex((l) => l.startsWith("startContainer ")), all.join(" | "));
    const lines = all.filter((l) => l !== "process");
    assert.equal(lines.map((l) => l.split(" ")[0]), kinds);
    const [ourUts, ourPid] = ["uts", "pid"].map((n) => readlinkSync(`/proc/self/ns/${n}`));
    for (const l of lines) {
      const [kind, v, uts, pid, ...rest] = l.split(" ");
      assert.is(v, `v-${kind}`);
      // createContainer and startContainer hooks run in the container's namespaces, the others in ours.
      const inside = kind === "createContainer" || kind === "startContainer";
      assert.is(uts !== ourUts, inside, `${kind}: uts namespace ${uts}`);
      assert.is(pid !== ourPid, inside, `${kind}: pid namespace ${pid}`);
      const st = JSON.parse(rest.join(" "));
      assert.is(st.id, id);
      assert.is(st.ociVersion, "1.3.0");
      assert.ok(st.pid > 0, kind);
      assert.ok(["creating", "created", "running", "stopped"].includes(st.status), st.status);
    }
  } finally {
    rmSync(hdir, { recursive: true, force: true });
  }
});

test("run: a signal that comes while the container is being created reaches its process", async () => {
  const hdir = mkdtempSync(join(tmpdir(), "capsa-hooks-"));
  try {
    // The createRuntime hook holds create for 0.5 s, and says when it started.
    const mark = join(hdir, "hook-started");
    const h = hookScript(hdir, "slow", `touch ${mark}; sleep 0.5`);
    const dir = bundle((c) => {
      c.process.args = ["sleep", "5"];
      // Not pid 1 of a pid namespace, which would ignore a TERM it has no handler for.
      c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== "pid");
      c.hooks = { createRuntime: [{ path: h }] };
    });
    const { child, done } = capsaAsync(["run", "--bundle", dir, uniqueId("sig")]);
    for (let i = 0; i < 500 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(existsSync(mark), "the hook ran");
    const t0 = Date.now();
    process.kill(child.pid, "SIGTERM");
    const r = await done;
    assert.is(r.status, 128 + 15, "the process died of the TERM passed on after create: " + r.stderr);
    assert.ok(Date.now() - t0 < 4000, "not after sleep 5 ran out");
  } finally {
    rmSync(hdir, { recursive: true, force: true });
  }
});

test("a failing createRuntime hook fails create and leaves nothing behind", () => {
  const hdir = mkdtempSync(join(tmpdir(), "capsa-hooks-"));
  try {
    const h = hookScript(hdir, "fail", "echo nope >&2; exit 3");
    const dir = bundle((c) => { c.hooks = { createRuntime: [{ path: h }] }; });
    const id = uniqueId("hkf");
    const r = capsa(["create", "--bundle", dir, id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /createRuntime hook 0 \(.*fail\) failed: exit status 3/);
    assert.not.ok(existsSync(join(stateRoot, id)));
  } finally {
    rmSync(hdir, { recursive: true, force: true });
  }
});

test("a hook that overruns its timeout is killed", () => {
  const hdir = mkdtempSync(join(tmpdir(), "capsa-hooks-"));
  try {
    const h = hookScript(hdir, "slow", "sleep 30");
    const dir = bundle((c) => { c.hooks = { prestart: [{ path: h, timeout: 1 }] }; });
    const id = uniqueId("hkt");
    const t0 = Date.now();
    const r = capsa(["create", "--bundle", dir, id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /prestart hook 0 \(.*slow\) failed: timed out after 1s and was killed/);
    assert.ok(Date.now() - t0 < 20_000, "killed, not waited for");
    assert.not.ok(existsSync(join(stateRoot, id)));
  } finally {
    rmSync(hdir, { recursive: true, force: true });
  }
});

test("failing poststart and poststop hooks only warn", () => {
  const dir = bundle((c) => {
    c.process.args = ["true"];
    c.hooks = { poststart: [{ path: "/nonexistent/hook" }], poststop: [{ path: "/bin/false" }] };
  });
  const r = capsa(["run", "--bundle", dir, uniqueId("hkw")]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: poststart hook 0 \(\/nonexistent\/hook\) failed: .*ENOENT/);
  assert.match(r.stderr, /warning: poststop hook 0 \(\/bin\/false\) failed: exit status 1/);
});

test("run --detach leaves a running container; its pid file holds the init's pid", () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "30"]; });
  const id = uniqueId("det");
  const pidFile = join(dir, "pidfile");
  ok(capsa(["run", "-d", "--pid-file", pidFile, "--bundle", dir, id]), "run -d");
  created.add(id);
  const s = state(id);
  assert.is(s.status, "running");
  assert.is(readFileSync(pidFile, "utf8").trim(), String(s.pid));
});

test("security: another process in the container cannot open the waiting init's /proc/PID/exe", () => {
  // Container A is created: its init (capsa-init from a sealed memfd) waits on exec.fifo.
  const a = create(bundle((c) => { c.process.args = ["sleep", "30"]; }));
  const initPid = state(a).pid;
  // Container B joins A's pid namespace as root with the default capabilities (no
  // CAP_SYS_PTRACE), the position of a process exec'd into the container.
  const r = capsa(["run", "--bundle", bundle((c) => {
    c.process.args = ["sh", "-c", [
      "cat /proc/1/cmdline | tr '\\0' ' '; echo",
      "cat /proc/1/exe > /dev/null 2>&1 && echo exe-readable || echo exe-denied",
      "(echo x >> /proc/1/exe) 2>/dev/null && echo exe-writable || echo exe-write-denied",
      "readlink /proc/1/fd/0 >/dev/null 2>&1 && echo fd-link-visible || echo fd-link-denied",
    ].join("; ")];
    c.linux.namespaces = c.linux.namespaces.map((n) => n.type === "pid" ? { type: "pid", path: `/proc/${initPid}/ns/pid` } : n);
  }), uniqueId("spy")]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n").map((l) => l.trim()), ["capsa-init 3", "exe-denied", "exe-write-denied", "fd-link-denied"]);
  assert.is(state(a).status, "created", "the init is unharmed");
});

test.run();
