// Sys itself: the real backend's error reporting and asynchronous calls, and the recording fake.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { host } from "../lib/host.mjs";
import * as h from "./helpers.mjs";

const { sys, sysMod, errno } = h;
const { FakeSys } = await host("sys_fake");
const native = await host("sys_native");

test.after(() => h.cleanupTmp());

test("loadSys picks this runtime's backend once per library", async () => {
  assert.is(await sysMod.loadSys(), sys);
  assert.ok(sysMod.libPath().endsWith(globalThis.Deno ? "/libcapsa.so" : "/capsa.node"), sysMod.libPath());
  assert.ok(sysMod.initPath().endsWith("/capsa-init"));
});

test("native-syscalls/gen/addon_entries.h matches host/sys_native.ts", () => {
  const r = spawnSync("node", [h.root + "/scripts/gen-addon.mjs", "--check"], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
});

test("the Node addon exports the Deno symbol table's functions with the same arguments", () => {
  const addon = createRequire(import.meta.url)(sysMod.nativePath("capsa.node"));
  const letter = { i32: "i", u64: "u", buffer: "b" };
  const want = Object.fromEntries(Object.entries(native.SYMBOLS).map(([name, d]) =>
    [name, d.parameters.map((p) => letter[p]).join("") + (d.nonblocking ? "*" : "")]));
  assert.equal(addon.signatures, want);
  for (const name of Object.keys(want)) assert.type(addon[name], "function", name);
  // Arguments are checked, and the error names the function.
  assert.throws(() => addon.capsa_close("3"), (e) => e instanceof TypeError && e.message === "capsa_close: expected a number");
  assert.throws(() => addon.capsa_kill(1), (e) => e.message === "capsa_kill: wrong number of arguments");
  assert.throws(() => addon.capsa_open({}, 0, 0), (e) => e.message === "capsa_open: expected a typed array or null");
  const fds = new Int32Array(2);
  assert.is(addon.capsa_pipe(fds), 0);
  assert.ok(fds[0] > 2 && fds[1] > 2);
  assert.is(addon.capsa_close(fds[0]), 0);
  assert.is(addon.capsa_close(fds[1]), 0);
  assert.is(addon.capsa_close(fds[1]), -errno.EBADF);
});

test("errors are SysErrors with the call, the errno and its name from the core", () => {
  assert.throws(() => sys.open("/nonexistent/capsa", sysMod.O_RDONLY), (e) =>
    e instanceof sysMod.SysError && e.call === "open" && e.errno === errno.ENOENT && e.code === "ENOENT" &&
    e.message === "open /nonexistent/capsa: ENOENT (No such file or directory)");
  assert.throws(() => sys.close(-1), (e) => e.code === "EBADF");
  assert.throws(() => sys.wait(1), (e) => e.code === "ECHILD");
  assert.throws(() => sys.kill(0x3fffffff, 0), (e) => e.code === "ESRCH");
  assert.is(new sysMod.SysError("x", 99999).message, "x: errno 99999");
});

test("open, write, read, close, mkfifo, poll", () => {
  const dir = h.tmp();
  const fd = sys.open(dir + "/f", sysMod.O_RDWR | sysMod.O_CREAT | sysMod.O_EXCL, 0o600);
  assert.is(sys.write(fd, new TextEncoder().encode("hello")), 5);
  sys.close(fd);
  assert.is(readFileSync(dir + "/f", "utf8"), "hello");
  assert.is(statSync(dir + "/f").mode & 0o777, 0o600);
  const r = sys.open(dir + "/f", sysMod.O_RDONLY);
  const buf = new Uint8Array(16);
  assert.is(sys.read(r, buf), 5);
  assert.is(sys.read(r, buf), 0);
  sys.close(r);
  sys.mkfifo(dir + "/p", 0o600);
  assert.ok(statSync(dir + "/p").isFIFO());
  const [a, b] = sys.socketpair();
  assert.is(sys.poll(a, sysMod.POLLIN, 0), 0);
  sys.write(b, new Uint8Array([1, 2, 3]));
  assert.is(sys.poll(a, sysMod.POLLIN, 1000) & sysMod.POLLIN, sysMod.POLLIN);
  assert.is(sys.read(a, buf), 3, "one message, its own length");
  sys.close(b);
  assert.is(sys.read(a, buf), 0, "end of file once the peer is gone");
  sys.close(a);
});

test("the init's memfd is sealed and close-on-exec", () => {
  const fd = sys.initFd();
  try {
    const link = h.readlinkSync(`/proc/self/fd/${fd}`);
    assert.match(link, /^\/memfd:capsa-init/);
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    const flags = parseInt(info.match(/^flags:\s+([0-7]+)$/m)[1], 8);
    assert.ok(flags & 0o2000000, "O_CLOEXEC");
    assert.throws(() => writeFileSync(`/proc/self/fd/${fd}`, "x"));
    assert.is(statSync(`/proc/self/fd/${fd}`).size, statSync(sysMod.initPath()).size);
  } finally {
    sys.close(fd);
  }
});

test("cgroupPrimeAsync writes now and every period until stopped, or until its limit", async () => {
  const dir = h.tmp();
  const file = dir + "/procs";
  writeFileSync(file, "x");
  // Stopped by closing the pipe's write end, after about 30 ms of 2 ms periods.
  let [r, w] = sys.pipe();
  const t0 = Date.now();
  const pending = sys.cgroupPrimeAsync(file, r, 2, 10_000);
  await new Promise((res) => setTimeout(res, 30));
  sys.close(w);
  const n = await pending;
  sys.close(r);
  assert.ok(n >= 3 && n <= 40, `writes: ${n}`);
  assert.ok(Date.now() - t0 < 2000, "ended when stopped");
  assert.is(readFileSync(file, "utf8"), "0", "each write is one \"0\" at the start of the file");
  // Never stopped: it ends by itself after maxMs.
  [r, w] = sys.pipe();
  const n2 = await sys.cgroupPrimeAsync(file, r, 2, 20);
  assert.ok(n2 >= 2 && n2 <= 12, `writes: ${n2}`);
  sys.close(r);
  sys.close(w);
  // The first write's error is the result.
  [r, w] = sys.pipe();
  let err = null;
  try { await sys.cgroupPrimeAsync(dir + "/missing", r, 2, 20); } catch (e) { err = e; }
  assert.is(err?.code, "ENOENT");
  sys.close(r);
  sys.close(w);
});

test("readAsync and waitAsync leave the event loop running", async () => {
  const [a, b] = sys.socketpair();
  const buf = new Uint8Array(16);
  const pending = sys.readAsync(a, buf);
  let ticked = false;
  await new Promise((res) => setTimeout(() => { ticked = true; res(); }, 20));
  assert.ok(ticked, "a timer fired while the read was blocked");
  sys.write(b, new Uint8Array([7]));
  assert.is(await pending, 1);
  assert.is(buf[0], 7);
  sys.close(a);
  sys.close(b);
  let err = null;
  try { await sys.waitAsync(1); } catch (e) { err = e; }
  assert.is(err?.code, "ECHILD");
});

test("pidfdOpen and pidfdSendSignal reach a process; the child is reaped with its signal", async () => {
  const [a, b] = sys.socketpair();
  const ifd = sys.initFd();
  const { pid, pidfd } = sys.spawn({ initFd: ifd, syncFd: b });
  sys.close(b);
  sys.close(ifd);
  // capsa-init waits for its program: signal it instead.
  const fd2 = sys.pidfdOpen(pid);
  sys.pidfdSendSignal(fd2, 9);
  const st = await sys.waitAsync(pid);
  assert.equal([st.pid, st.code, st.signal], [pid, null, 9]);
  assert.equal(h.children(), [], "nothing else to reap");
  sys.close(fd2);
  sys.close(pidfd);
  sys.close(a);
});

test("decodeWait", () => {
  assert.equal(sysMod.decodeWait(5, 0x0100), { pid: 5, status: 0x100, code: 1, signal: null });
  assert.equal(sysMod.decodeWait(5, 9), { pid: 5, status: 9, code: null, signal: 9 });
  assert.equal(sysMod.decodeWait(5, 0x137f), { pid: 5, status: 0x137f, code: null, signal: null });
});

test("FakeSys records calls and plays scripted results", async () => {
  const f = new FakeSys();
  const [p, c] = f.socketpair();
  f.script("spawn", { pid: 42, pidfd: 9 });
  f.script("read", h.encodeMsg(h.C.MSG_READY), 0);
  f.fail("open", errno.EACCES);
  f.script("wait", (pid) => sysMod.decodeWait(pid, 0x0200));
  assert.equal(f.spawn({ initFd: 3, syncFd: c }), { pid: 42, pidfd: 9 });
  const buf = new Uint8Array(16);
  assert.is(f.read(p, buf), 16);
  assert.is(h.decodeMsg(buf).type, h.C.MSG_READY);
  assert.is(f.read(p, buf), 0);
  assert.throws(() => f.open("/x", 0), (e) => e.code === "EACCES" && e.message === "open: EACCES (Permission denied)");
  assert.is(f.open("/y", 0) >= 100, true, "then the default");
  assert.is(f.wait(42).code, 2);
  assert.is(f.wait(43).code, 0);
  assert.is(await f.readAsync(p, buf), 0);
  assert.equal(f.names(), ["socketpair", "spawn", "read", "read", "open", "open", "wait", "wait", "readAsync"]);
  assert.equal(f.callsOf("open"), [["/x", 0, 0o644], ["/y", 0, 0o644]]);
  assert.equal(f.callsOf("spawn")[0][0].syncFd, c);
});

test.run();
