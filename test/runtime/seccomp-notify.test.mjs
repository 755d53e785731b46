// SCMP_ACT_NOTIFY with linux.seccomp.listenerPath: the runtime passes each seccomp listener (the
// container's init, and every exec'd process) to an agent with the container process state;
// here the test is the agent and answers the notifications itself.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readlinkSync, readdirSync, rmSync, existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { capsa, capsaAsync, bundle, uniqueId, checkEachTest, defaultSpec } from "../lib/capsa.mjs";
import { plan } from "../lib/plan-core.mjs";
import { host } from "../lib/host.mjs";

const { loadSys, POLLIN } = await host("sys");
const sys = await loadSys();

const created = checkEachTest(test, assert);

const ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
const hostArch = globalThis.Deno ? Deno.build.arch : process.arch;
// mkdir and mkdirat on the machine's own architecture.
const MKDIR_NRS = /aarch64|arm64/.test(hostArch) ? [34] : [83, 258];

const sockets = [];
let sockDir = null;
/** A listening unix socket at a fresh path: {path, fd}. */
function listener() {
  sockDir ??= mkdtempSync(join(tmpdir(), "capsa-notify-"));
  const path = join(sockDir, `agent-${sockets.length}.sock`);
  const fd = sys.listenUnix(path);
  sockets.push({ path, fd });
  return { path, fd };
}
const fds = [];
test.after.each(() => {
  while (fds.length) sys.close(fds.pop());
  while (sockets.length) {
    const s = sockets.pop();
    sys.close(s.fd);
    rmSync(s.path, { force: true });
  }
  if (sockDir) rmSync(sockDir, { recursive: true, force: true });
  sockDir = null;
  nh?.cleanupTmp();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits (without blocking the event loop) until fd is readable; fails after timeoutMs or when `done` settles first. */
async function readable(fd, what, timeoutMs = 20_000, done = null) {
  let finished = null;
  if (done) done.then((r) => { finished = r; });
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (sys.poll(fd, POLLIN, 0) & POLLIN) return;
    if (finished) throw new Error(`${what}: capsa exited first (status ${finished.status}): ${finished.stderr}`);
    if (Date.now() > end) throw new Error(`${what}: timed out`);
    await sleep(10);
  }
}

/** The agent's side of one connection: the container process state and the listener. */
async function acceptAgent(l, done) {
  await readable(l.fd, "the runtime's connection", 20_000, done);
  const conn = sys.accept(l.fd);
  try {
    const { fd, name } = sys.recvFd(conn);
    fds.push(fd);
    let text = name;
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = sys.read(conn, buf);
      if (n === 0) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return { state: JSON.parse(text), fd };
  } finally {
    sys.close(conn);
  }
}

/** Answers the next notification on a listener: errno > 0 fails the syscall, 0 returns val. */
async function answer(fd, errno, val = 0, done = null) {
  await readable(fd, "a notification", 20_000, done);
  const n = sys.seccompNotifyRecv(fd);
  sys.seccompNotifyRespond(fd, n.id, errno, val);
  return n;
}

function notifyProfile(path, extra = {}) {
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: ARCHES,
    listenerPath: path,
    listenerMetadata: "MKDIR=/tmp/a",
    syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY" }],
    ...extra,
  };
}

function notifyBundle(script, path, extra = {}) {
  return bundle((c) => {
    c.process.args = ["sh", "-c", script];
    c.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
    c.annotations = { "org.example.key": "value" };
    c.linux.seccomp = notifyProfile(path, extra);
  });
}

test("the agent gets the container process state and the listener; an errno answer fails the syscall", async () => {
  const l = listener();
  const dir = notifyBundle("mkdir /tmp/a 2>&1; echo rc=$?", l.path);
  const id = uniqueId("sn");
  const { done } = capsaAsync(["run", "--bundle", dir, id]);
  const { state, fd } = await acceptAgent(l, done);
  assert.equal(state.fds, ["seccompFd"]);
  assert.is(state.ociVersion, state.state.ociVersion);
  assert.is(typeof state.pid, "number");
  assert.ok(state.pid > 0);
  assert.is(state.metadata, "MKDIR=/tmp/a");
  assert.is(state.state.id, id);
  assert.is(state.state.status, "creating");
  assert.is(state.state.pid, state.pid);
  assert.is(state.state.bundle, dir);
  assert.equal(state.state.annotations, { "org.example.key": "value" });
  assert.is(readlinkSync(`/proc/self/fd/${fd}`), "anon_inode:seccomp notify");

  const n = await answer(fd, 13 /* EACCES */, 0, done);
  assert.ok(MKDIR_NRS.includes(n.nr), `a mkdir syscall, got ${n.nr}`);
  assert.is(n.args.length, 6);
  const r = await done;
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /Permission denied/);
  assert.match(r.stdout, /rc=1/);
});

