// cgroups enforced by the kernel on this machine's v1 controllers (and v2 where it can be):
// memory and pids limits, cpu quota, cpusets, device rules, freezer, update, events, ps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, existsSync, mkdirSync, rmdirSync, writeFileSync, statSync, mkdtempSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { capsa, capsaAsync, bundle, runSh, uniqueId, cleanupBundles, leaks, checkEachTest, stateRoot, RUNTIME_MEMO, containerCgroupDir, ownCgroupDirs } from "../lib/capsa.mjs";
import { host } from "../lib/host.mjs";

const created = checkEachTest(test, assert);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function ok(r, what) {
  assert.is(r.status, 0, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
  return r.stdout;
}
function runDetached(edit) {
  const id = uniqueId("cg");
  ok(capsa(["run", "-d", "--bundle", bundle(edit), id]), "run -d");
  created.add(id);
  return id;
}
const cg = (ctrl, id, file) => readFileSync(`${containerCgroupDir(ctrl, id)}/${file}`, "utf8").trim();
const state = (id) => JSON.parse(ok(capsa(["state", id]), "state"));

test("memory.limit 32 MiB: allocating 64 MiB is OOM-killed, and events reports it", async () => {
  const id = runDetached((c) => {
    c.process.args = ["sleep", "30"];
    c.linux.resources = { memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
  });
  assert.is(cg("memory", id, "memory.limit_in_bytes"), String(32 * 1024 * 1024));
  const ev = capsaAsync(["events", "--interval", "100ms", id]);
  // The allocation runs in a subshell that makes itself and its children the OOM killer's
  // first choices (oom_score_adj 1000), so whatever the kernel kills, even twice in a row, is
  // the allocation, never the reporting shell or the container's init. It waits a second first,
  // so `events` has taken its first sample before the kill.
  const r = capsa(["exec", id, "sh", "-c", "sleep 1; (echo 1000 > /proc/self/oom_score_adj; head -c 64m /dev/zero | tail -c 60m > /dev/null); echo rc=$?"]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^rc=137$/m, "the allocating process died of SIGKILL");
  const stats = JSON.parse(ok(capsa(["events", "--stats", id]), "events --stats"));
  assert.is(stats.type, "stats");
  assert.is(stats.data.memory.usage.limit, 32 * 1024 * 1024);
  assert.ok(stats.data.memory.events.oom_kill >= 1, "oom_kill counted: " + JSON.stringify(stats.data.memory.events));
  assert.is(state(id).status, "running", "the init survived");
  for (let i = 0; i < 40 && !/"type":"oom"/.test(readEvents(ev)); i++) await sleep(50);
  ok(capsa(["delete", "--force", id]), "delete");
  created.delete(id);
  const done = await ev.done;
  assert.match(done.stdout, new RegExp(`^\\{"type":"oom","id":"${id}"\\}$`, "m"));
  assert.match(done.stdout, /^\{"type":"stats"/m);
});

function readEvents(ev) {
  return ev.child.exitCode === null ? "" : "done";
}

test("pids.limit 16 stops a fork loop", async () => {
  const id = runDetached((c) => {
    // The loop runs in a subshell (a shell may give up when fork fails); the container's
    // shell then execs, which needs no fork.
    c.process.args = ["sh", "-c", "(for i in $(seq 40); do sleep 30 & done) 2>/dev/null; exec sleep 30"];
    c.linux.resources = { pids: { limit: 16 } };
  });
  let current = 0;
  for (let i = 0; i < 100; i++) {
    current = Number(cg("pids", id, "pids.current"));
    if (current >= 16) break;
    await sleep(20);
  }
  await sleep(200);
  // The subshell's own slot frees when it exits: 15 or 16 remain, never more.
  const n = Number(cg("pids", id, "pids.current"));
  assert.ok(n >= 15 && n <= 16, `the loop forked up to the limit and no further (${n})`);
  assert.match(cg("pids", id, "pids.events"), /^max [1-9]\d*$/m, "the kernel refused forks");
});

test("cpu quota and period show in cpu.cfs_quota_us; a cpuset pins the process", () => {
  const id = runDetached((c) => {
    c.process.args = ["sleep", "30"];
    c.linux.resources = { cpu: { quota: 25000, period: 100000, shares: 512, cpus: "0", mems: "0" } };
  });
  assert.is(cg("cpu", id, "cpu.cfs_quota_us"), "25000");
  assert.is(cg("cpu", id, "cpu.cfs_period_us"), "100000");
  assert.is(cg("cpu", id, "cpu.shares"), "512");
  assert.is(cg("cpuset", id, "cpuset.cpus"), "0");
  const out = ok(capsa(["exec", id, "grep", "Cpus_allowed_list", "/proc/self/status"]), "exec");
  assert.match(out, /Cpus_allowed_list:\s+0$/m);
});

test("device rules: a device not allowed cannot be opened; runc's defaults still allow mknod", () => {
  const r = runSh([
    "head -c 1 /dev/null && echo null-ok",
    "mknod /tmp/mem c 1 1 && (head -c 1 /tmp/mem >/dev/null 2>&1 && echo mem-open || echo mem-denied)",
    "mknod /tmp/sda b 8 0 && (head -c 1 /tmp/sda >/dev/null 2>&1 && echo sda-open || echo sda-denied)",
    "mknod /tmp/null2 c 1 3 && echo x > /tmp/null2 && echo null2-ok",
  ].join("; "), (c) => {
    c.root.readonly = false;
    for (const set of ["bounding", "effective", "permitted"]) c.process.capabilities[set].push("CAP_MKNOD");
    c.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["dev", "size=1m"] });
    c.linux.resources = { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 1, access: "m" }] };
  });
  ok(r, "run");
  assert.equal(r.stdout.trim().split("\n"), ["null-ok", "mem-denied", "sda-denied", "null2-ok"]);
});

