// The lifecycle rules in the core: status derived from observations, and which operations
// each status allows. Also the signal-name parser and the shared tables.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { call } from "../lib/core.mjs";

// A real /proc/PID/stat line shape; comm may hold spaces and parentheses.
const stat = (state, start, comm = "sh") =>
  `4242 (${comm}) ${state} 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 ${start} 1753088 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

test("no process, or a zombie, is stopped", () => {
  assert.is(call("status", JSON.stringify({ stat: null, startTime: "100", fifo: true })).json.status, "stopped");
  assert.is(call("status", JSON.stringify({ stat: stat("Z", 100), startTime: "100", fifo: false })).json.status, "stopped");
});

test("a reused pid (another start time) is stopped", () => {
  const r = call("status", JSON.stringify({ stat: stat("S", 999), startTime: "100", fifo: false })).json;
  assert.is(r.status, "stopped");
  assert.match(r.reason, /reused/);
});

test("exec fifo present → created; absent → running; frozen → paused; freezing → pausing", () => {
  const s = (o) => call("status", JSON.stringify({ stat: stat("S", 100), startTime: "100", ...o })).json.status;
  assert.is(s({ fifo: true }), "created");
  assert.is(s({ fifo: false }), "running");
  assert.is(s({ fifo: false, freezer: "FROZEN" }), "paused");
  assert.is(s({ fifo: false, freezer: "FREEZING" }), "pausing");
  assert.is(s({ fifo: false, freezer: "THAWED" }), "running");
});

test("the start time is parsed past a comm with spaces and parentheses", () => {
  const r = call("status", JSON.stringify({ stat: stat("S", 31337, "we ird) (name"), startTime: "31337", fifo: false })).json;
  assert.is(r.status, "running");
  assert.is(r.startTime, "31337");
  assert.is(r.procState, "S");
});

test("malformed observations are rejected, not trapped on", () => {
  assert.is(call("status", "[1,2").status, 1);
  assert.is(call("status", "[]").status, 1);
  assert.is(call("status", JSON.stringify({ stat: "garbage", fifo: true })).json.status, "stopped");
});

const matrix = {
  start: ["created"],
  pause: ["running"],
  resume: ["paused"],
  exec: ["running"],
  kill: ["created", "running", "paused"],
  delete: ["stopped", "created"],
};
const statuses = ["created", "running", "pausing", "paused", "stopped"];

test("which operations each status allows", () => {
  for (const [op, allowed] of Object.entries(matrix)) {
    for (const st of statuses) {
      const r = call("check", JSON.stringify({ op, status: st }));
      const want = allowed.includes(st);
      assert.is(r.json.allowed, want, `${op} from ${st}`);
      assert.is(r.status, want ? 0 : 1);
      if (!want) {
        assert.is(r.json.code, `lifecycle.${op}.${st}`);
        assert.match(r.json.message, new RegExp(`cannot ${op} a container that is ${st}`));
      }
    }
  }
});

test("delete --force is allowed from every status", () => {
  for (const st of statuses) assert.ok(call("check", JSON.stringify({ op: "delete", status: st, force: true })).json.allowed);
});

test("unknown operations and statuses are refused with a code", () => {
  assert.is(call("check", JSON.stringify({ op: "teleport", status: "running" })).json.code, "lifecycle.op.unknown");
  assert.is(call("check", JSON.stringify({ op: "start", status: "asleep" })).json.code, "lifecycle.status.unknown");
});

test("signal names with or without SIG, numbers, and real-time offsets", () => {
  const sig = (name) => call("signal", JSON.stringify({ name })).json.signal;
  assert.is(sig("KILL"), 9);
  assert.is(sig("SIGKILL"), 9);
  assert.is(sig("sigterm"), 15);
  assert.is(sig("15"), 15);
  assert.is(sig("SIGRTMIN+2"), 36);
  assert.is(sig("RTMAX-1"), 63);
  assert.is(sig("WINCH"), 28);
  for (const bad of ["SIGNOPE", "0", "65", "RTMIN+40", "", "-1"]) {
    const r = call("signal", JSON.stringify({ name: bad }));
    assert.is(r.status, 1, bad);
    assert.ok(r.json.error, bad);
  }
});

test("tables: errno names, capabilities, signals, rlimits agree with Linux", () => {
  const t = call("tables", "{}").json;
  const errno = Object.fromEntries(t.errno.map((e) => [e.name, e.n]));
  assert.is(errno.EPERM, 1);
  assert.is(errno.ENOENT, 2);
  assert.is(errno.EAGAIN, 11);
  assert.is(errno.ENOSYS, 38);
  assert.is(errno.EOPNOTSUPP, 95);
  assert.is(t.capabilities.indexOf("CAP_SYS_ADMIN"), 21);
  assert.is(t.capabilities.indexOf("CAP_CHECKPOINT_RESTORE"), 40);
  assert.is(t.signals[8], "SIGKILL");
  assert.is(t.rlimits.indexOf("RLIMIT_NOFILE"), 7);
  assert.equal(t.statuses, statuses);
});

test.run();