test("a success answer lets the process go on (the syscall returns the agent's value)", async () => {
  const l = listener();
  // The agent says mkdir succeeded without doing it: the directory is not there.
  const dir = notifyBundle("mkdir /tmp/a && echo mkdir-ok; test -d /tmp/a && echo exists || echo absent; echo end", l.path, {
    flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
  });
  const { done } = capsaAsync(["run", "--bundle", dir, uniqueId("sn")]);
  const { fd } = await acceptAgent(l, done);
  await answer(fd, 0, 0, done);
  const r = await done;
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), ["mkdir-ok", "absent", "end"]);
});

test("without noNewPrivileges the filter goes in early and the init's own later syscalls still run", async () => {
  const l = listener();
  const dir = bundle((c) => {
    c.process.args = ["sh", "-c", "mkdir /tmp/b 2>&1; echo rc=$?"];
    c.process.noNewPrivileges = false;
    c.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
    c.linux.seccomp = notifyProfile(l.path);
  });
  const { done } = capsaAsync(["run", "--bundle", dir, uniqueId("sn")]);
  const { state, fd } = await acceptAgent(l, done);
  assert.is(state.state.status, "creating");
  await answer(fd, 28 /* ENOSPC */, 0, done);
  const r = await done;
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /No space left on device/);
});

test("create and exec: each process hands over its own listener (exec's state is running)", async () => {
  const l = listener();
  const dir = notifyBundle("sleep 30", l.path);
  const id = uniqueId("sn");
  created.add(id);
  const c = capsaAsync(["create", "--bundle", dir, id]);
  const init = await acceptAgent(l, c.done);
  const cr = await c.done;
  assert.is(cr.status, 0, cr.stderr);
  assert.is(init.state.state.status, "creating");
  const st = JSON.parse(capsa(["state", id]).stdout);
  assert.is(st.pid, init.state.pid);
  assert.is(capsa(["start", id]).status, 0);

  const e = capsaAsync(["exec", id, "sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?"]);
  const ex = await acceptAgent(l, e.done);
  assert.equal(ex.state.fds, ["seccompFd"]);
  assert.is(ex.state.state.status, "running");
  assert.is(ex.state.state.id, id);
  assert.is(ex.state.state.pid, init.state.pid);
  assert.is.not(ex.state.pid, init.state.pid);
  assert.is(ex.state.metadata, "MKDIR=/tmp/a");
  assert.is(readlinkSync(`/proc/self/fd/${ex.fd}`), "anon_inode:seccomp notify");
  await answer(ex.fd, 13, 0, e.done);
  const er = await e.done;
  assert.match(er.stdout, /Permission denied/);
  assert.match(er.stdout, /rc=1/);
});

test("an unreachable listenerPath fails create with an error naming it, and nothing is left", () => {
  const path = join(tmpdir(), `capsa-notify-missing-${process.pid}.sock`);
  const dir = notifyBundle("true", path);
  const id = uniqueId("sn");
  const r = capsa(["create", "--bundle", dir, id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /listenerPath/);
  assert.match(r.stderr, new RegExp(path.replace(/[.]/g, "\\.")));
  assert.ok(!existsSync(path));
});

test("listenerPath without a NOTIFY rule is ignored: no connection, the container runs", () => {
  const l = listener();
  const dir = bundle((c) => {
    c.process.args = ["sh", "-c", "echo ran"];
    c.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", listenerPath: l.path, syscalls: [{ names: ["mknod"], action: "SCMP_ACT_ERRNO" }] };
  });
  const r = capsa(["run", "--bundle", dir, uniqueId("sn")]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /ran/);
  assert.is(sys.poll(l.fd, POLLIN, 0) & POLLIN, 0);
});

test("plan: NOTIFY without listenerPath is refused with its pointer", () => {
  const config = specConfig();
  config.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }] };
  const j = plan(config).json;
  assert.is(j.valid, false);
  assert.ok(j.diagnostics.some((d) => d.pointer === "/linux/seccomp/listenerPath" && d.code === "linux.seccomp.listenerPath.required"), JSON.stringify(j.diagnostics));
  const dir = bundle((c) => { c.linux.seccomp = config.linux.seccomp; });
  const v = capsa(["validate", "--bundle", dir]);
  assert.is(v.status, 1);
  assert.match(v.stdout, /\/linux\/seccomp\/listenerPath: error: .*\[linux\.seccomp\.listenerPath\.required\]/);
});

test("plan: the syscalls of the listener's hand-over cannot be notified", () => {
  const config = specConfig();
  config.linux.seccomp = notifyProfile("/run/agent.sock", {
    syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }, { names: ["getpid", "sendmsg", "recvfrom"], action: "SCMP_ACT_NOTIFY" }, { names: ["sendto"], action: "SCMP_ACT_ERRNO" }],
  });
  const j = plan(config).json;
  assert.is(j.valid, false);
  const errs = j.diagnostics.filter((d) => d.severity === "error").map((d) => [d.pointer, d.code]);
  assert.equal(errs, [
    ["/linux/seccomp/syscalls/1/names/1", "linux.seccomp.syscalls.names.notifyHandover"],
    ["/linux/seccomp/syscalls/1/names/2", "linux.seccomp.syscalls.names.notifyHandover"],
  ]);
});