test("the cgroup memo: written beside the state; its prime file used only while it names the runtime's own cgroup, its layout only while the layout's inputs hold", async () => {
  const memoFile = join(stateRoot, RUNTIME_MEMO);
  const ours = readFileSync("/proc/self/cgroup", "utf8"); // the runtime is our child: the same cgroups
  runSh("true");
  const memo = JSON.parse(readFileSync(memoFile, "utf8"));
  assert.is(memo.cgroup, ours);
  const dir = dirname(memo.prime);
  assert.ok(memo.prime.endsWith("/cgroup.procs"), memo.prime);
  const st = statSync(dir);
  assert.equal([memo.dev, memo.ino], [st.dev, st.ino]);
  // It is this process's own cgroup in one of its hierarchies.
  const paths = ours.trim().split("\n").map((l) => l.split(":").slice(2).join(":"));
  assert.ok(paths.some((p) => dir.endsWith(p === "/" ? "" : p)), `${dir} vs ${paths}`);
  // The layout is the core's for the inputs kept beside it.
  const mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  assert.is(memo.mounts, mountinfo.split("\n").filter((l) => / - cgroup2? /.test(l)).join("\n"));
  assert.ok(memo.mounts.split("\n").length >= 2, memo.mounts);
  const { loadCore } = await host("core");
  const computed = loadCore().json("cgroup_layout", { mountinfo, cgroup: ours, controllers: memo.controllers });
  assert.is(computed.status, 0);
  assert.equal(memo.layout, computed.value);
  assert.is(memo.layout.prime, memo.prime);

  // It is used only while /proc/self/cgroup reads the same and its directory is the same cgroup.
  const { rememberedPrime } = await host("cgroups");
  const root = mkdtempSync(join(tmpdir(), "capsa-memo-"));
  const other = join(dir, uniqueId("memo"));
  mkdirSync(other);
  try {
    const o = statSync(other);
    const own = readFileSync("/proc/self/cgroup", "utf8");
    const check = (m) => { writeFileSync(join(root, RUNTIME_MEMO), JSON.stringify(m)); return rememberedPrime(root); };
    assert.is(check({ cgroup: own, prime: join(other, "cgroup.procs"), dev: o.dev, ino: o.ino }), join(other, "cgroup.procs"), "as written");
    assert.is(check({ cgroup: own.replace(/\n$/, "x\n"), prime: join(other, "cgroup.procs"), dev: o.dev, ino: o.ino }), null, "other cgroups");
    assert.is(check({ cgroup: own, prime: join(other, "cgroup.procs"), dev: o.dev, ino: o.ino + 1 }), null, "another directory");
    assert.is(check({ cgroup: own, prime: join(other, "cgroup.procs"), dev: o.dev + 1, ino: o.ino }), null, "another hierarchy");
    assert.is(check({ cgroup: own, prime: join(other, "gone", "cgroup.procs"), dev: o.dev, ino: o.ino }), null, "a missing directory");
    writeFileSync(join(root, RUNTIME_MEMO), "{");
    assert.is(rememberedPrime(root), null, "unreadable");
    // A container may be named like the memo without the dot: the two never meet.
    const twin = "cgroup-prime.json";
    const tr = capsa(["run", "--bundle", bundle((c) => { c.process.args = ["true"]; }), twin]);
    assert.is(tr.status, 0, tr.stderr);
    assert.equal(JSON.parse(readFileSync(memoFile, "utf8")), memo, "the memo is intact");
    // A stale memo is written again by the next container command.
    writeFileSync(memoFile, JSON.stringify({ ...memo, prime: join(other, "cgroup.procs"), dev: o.dev, ino: o.ino + 1 }));
    runSh("true");
    assert.equal(JSON.parse(readFileSync(memoFile, "utf8")), memo);
    // While its inputs hold, the memo's layout is the one used: one without the pids hierarchy
    // gives a container no pids cgroup.
    const noPids = { ...memo.layout, controllers: Object.fromEntries(Object.entries(memo.layout.controllers).filter(([k]) => k !== "pids")) };
    assert.ok(memo.layout.controllers.pids, "this host has a v1 pids hierarchy");
    writeFileSync(memoFile, JSON.stringify({ ...memo, layout: noPids }));
    const id = runDetached((c) => { c.process.args = ["sleep", "30"]; });
    const line = (pid, ctrl) => readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.split(":")[1] === ctrl);
    const pid = state(id).pid;
    assert.ok(line(pid, "memory").endsWith(`/${id}`), line(pid, "memory"));
    assert.not.ok(line(pid, "pids").includes(id), line(pid, "pids"));
    ok(capsa(["delete", "--force", id]), "delete");
    created.delete(id);
    // Once an input differs (here the mounts), the core's layout is used and kept again.
    writeFileSync(memoFile, JSON.stringify({ ...memo, layout: noPids, mounts: memo.mounts + "\n" }));
    const id2 = runDetached((c) => { c.process.args = ["sleep", "30"]; });
    assert.ok(line(state(id2).pid, "pids").endsWith(`/${id2}`), "a pids cgroup again");
    assert.equal(JSON.parse(readFileSync(memoFile, "utf8")), memo);
  } finally {
    rmdirSync(other);
    rmSync(root, { recursive: true, force: true });
  }
});

