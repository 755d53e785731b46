// The argv shapes containerd's runc shim and podman's conmon send, straight to capsa (no
// client needed): global --log/--log-format json, create --pid-file, exec --process --detach
// --pid-file, ps --format json, kill --all, delete of a created container, delete --force of a
// missing one, and the json error line the shim reads back.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { capsa, bundle, uniqueId, cleanupBundles, leaks, stateRoot } from "../lib/capsa.mjs";

let work;
const cleanups = [];
test.before.each(() => { work = mkdtempSync(join(tmpdir(), "capsa-test-argv-")); });
test.after.each(() => {
  while (cleanups.length) {
    try { cleanups.pop()(); } catch { /* best effort */ }
  }
  rmSync(work, { recursive: true, force: true });
  cleanupBundles();
  const l = leaks();
  assert.equal(l, [], "nothing leaks: " + l.join("; "));
});

function ok(r, what) {
  assert.is(r.status, 0, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
  return r.stdout;
}
const sleeper = () => bundle((c) => { c.process.args = ["sleep", "1000"]; });

test("global flags: unknown ones and missing values are usage errors (status 2), before any command runs", () => {
  let r = capsa(["--bogus", "state", "x"]);
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stderr, "capsa: unknown global flag --bogus\n");
  r = capsa(["--log"]);
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stderr, "capsa: global flag --log needs a value\n");
  // --root=DIR and --root DIR are the same; --version answers before the command.
  assert.match(ok(capsa(["--root=/nonexistent", "--version", "run", "x"]), "--version"), /^capsa version /);
});

