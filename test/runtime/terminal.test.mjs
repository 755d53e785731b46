// Terminals as runc does them: process.terminal with --console-socket (the init's pty master
// arrives over the socket as runc sends it), exec -t, and the foreground proxy of run and exec.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import { capsa, bundle, uniqueId, cleanupBundles, leaks, bin, stateRoot } from "../lib/capsa.mjs";
import { plan } from "../lib/plan-core.mjs";
import { host } from "../lib/host.mjs";

const sysMod = await host("sys");
const sys = await sysMod.loadSys();
const enc = new TextEncoder();
const dec = new TextDecoder();

const cleanups = [];
test.after.each(() => {
  while (cleanups.length) {
    try { cleanups.pop()(); } catch { /* best effort */ }
  }
  cleanupBundles();
  const l = leaks();
  assert.equal(l, [], "nothing leaks: " + l.join("; "));
});

function ok(r, what = "") {
  assert.is(r.status, 0, `${what} exit ${r.status}, stderr: ${r.stderr}`);
  return r.stdout;
}

/** A unix socket listening in a fresh directory, closed and removed after the test. */
function listen() {
  const dir = mkdtempSync(join(tmpdir(), "capsa-console-"));
  const path = join(dir, "console.sock");
  const fd = sys.listenUnix(path);
  cleanups.push(() => { sys.close(fd); rmSync(dir, { recursive: true, force: true }); });
  return { path, fd };
}

/** Accepts the runtime's connection and receives the master it carries. */
function receiveMaster(l) {
  assert.ok(sys.poll(l.fd, sysMod.POLLIN, 10_000) & sysMod.POLLIN, "the runtime connected");
  const conn = sys.accept(l.fd);
  try {
    assert.ok(sys.poll(conn, sysMod.POLLIN, 10_000) & sysMod.POLLIN, "a message arrived");
    const m = sys.recvFd(conn);
    cleanups.push(() => sys.close(m.fd));
    return m;
  } finally {
    sys.close(conn);
  }
}

/** Reads the pty master until `done(text)` holds, its peer is gone (EIO) or time runs out. */
function readUntil(fd, done = () => false, timeoutMs = 10_000) {
  const buf = new Uint8Array(4096);
  const end = Date.now() + timeoutMs;
  let out = "";
  while (!done(out) && Date.now() < end) {
    if (!(sys.poll(fd, sysMod.POLLIN, Math.max(1, end - Date.now())) & (sysMod.POLLIN | sysMod.POLLHUP))) continue;
    let n;
    try {
      n = sys.read(fd, buf);
    } catch (e) {
      if (e.code === "EIO") break; // every peer of the pty is closed
      throw e;
    }
    if (n === 0) break;
    out += dec.decode(buf.subarray(0, n));
  }
  return out;
}

const lineOf = (out) => out.split(/\r?\n/).map((l) => l.replace(/\r$/, ""));