test("a node given in linux.devices may be opened under a deny-all rule, as with runc", () => {
  const r = runSh(": > /dev/kmsg && echo kmsg-open", (c) => {
    c.linux.devices = [{ path: "/dev/kmsg", type: "c", major: 1, minor: 11, fileMode: 0o600 }];
    c.linux.resources = { devices: [{ allow: false, access: "rwm" }] };
  });
  ok(r, "run");
  assert.equal(r.stdout.trim(), "kmsg-open");
  const id = runDetached((c) => {
    c.process.args = ["sleep", "30"];
    c.linux.devices = [{ path: "/dev/kmsg", type: "c", major: 1, minor: 11 }];
  });
  assert.ok(cg("devices", id, "devices.list").split("\n").includes("c 1:11 rwm"));
});

test("device rules are written to devices.list as computed", () => {
  const id = runDetached((c) => {
    c.process.args = ["sleep", "30"];
    c.linux.resources = { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 200, access: "rw" }] };
  });
  const list = cg("devices", id, "devices.list").split("\n").sort();
  assert.ok(list.includes("c 10:200 rw"), list.join(","));
  assert.ok(list.includes("c 1:3 rwm"), "the default /dev/null rule");
  assert.not.ok(list.includes("a *:* rwm"), "not allow-all");
});