test("plan: the seccomp op carries NEW_LISTENER (and TSYNC_ESRCH with TSYNC) only when a rule notifies", () => {
  const config = specConfig();
  const flagsOf = (seccomp) => {
    config.linux.seccomp = seccomp;
    const j = plan(config).json;
    assert.ok(j.valid, JSON.stringify(j.diagnostics));
    const op = j.ops.find((o) => o.op === "seccomp");
    return op.ints[0];
  };
  assert.is(flagsOf(notifyProfile("/run/agent.sock")), 8);
  assert.is(flagsOf(notifyProfile("/run/agent.sock", { flags: ["SECCOMP_FILTER_FLAG_TSYNC"] })), 8 | 1 | 16);
  assert.is(flagsOf(notifyProfile("/run/agent.sock", { flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] })), 8 | 32);
  // No NOTIFY rule: no listener, and WAIT_KILLABLE_RECV (meaningless then) is dropped.
  assert.is(flagsOf({ defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_LOG"] }), 2);
});

// ---- the init's side of the protocol, without a container ----------------------------------------

/** A filter that notifies mkdir and mkdirat (x86_64) and allows the rest, as the seccomp op's string. */
function notifyMkdirProgram(ops) {
  const insns = [[0x20, 0, 0, 0], [0x15, 2, 0, 83], [0x15, 1, 0, 258], [0x06, 0, 0, 0x7fff0000], [0x06, 0, 0, 0x7fc00000]];
  const bpf = new Uint8Array(insns.length * 8);
  const v = new DataView(bpf.buffer);
  insns.forEach(([code, jt, jf, k], i) => { v.setUint16(i * 8, code, true); bpf[i * 8 + 2] = jt; bpf[i * 8 + 3] = jf; v.setUint32(i * 8 + 4, k, true); });
  const placeholder = "S".repeat(bpf.length);
  const prog = nh.program(ops(placeholder));
  const enc = new TextEncoder().encode(placeholder);
  let at = -1;
  for (let i = 0; i + enc.length <= prog.length && at < 0; i++) {
    let k = 0;
    while (k < enc.length && prog[i + k] === enc[k]) k++;
    if (k === enc.length) at = i;
  }
  prog.set(bpf, at);
  return prog;
}

const isX64 = /x86_64|x64/.test(hostArch);
/** What a process's descriptors point to. */
function fdLinks(pid) {
  return readdirSync(`/proc/${pid}/fd`).map((n) => { try { return readlinkSync(`/proc/${pid}/fd/${n}`); } catch { return ""; } });
}
const nh = isX64 ? await import("../native/helpers.mjs") : null;

test("capsa-init: SYNC_SECCOMP_FD, then the listener (\"seccompFd\", SCM_RIGHTS); the process exec'd afterwards does not hold it", async () => {
  if (!isX64) return;
  const dir = nh.tmp();
  const seen = {};
  let answered = null;
  const r = await nh.runInit(notifyMkdirProgram((bpf) => [
    nh.op("seccomp", [8 /* NEW_LISTENER */], [bpf]),
    nh.exec(["/bin/busybox", "sh", "-c", `ls -l /proc/self/fd/ | grep -c 'seccomp notify'; mkdir ${dir}/x 2>&1; echo rc=$?`]),
  ]), {
    onSync: (tag, ctx) => {
      seen.tag = tag;
      const { fd, name } = ctx.sys.recvFd(ctx.parent);
      fds.push(fd);
      seen.name = name;
      seen.link = readlinkSync(`/proc/self/fd/${fd}`);
      // Until the ACK the init still holds its copy.
      seen.initHolds = fdLinks(ctx.pid).includes("anon_inode:seccomp notify");
      answered = answer(fd, 13);
      return 0;
    },
  });
  assert.is(seen.tag, nh.C.SYNC_SECCOMP_FD);
  assert.is(seen.name, "seccompFd");
  assert.is(seen.link, "anon_inode:seccomp notify");
  assert.ok(seen.initHolds);
  const n = await answered;
  assert.ok(MKDIR_NRS.includes(n.nr));
  assert.is(r.error, null);
  assert.equal(r.stdout.trim().split("\n"), ["0", `mkdir: can't create directory '${dir}/x': Permission denied`, "rc=1"]);
});

test("capsa-init: an errno in the ACK fails the seccomp op", async () => {
  if (!isX64) return;
  const r = await nh.runInit(notifyMkdirProgram((bpf) => [nh.op("seccomp", [8], [bpf]), nh.exec(["/bin/busybox", "true"])]), {
    onSync: (tag, ctx) => {
      sys.close(ctx.sys.recvFd(ctx.parent).fd);
      return 111; // ECONNREFUSED
    },
  });
  assert.equal([r.error.a, r.error.b], [0, 111]);
  assert.is(r.status.code, 1);
});

/** capsa spec's default config. */
function specConfig() {
  return defaultSpec();
}

test.run();