test("the shim's create: --log FILE --log-format json create --bundle --pid-file; start; state; delete", () => {
  const id = uniqueId("shim");
  const b = sleeper();
  const log = join(work, "log.json"), pidFile = join(work, "init.pid");
  const g = ["--log", log, "--log-format", "json"];
  cleanups.push(() => capsa(["delete", "--force", id]));
  ok(capsa([...g, "create", "--bundle", b, "--pid-file", pidFile, id]), "create");
  const st = JSON.parse(ok(capsa([...g, "state", id]), "state"));
  for (const k of ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations"]) assert.ok(k in st, `state has ${k}`);
  assert.is(st.status, "created");
  assert.is(readFileSync(pidFile, "utf8").trim(), String(st.pid));
  ok(capsa([...g, "start", id]), "start");
  assert.is(JSON.parse(ok(capsa(["state", id]), "state")).status, "running");
  const ps = JSON.parse(ok(capsa(["ps", "--format", "json", id]), "ps --format json"));
  assert.ok(Array.isArray(ps) && ps.includes(st.pid), `ps lists the init: ${JSON.stringify(ps)}`);
  ok(capsa([...g, "kill", id, "9"]), "kill 9");
  ok(capsa([...g, "delete", id]), "delete");
  assert.not.ok(existsSync(join(stateRoot, id)));
});

test("delete of a created container kills its init without --force (runc)", () => {
  const id = uniqueId("created");
  cleanups.push(() => capsa(["delete", "--force", id]));
  ok(capsa(["create", "--bundle", sleeper(), id]), "create");
  const pid = JSON.parse(ok(capsa(["state", id]), "state")).pid;
  ok(capsa(["delete", id]), "delete");
  assert.not.ok(existsSync(`/proc/${pid}/stat`) && !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8")), "the init is gone");
});

test("delete of a running container without --force is refused; delete --force of a missing one succeeds", () => {
  const id = uniqueId("running");
  cleanups.push(() => capsa(["delete", "--force", id]));
  ok(capsa(["run", "--detach", "--bundle", sleeper(), id]), "run -d");
  const r = capsa(["delete", id]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /running/);
  ok(capsa(["delete", "--force", id]), "delete --force");
  ok(capsa(["delete", "--force", id]), "delete --force of a missing container");
});

test("conmon's exec: exec --process FILE --detach --pid-file; kill --all", () => {
  const id = uniqueId("exec");
  cleanups.push(() => capsa(["delete", "--force", id]));
  ok(capsa(["run", "--detach", "--bundle", sleeper(), id]), "run -d");
  const proc = JSON.parse(readFileSync(join(JSON.parse(ok(capsa(["state", id]), "state")).bundle, "config.json"), "utf8")).process;
  proc.args = ["sleep", "1001"];
  const pf = join(work, "process.json"), pidFile = join(work, "exec.pid");
  writeFileSync(pf, JSON.stringify(proc));
  ok(capsa(["exec", "--process", pf, "--detach", "--pid-file", pidFile, id]), "exec --process --detach");
  const epid = Number(readFileSync(pidFile, "utf8"));
  assert.match(readFileSync(`/proc/${epid}/cmdline`, "utf8"), /^sleep\x001001/);
  assert.ok(JSON.parse(ok(capsa(["ps", "--format", "json", id]), "ps")).includes(epid));
  ok(capsa(["kill", "--all", id, "KILL"]), "kill --all");
  ok(capsa(["delete", "--force", id]), "delete --force");
});

test("a failure is the last json line of --log, {level: error, msg}", () => {
  const log = join(work, "log.json");
  const r = capsa(["--log", log, "--log-format", "json", "start", "no-such-container"]);
  assert.is(r.status, 1);
  const last = JSON.parse(readFileSync(log, "utf8").trim().split("\n").pop());
  assert.is(last.level, "error");
  assert.match(last.msg, /no-such-container/);
  assert.ok(last.time);
});

test("a missing executable fails create with runc's message, and nothing is created", () => {
  const id = uniqueId("missing");
  cleanups.push(() => capsa(["delete", "--force", id]));
  for (const [cmd, msg] of [["no-such-command", /exec: "no-such-command": executable file not found in \$PATH/], ["/no/such/file", /exec: "\/no\/such\/file": stat \/no\/such\/file: no such file or directory/]]) {
    const r = capsa(["create", "--bundle", bundle((c) => { c.process.args = [cmd]; }), id]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, msg);
    assert.not.ok(existsSync(join(stateRoot, id)));
  }
  const denied = capsa(["create", "--bundle", bundle((c) => { c.process.args = ["/etc/passwd"]; }), id]);
  assert.is(denied.status, 1, denied.stderr);
  assert.match(denied.stderr, /exec: "\/etc\/passwd": permission denied \[EACCES\] \(\/process\/args\/0, looked up in the container\)/);
  assert.not.ok(existsSync(join(stateRoot, id)));
  // Found through PATH, through a symlink inside the rootfs, and relative to the cwd.
  for (const [args, cwd] of [[["true"], "/"], [["/bin/true"], "/"], [["./true"], "/bin"], [["../bin/true"], "/tmp"]]) {
    const r = capsa(["run", "--bundle", bundle((c) => { c.process.args = args; c.process.cwd = cwd; }), uniqueId("found")]);
    assert.is(r.status, 0, `${args} in ${cwd}: ${r.stderr}`);
  }
  // The lookup runs in the container: it sees what a mount brings, by path and through PATH.
  const tools = mkdtempSync(join(tmpdir(), "capsa-tools-"));
  cleanups.push(() => rmSync(tools, { recursive: true, force: true }));
  writeFileSync(join(tools, "tool"), "#!/bin/sh\nexit 3\n", { mode: 0o755 });
  const mounted = (c) => { c.mounts.push({ destination: "/opt/tools", type: "bind", source: tools, options: ["rbind", "ro"] }); };
  for (const [args, env] of [[["/opt/tools/tool"], []], [["tool"], ["PATH=/opt/tools:/bin"]]]) {
    const r = capsa(["run", "--bundle", bundle((c) => { mounted(c); c.process.args = args; c.process.env = env; }), uniqueId("mounted")]);
    assert.is(r.status, 3, `${args}: ${r.stderr}`);
  }
});

test("exec of a missing executable into a running container: runc's message, and the container runs on", () => {
  const id = uniqueId("execmissing");
  cleanups.push(() => capsa(["delete", "--force", id]));
  const r = capsa(["run", "-d", "--bundle", bundle((c) => { c.process.args = ["sleep", "1000"]; }), id]);
  assert.is(r.status, 0, r.stderr);
  const x = capsa(["exec", id, "no-such-command"]);
  assert.is.not(x.status, 0);
  assert.match(x.stderr, /exec: "no-such-command": executable file not found in \$PATH/);
  assert.match(capsa(["state", id]).stdout, /"status": "running"/);
  assert.is(capsa(["exec", id, "true"]).status, 0);
});

test.run();