test("pause, resume, update, events --stats and ps from the CLI; delete leaves no cgroup", async () => {
  const id = runDetached((c) => {
    c.process.args = ["sh", "-c", "sleep 30 & sleep 30 & wait"];
    c.linux.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
  });
  ok(capsa(["pause", id]), "pause");
  assert.is(state(id).status, "paused");
  assert.is(cg("freezer", id, "freezer.state"), "FROZEN");
  const ex = capsa(["exec", id, "true"]);
  assert.is(ex.status, 1);
  assert.match(ex.stderr, /cannot exec a container that is paused: exec needs it running/);
  ok(capsa(["resume", id]), "resume");
  assert.is(state(id).status, "running");
  const again = capsa(["resume", id]);
  assert.is(again.status, 1);
  assert.match(again.stderr, /cannot resume a container that is running/);
  ok(capsa(["update", "--memory", "128m", "--pids-limit", "20", "--cpu-quota", "30000", id]), "update");
  assert.is(cg("memory", id, "memory.limit_in_bytes"), String(128 * 1024 * 1024));
  assert.is(cg("pids", id, "pids.max"), "20");
  assert.is(cg("cpu", id, "cpu.cfs_quota_us"), "30000");
  const stats = JSON.parse(ok(capsa(["events", "--stats", id]), "events --stats"));
  assert.is(stats.id, id);
  assert.is(stats.data.memory.usage.limit, 128 * 1024 * 1024);
  assert.is(stats.data.pids.limit, 20);
  assert.ok(stats.data.pids.current >= 1);
  assert.ok(stats.data.cpu.usage.total > 0);
  const pids = JSON.parse(ok(capsa(["ps", "--format", "json", id]), "ps"));
  assert.ok(pids.includes(state(id).pid));
  assert.equal(pids, readFileSync(`${containerCgroupDir("pids", id)}/cgroup.procs`, "utf8").trim().split("\n").map(Number).sort((a, b) => a - b));
  // A paused container is killed and deleted by delete --force.
  ok(capsa(["pause", id]), "pause");
  ok(capsa(["delete", "--force", id]), "delete --force");
  created.delete(id);
  for (const h of ["memory", "pids", "freezer", "cpu", "devices", "unified"]) {
    assert.not.ok(existsSync(containerCgroupDir(h, id)), `${h} cgroup removed`);
  }
});

test("kill --all signals every process in the cgroup, even without a pid namespace", async () => {
  const id = runDetached((c) => {
    c.process.args = ["sh", "-c", "sleep 30 & sleep 30 & wait"];
    c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== "pid");
  });
  const before = JSON.parse(ok(capsa(["ps", "--format", "json", id]), "ps"));
  assert.is(before.length, 3);
  ok(capsa(["kill", "--all", id, "KILL"]), "kill --all");
  for (let i = 0; i < 100 && JSON.parse(ok(capsa(["ps", "--format", "json", id]), "ps")).length > 0; i++) await sleep(20);
  assert.equal(JSON.parse(ok(capsa(["ps", "--format", "json", id]), "ps")), []);
  for (const p of before) assert.not.ok(existsSync(`/proc/${p}/cmdline`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, "utf8")), `pid ${p} is gone`);
});

test("an absolute cgroupsPath is used as given, and a cgroup capsa did not create is not removed", () => {
  const parent = "/sys/fs/cgroup/pids/capsa-test-parent";
  mkdirSync(parent, { recursive: true });
  try {
    const id = runDetached((c) => {
      c.process.args = ["sleep", "30"];
      c.linux.cgroupsPath = "/capsa-test-parent/" + "inner";
    });
    assert.ok(existsSync(`${parent}/inner/cgroup.procs`));
    assert.ok(readFileSync(`${parent}/inner/cgroup.procs`, "utf8").includes(String(state(id).pid)));
    ok(capsa(["delete", "--force", id]), "delete");
    created.delete(id);
    assert.not.ok(existsSync(`${parent}/inner`), "the container's own cgroup is removed");
    assert.ok(existsSync(parent), "the parent capsa found there stays");
    for (const h of ["memory", "cpu", "freezer", "devices"]) {
      assert.not.ok(existsSync(`/sys/fs/cgroup/${h}/capsa-test-parent/inner`), h);
    }
  } finally {
    for (const h of ["pids", "memory", "cpu", "cpuacct", "cpuset", "freezer", "devices", "blkio", "systemd", "unified"]) {
      try { rmdirSync(`/sys/fs/cgroup/${h}/capsa-test-parent`); } catch { /* not there */ }
    }
  }
});