async function waitStopped(id) {
  for (let i = 0; i < 500; i++) {
    const r = capsa(["state", id]);
    if (r.status === 0 && JSON.parse(r.stdout).status === "stopped") return;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.unreachable(`container ${id} did not stop`);
}

/**
 * Runs `cmd` (a shell line) under script(1), which gives it a pseudo-terminal as its stdin and
 * stdout; once the output matches `prompt`, writes `input`. Resolves with the exit status and
 * everything written to the terminal.
 */
function scripted(cmd, input, prompt = /# /, timeoutMs = 30_000) {
  const env = { ...process.env, SHELL: "/bin/sh" };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn("script", ["-qec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], env });
  let out = "", sent = false;
  const onData = (d) => {
    out += d;
    if (!sent && prompt.test(out)) {
      sent = true;
      child.stdin.write(input);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((res) => child.on("close", (status, signal) => {
    clearTimeout(timer);
    child.stdin.destroy();
    res({ status, signal, out });
  }));
}

const shell = (c) => {
  c.process.terminal = true;
  c.process.args = ["sh"];
};

// ---- the plan ---------------------------------------------------------------------------------

test("plan: with a console socket, setsid and the console op follow the pivot; exec gets no /dev/console", () => {
  const cfg = {
    ociVersion: "1.2.0", root: { path: "rootfs", readonly: true },
    process: { terminal: true, consoleSize: { height: 24, width: 80 }, cwd: "/", args: ["sh"], user: { uid: 1000, gid: 1000 } },
    linux: { namespaces: [{ type: "mount" }, { type: "pid" }] },
  };
  const j = plan(cfg, { consoleFd: 3 }).json;
  assert.ok(j.valid, JSON.stringify(j.diagnostics));
  const names = j.ops.map((o) => o.op);
  assert.equal(names.filter((n) => n === "setsid").length, 1, "one session");
  const at = (n) => names.indexOf(n);
  assert.ok(at("pivot_root") < at("setsid") && at("setsid") === at("console") - 1, names.join(" "));
  assert.ok(at("console") < at("remount_root"), "before the root is made read-only");
  const con = j.ops[at("console")];
  assert.equal(con.ints, [3, 24, 80, 1, 1000]);
  assert.is(con.pointer, "/process/terminal");
  assert.ok(!j.diagnostics.some((d) => d.code === "process.terminal.console"));
  assert.equal(j.ops[names.length - 1].ints.slice(3), [0], "exec keeps no descriptor: the socket is closed on exec");

  // Without a socket: no pty, a warning, the session where it was.
  const w = plan(cfg).json;
  assert.is(w.ops.filter((o) => o.op === "console").length, 0);
  assert.ok(w.diagnostics.some((d) => d.code === "process.terminal.console" && d.severity === "warning"));
  // No terminal: the socket is not used.
  assert.is(plan({ ...cfg, process: { ...cfg.process, terminal: false } }, { consoleFd: 3 }).json.ops.filter((o) => o.op === "console").length, 0);

  // The socket sits above the preserved descriptors.
  assert.is(plan(cfg, { preserveFds: 2, consoleFd: 4 }).status, 1);
  assert.match(plan(cfg, { preserveFds: 2, consoleFd: 4 }).text, /consoleFd/);
  const p = plan(cfg, { preserveFds: 2, consoleFd: 5 }).json;
  assert.is(p.ops.find((o) => o.op === "console").ints[0], 5);
  assert.is(p.ops[p.ops.length - 1].ints[3], 2, "exec keeps 3 and 4 only");

  const e = plan(cfg, { execPid: 1, consoleFd: 3, fifo: null, process: { ...cfg.process, args: ["sh"] } }).json;
  assert.ok(e.valid, JSON.stringify(e.diagnostics));
  const en = e.ops.map((o) => o.op);
  assert.is(en[en.indexOf("setsid") + 1], "console");
  assert.equal(e.ops[en.indexOf("console")].ints, [3, 24, 80, 0, 1000]);
});

// ---- --console-socket -------------------------------------------------------------------------

test("create --console-socket: the master arrives as runc sends it; a shell talks through it at consoleSize", async () => {
  const l = listen();
  const dir = bundle((c) => {
    shell(c);
    c.process.consoleSize = { height: 30, width: 100 };
  });
  const id = uniqueId("tty");
  ok(capsa(["create", "--bundle", dir, "--console-socket", l.path, id]), "create");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const m = receiveMaster(l);
  assert.is(m.name, "/dev/ptmx", "runc's framing: the data is the pty's name");
  const info = readFileSync(`/proc/self/fdinfo/${m.fd}`, "utf8");
  assert.ok(parseInt(info.match(/^flags:\s+([0-7]+)$/m)[1], 8) & 0o2000000, "received close-on-exec");
  ok(capsa(["start", id]), "start");
  sys.write(m.fd, enc.encode("echo $((6*7)); tty; stty size; ls -l /dev/console; echo ctty > /dev/tty; exit 3\n"));
  const out = readUntil(m.fd);
  const lines = lineOf(out);
  assert.ok(lines.includes("42"), out);
  assert.ok(lines.includes("/dev/pts/0"), out);
  assert.ok(lines.includes("30 100"), out);
  assert.ok(lines.includes("ctty"), "/dev/tty is the controlling terminal: " + out);
  assert.match(out, /^c.* 136,\s+0 .*\/dev\/console/m, "the pty is bound over /dev/console");
  await waitStopped(id);
  ok(capsa(["delete", id]), "delete");
});

test("run -d --console-socket: the container's process has the terminal; capsa has gone", async () => {
  const l = listen();
  const dir = bundle(shell);
  const id = uniqueId("tty");
  ok(capsa(["run", "-d", "--bundle", dir, "--console-socket", l.path, id]), "run -d");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const m = receiveMaster(l);
  sys.write(m.fd, enc.encode("test -t 0 && test -t 1 && test -t 2 && echo all-ttys; exit\n"));
  assert.ok(lineOf(readUntil(m.fd)).includes("all-ttys"));
  await waitStopped(id);
  ok(capsa(["delete", id]), "delete");
});

test("exec -t -d --console-socket: its own pty, owned by its user, its controlling terminal, no /dev/console", async () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "300"]; });
  const id = uniqueId("tty");
  ok(capsa(["run", "-d", "--bundle", dir, id]), "run -d");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const l = listen();
  ok(capsa(["exec", "-t", "-d", "--console-socket", l.path, "-u", "1000:1000", id, "sh"]), "exec");
  const m = receiveMaster(l);
  assert.is(m.name, "/dev/ptmx");
  sys.write(m.fd, enc.encode([
    "id -u", "tty", "ls -ln $(tty) | cut -c1-30", "s=$(cut -d' ' -f6 /proc/$$/stat); [ \"$s\" = \"$$\" ] && echo session-leader",
    "echo ctty > /dev/tty", "test -e /dev/console || echo no-console", "exit 4",
  ].join("; ") + "\n"));
  const out = readUntil(m.fd);
  const lines = lineOf(out);
  assert.ok(lines.includes("1000"), out);
  assert.ok(lines.includes("/dev/pts/0"), out);
  assert.match(out, /^crw--w----\s+1 1000\s/m, "the process's user owns its terminal");
  for (const w of ["session-leader", "ctty", "no-console"]) assert.ok(lines.includes(w), w + ": " + out);
  ok(capsa(["delete", "--force", id]), "delete");
});

test("runc's rules: a detached terminal needs --console-socket, which needs a detached terminal", () => {
  const l = listen();
  const id = uniqueId("tty");
  const term = bundle(shell);
  const plain = bundle();
  let r = capsa(["create", "--bundle", term, id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /terminal.*--console-socket/);
  r = capsa(["run", "-d", "--bundle", term, id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--console-socket/);
  r = capsa(["create", "--bundle", plain, "--console-socket", l.path, id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--console-socket needs process.terminal/);
  r = capsa(["run", "--bundle", term, "--console-socket", l.path, id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /detached/);
  r = capsa(["create", "--bundle", term, "--console-socket", l.path + ".missing", id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /cannot connect to the console socket .*ENOENT/);
  assert.is(capsa(["state", id]).status, 1, "nothing was created");

  ok(capsa(["run", "-d", "--bundle", bundle((c) => { c.process.args = ["sleep", "300"]; }), id]), "run -d");
  cleanups.push(() => capsa(["delete", "--force", id]));
  r = capsa(["exec", "-t", "-d", id, "true"]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--console-socket/);
  r = capsa(["exec", "-d", "--console-socket", l.path, id, "true"]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--console-socket needs process.terminal/);
  ok(capsa(["delete", "--force", id]), "delete");
});

// ---- the foreground proxy -----------------------------------------------------------------------

test("run in the foreground proxies the caller's terminal (script(1)'s) and restores it", async () => {
  const dir = bundle((c) => {
    shell(c);
    c.process.consoleSize = { height: 30, width: 100 };
  });
  const id = uniqueId("tty");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const cmd = `stty -g; ${bin} --root ${stateRoot} run --bundle ${dir} ${id}; echo "exit=$?"; stty -g`;
  const r = await scripted(cmd, "echo $((6*7)); tty; stty size; exit 3\n");
  const lines = lineOf(r.out);
  assert.ok(lines.includes("42"), r.out);
  assert.ok(lines.includes("/dev/pts/0"), r.out);
  assert.ok(lines.includes("30 100"), "script's terminal has no size: consoleSize stays: " + r.out);
  assert.ok(lines.includes("exit=3"), "the process's exit status: " + r.out);
  const settings = lines.filter((s) => /^[0-9a-f]+(:[0-9a-f]+){10,}$/.test(s));
  assert.is(settings.length, 2, r.out);
  assert.is(settings[0], settings[1], "the caller's terminal is as it was");
  assert.is(r.status, 0);
  assert.is(capsa(["state", id]).status, 1, "run deleted the container");
});

test("the caller's window size reaches the container, at the start and on SIGWINCH", async () => {
  const flags = mkdtempSync(join(tmpdir(), "capsa-console-"));
  cleanups.push(() => rmSync(flags, { recursive: true, force: true }));
  const dir = bundle((c) => {
    shell(c);
    c.process.consoleSize = { height: 30, width: 100 };
    c.mounts.push({ destination: "/tmp", type: "bind", source: flags, options: ["rbind"] });
  });
  const id = uniqueId("tty");
  cleanups.push(() => capsa(["delete", "--force", id]));
  // Once the container says so, a job in script's session resizes its terminal: the kernel
  // sends SIGWINCH to capsa, which passes the new size on to the container's pty.
  const resizer = `(while [ ! -e ${flags}/go ]; do sleep 0.05; done; stty -F /dev/tty rows 50 cols 132) &`;
  const cmd = `stty rows 40 cols 120; ${resizer} ${bin} --root ${stateRoot} run --bundle ${dir} ${id}; echo "exit=$?"; wait`;
  const input = "echo size=$(stty size); touch /tmp/go; i=0; while [ \"$(stty size)\" != \"50 132\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo size=$(stty size); exit 3\n";
  const r = await scripted(cmd, input);
  const sizes = lineOf(r.out).filter((l) => l.startsWith("size="));
  assert.equal(sizes, ["size=40 120", "size=50 132"], r.out);
  assert.ok(lineOf(r.out).includes("exit=3"), r.out);
});

test("exec -t in the foreground proxies too, and passes the exit status on", async () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "300"]; });
  const id = uniqueId("tty");
  ok(capsa(["run", "-d", "--bundle", dir, id]), "run -d");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const r = await scripted(`${bin} --root ${stateRoot} exec -t ${id} sh`, "tty; echo ctty > /dev/tty; exit 5\n");
  const lines = lineOf(r.out);
  assert.ok(lines.includes("/dev/pts/0"), r.out);
  assert.ok(lines.includes("ctty"), r.out);
  assert.is(r.status, 5, r.out);
  ok(capsa(["delete", "--force", id]), "delete");
});

test("exec -t with piped stdin: the input still reaches the process through its terminal", () => {
  const dir = bundle((c) => { c.process.args = ["sleep", "300"]; });
  const id = uniqueId("tty");
  ok(capsa(["run", "-d", "--bundle", dir, id]), "run -d");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const r = capsa(["exec", "-t", id, "sh", "-c", "read x; tty; echo got=$x; exit 6"], { input: "hello\n" });
  assert.is(r.status, 6, r.stderr);
  const lines = lineOf(r.stdout);
  assert.ok(lines.includes("/dev/pts/0"), r.stdout);
  assert.ok(lines.includes("got=hello"), r.stdout);
  ok(capsa(["delete", "--force", id]), "delete");
});

test.run();