test("a limit the kernel refuses fails create with its pointer and errno, and leaves nothing behind", () => {
  // The cgroups are made after capsa-init was spawned: its failure must take the init down too
  // (the after-each check looks for processes, cgroups, mounts and state dirs).
  const id = uniqueId("cgbad");
  const r = capsa(["run", "-d", "--bundle", bundle((c) => { c.process.args = ["sleep", "30"]; c.linux.resources = { cpu: { cpus: "63" } }; }), id]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`/linux/resources/cpu/cpus: write "63" to ${containerCgroupDir("cpuset", id)}/cpuset.cpus: (ERANGE|EINVAL)`));
  assert.is(capsa(["state", id]).status, 1, "no container");
  for (const dir of Object.values(ownCgroupDirs())) assert.not.ok(existsSync(`${dir}/${id}`), `${dir}/${id}`);
});

test("without cgroupsPath the cgroup is <the runtime's own>/<id> in every hierarchy, as runc's", () => {
  const id = runDetached((c) => { c.process.args = ["sleep", "30"]; delete c.linux.cgroupsPath; });
  const pid = String(state(id).pid);
  const own = ownCgroupDirs();
  assert.ok(Object.keys(own).length >= 2, JSON.stringify(own));
  for (const [mp, dir] of Object.entries(own)) {
    const inner = `${dir}/${id}`.slice(mp.length);
    assert.ok(readFileSync(`${dir}/${id}/cgroup.procs`, "utf8").split("\n").includes(pid), `${mp}: placed in ${inner}`);
    const line = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.endsWith(`:${inner}`));
    assert.ok(line, `${mp}: /proc/${pid}/cgroup names ${inner}`);
  }
  ok(capsa(["delete", "--force", id]), "delete");
  created.delete(id);
  for (const dir of Object.values(own)) assert.not.ok(existsSync(`${dir}/${id}`), `${dir}/${id} removed`);
});

test("a container's cgroup that exists already: refused while it holds a process, used and kept when empty", async () => {
  const name = uniqueId("cgx");
  const pidsDir = `/sys/fs/cgroup/pids/${name}`;
  const child = `${pidsDir}/sub`;
  mkdirSync(child, { recursive: true });
  // A process of ours placed below the cgroup, then moved back to the root.
  const sq = spawn("sleep", ["30"], { stdio: "ignore" });
  const id = uniqueId("cgx"), id2 = uniqueId("cgx");
  try {
    writeFileSync(`${child}/cgroup.procs`, String(sq.pid));
    const dir = bundle((c) => { c.process.args = ["sleep", "30"]; c.linux.cgroupsPath = "/" + name; });
    const r = capsa(["run", "-d", "--bundle", dir, id]);
    assert.is.not(r.status, 0, "refused");
    assert.match(r.stderr, new RegExp(`/linux/cgroupsPath: the container's cgroup ${pidsDir} is not empty: 1 process\\(es\\) found`));
    assert.ok(readFileSync(`${child}/cgroup.procs`, "utf8").includes(String(sq.pid)), "the process stays where it was");
    assert.is(sq.exitCode, null, "and keeps running");
    assert.ok(existsSync(child), "the existing cgroup stays");
    assert.not.ok(existsSync(`/sys/fs/cgroup/memory/${name}`), "the directories this create made are removed");
    // Empty, the same cgroup is the container's; delete leaves it, since capsa did not make it.
    writeFileSync("/sys/fs/cgroup/pids/cgroup.procs", String(sq.pid));
    rmdirSync(child);
    ok(capsa(["run", "-d", "--bundle", dir, id2]), "run -d into the empty cgroup");
    assert.ok(readFileSync(`${pidsDir}/cgroup.procs`, "utf8").includes(String(state(id2).pid)));
    ok(capsa(["delete", "--force", id2]), "delete");
    assert.ok(existsSync(pidsDir), "a cgroup capsa did not create is not removed");
    assert.not.ok(existsSync(`/sys/fs/cgroup/memory/${name}`), "the ones it made are");
  } finally {
    // Containers first (one exists here only if this test failed), then what the test made.
    for (const c of [id, id2]) capsa(["delete", "--force", c]);
    sq.kill("SIGKILL");
    try { writeFileSync("/sys/fs/cgroup/pids/cgroup.procs", String(sq.pid)); } catch { /* gone */ }
    for (const d of [child, pidsDir]) { try { rmdirSync(d); } catch { /* not there */ } }
  }
});

test("cgroup v2: freeze, thaw and cgroup.kill in a child of the unified hierarchy", async () => {
  // This machine's unified hierarchy carries no controllers for limits, but freeze, kill and
  // placement work in any child of it.
  const base = "/sys/fs/cgroup/unified";
  if (!existsSync(`${base}/cgroup.procs`)) {
    console.log("  (no unified hierarchy here: v2 freezer checked by golden data only)");
    return;
  }
  const id = runDetached((c) => { c.process.args = ["sleep", "30"]; });
  const dir = containerCgroupDir("unified", id);
  assert.ok(existsSync(dir), "the container has a unified cgroup too");
  const pid = state(id).pid;
  assert.ok(readFileSync(`${dir}/cgroup.procs`, "utf8").split("\n").includes(String(pid)), "placed in the v2 cgroup");
  writeFileSync(`${dir}/cgroup.freeze`, "1");
  for (let i = 0; i < 100 && !/frozen 1/.test(readFileSync(`${dir}/cgroup.events`, "utf8")); i++) await sleep(10);
  assert.match(readFileSync(`${dir}/cgroup.events`, "utf8"), /frozen 1/);
  writeFileSync(`${dir}/cgroup.freeze`, "0");
  for (let i = 0; i < 100 && !/frozen 0/.test(readFileSync(`${dir}/cgroup.events`, "utf8")); i++) await sleep(10);
  assert.match(readFileSync(`${dir}/cgroup.events`, "utf8"), /frozen 0/);
  if (existsSync(`${dir}/cgroup.kill`)) {
    writeFileSync(`${dir}/cgroup.kill`, "1");
    for (let i = 0; i < 100 && state(id).status !== "stopped"; i++) await sleep(20);
    assert.is(state(id).status, "stopped");
  }
});

test("cgroup v2 device program: loaded and attached by the native library, enforced by this kernel", async () => {
  const { host } = await import("../lib/host.mjs");
  const { loadSys, O_RDONLY, O_DIRECTORY } = await host("sys");
  const { loadCore } = await host("core");
  const sys = await loadSys();
  const core = loadCore();
  const base = "/sys/fs/cgroup/unified";
  if (!existsSync(`${base}/cgroup.procs`)) {
    console.log("  (no cgroup2 hierarchy here)");
    return;
  }
  // The program the core computes for a unified host: deny all, then runc's default allow list
  // (which has /dev/null and /dev/urandom, not /dev/mem).
  const layout = { mode: "unified", unified: { mountpoint: base, root: "/", path: "/", controllers: [] }, controllers: {} };
  const name = `capsa-bpf-${process.pid}`;
  const r = core.call("cgroup_plan", JSON.stringify({ layout, id: "x", cgroupsPath: "/" + name, resources: { devices: [{ allow: false, access: "rwm" }] }, defaultDevices: true }));
  assert.is(r.status, 0, r.text);
  const plan = JSON.parse(r.text);
  assert.is(plan.bpf.cgroup, `${base}/${name}`);
  const program = core.blob();
  assert.is(program.length, plan.bpf.instructions * 8);
  mkdirSync(plan.bpf.cgroup);
  const { spawnSync } = await import("node:child_process");
  // /dev/kmsg (c 1:11) exists here and is not in the default list.
  const probe = () => spawnSync("/bin/busybox", ["sh", "-c", [
    `echo $$ > ${plan.bpf.cgroup}/cgroup.procs`,
    "head -c 1 /dev/null && echo null-ok",
    "head -c 1 /dev/urandom > /dev/null && echo urandom-ok",
    "(: < /dev/kmsg) 2>/dev/null && echo kmsg-open || echo kmsg-denied",
  ].join("; ")], { encoding: "utf8" }).stdout.trim().split("\n");
  try {
    assert.ok(existsSync("/dev/kmsg"));
    assert.equal(probe(), ["null-ok", "urandom-ok", "kmsg-open"], "without the program root opens /dev/kmsg");
    const fd = sys.open(plan.bpf.cgroup, O_RDONLY | O_DIRECTORY);
    try {
      sys.bpfDeviceAttach(program, plan.bpf.license, fd);
    } finally {
      sys.close(fd);
    }
    assert.equal(probe(), ["null-ok", "urandom-ok", "kmsg-denied"], "the attached program denies it");
  } finally {
    for (let i = 0; i < 100; i++) {
      try { rmdirSync(plan.bpf.cgroup); break; } catch { await sleep(10); }
    }
  }
  assert.not.ok(existsSync(plan.bpf.cgroup));
});

test.run();
