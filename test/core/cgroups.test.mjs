// cgroups in the core: layout detection from mountinfo and /proc/self/cgroup, the path and the
// ordered file writes for every resource on v1, v2 and hybrid layouts (expected values computed
// here from the formulas), device rules as v1 lines and as a v2 eBPF program run by a small
// interpreter below, and stats parsing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { call, raw, load } from "../lib/core.mjs";

const fx = (n) => readFileSync(fileURLToPath(new URL(`../fixtures/cgroups/${n}`, import.meta.url)), "utf8");
const json = (o) => JSON.stringify(o);

function layoutOf(mountinfo, cgroup, controllers) {
  const r = call("cgroup_layout", json({ mountinfo, cgroup, ...(controllers !== undefined ? { controllers } : {}) }));
  assert.is(r.status, 0);
  return r.json;
}

const V2_ALL = "cpuset cpu io memory hugetlb pids rdma misc";
const V1 = layoutOf(fx("v1.mountinfo"), fx("v1.cgroup"));
const UNI = layoutOf(fx("unified.mountinfo"), fx("unified.cgroup"), V2_ALL + "\n");
// A hybrid host like the test machines: no v1 hugetlb hierarchy, so the unified one carries it.
const hybMountinfo = fx("hybrid.mountinfo").split("\n").filter((l) => !l.includes("hugetlb")).join("\n");
const hybCgroup = fx("v1.cgroup").split("\n").filter((l) => !l.includes("hugetlb")).join("\n");
const HYB = layoutOf(hybMountinfo, hybCgroup, "hugetlb\n");

/** A plan; `status` beside the result's members. */
function plan(layout, resources, extra = {}) {
  const r = call("cgroup_plan", json({ layout, id: "c1", cgroupsPath: "/capsa/c1", resources, cpusetParent: { cpus: "0-1", mems: "0" }, ...extra }));
  assert.is(r.status, r.json.valid ? 0 : 1);
  return { ...r.json, status: r.status };
}
/** The writes as [file, value] (or [file, value, tolerate…] when some errors are tolerated). */
const W = (p) => p.writes.map((w) => [w.file, w.value, ...(w.tolerate || [])]);
const errors = (p) => p.diagnostics.filter((d) => d.severity === "error").map((d) => [d.pointer, d.code]);
const warnings = (p) => p.diagnostics.filter((d) => d.severity === "warning").map((d) => [d.pointer, d.code]);
const ok = (p) => assert.equal(errors(p), [], json(p.diagnostics));

const M1 = "/sys/fs/cgroup/memory/capsa/c1/", C1 = "/sys/fs/cgroup/cpu,cpuacct/capsa/c1/", U = "/sys/fs/cgroup/capsa/c1/";

// ---- layout -------------------------------------------------------------------------------------

test("layout: this machine's mountinfo and /proc/self/cgroup, checked line by line", () => {
  const mi = readFileSync("/proc/self/mountinfo", "utf8"), cg = readFileSync("/proc/self/cgroup", "utf8");
  const l = layoutOf(mi, cg);
  const mounts = mi.trim().split("\n").map((line) => {
    const f = line.split(" "), sep = f.indexOf("-");
    return { root: f[3], mp: f[4], type: f[sep + 1], opts: f[sep + 3].split(",") };
  });
  let v1 = 0;
  for (const line of cg.trim().split("\n")) {
    const [id, ctrls, path] = [line.slice(0, line.indexOf(":")), line.split(":")[1], line.split(":").slice(2).join(":")];
    if (id === "0") continue;
    const m = mounts.find((m) => m.type === "cgroup" && m.opts.includes(ctrls.split(",")[0]));
    if (!m) continue;
    for (const c of ctrls.split(",")) {
      if (!c.startsWith("name=")) v1++;
      assert.equal(l.controllers[c], { mountpoint: m.mp, root: m.root, path: m.root === "/" ? path : path.slice(m.root.length) || "/" }, c);
    }
  }
  const u = mounts.find((m) => m.type === "cgroup2");
  assert.is(l.mode, u ? (v1 ? "hybrid" : "unified") : "v1");
  if (u) assert.is(l.unified.mountpoint, u.mp);
  else assert.is(l.unified, null);
});

test("layout: v1 with comounted controllers and a named hierarchy", () => {
  assert.is(V1.mode, "v1");
  assert.is(V1.unified, null, "0::/… in /proc/self/cgroup but no cgroup2 mount");
  const cpu = { mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", path: "/user.slice" };
  assert.equal(V1.controllers.cpu, cpu);
  assert.equal(V1.controllers.cpuacct, cpu);
  assert.equal(V1.controllers.net_prio, { mountpoint: "/sys/fs/cgroup/net_cls,net_prio", root: "/", path: "/" });
  assert.equal(V1.controllers["name=systemd"], { mountpoint: "/sys/fs/cgroup/systemd", root: "/", path: "/user.slice/user-1000.slice/session-2.scope" });
  assert.equal(Object.keys(V1.controllers).sort(), ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory", "name=systemd", "net_cls", "net_prio", "perf_event", "pids", "rdma"]);
});

test("layout: unified, with /proc/self/cgroup holding only 0::/path", () => {
  assert.is(UNI.mode, "unified");
  assert.equal(UNI.controllers, {});
  assert.equal(UNI.unified, {
    mountpoint: "/sys/fs/cgroup", root: "/", path: "/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope",
    controllers: V2_ALL.split(" "),
  });
  // Without cgroup.controllers every v2 controller is assumed.
  assert.equal(layoutOf(fx("unified.mountinfo"), fx("unified.cgroup")).unified.controllers, V2_ALL.split(" "));
});

test("layout: hybrid; the unified hierarchy carries what no v1 hierarchy claims", () => {
  assert.is(HYB.mode, "hybrid");
  assert.equal(HYB.unified, { mountpoint: "/sys/fs/cgroup/unified", root: "/", path: "/user.slice/user-1000.slice/session-2.scope", controllers: ["hugetlb"] });
  assert.is(HYB.controllers.hugetlb, undefined);
  // Guessed without cgroup.controllers: v2 controllers with no v1 hierarchy (blkio is v2's io).
  assert.equal(layoutOf(hybMountinfo, hybCgroup).unified.controllers, ["hugetlb", "misc"]);
  // Ubuntu's hybrid: every controller on v1, none left for the unified hierarchy.
  assert.equal(layoutOf(fx("hybrid.mountinfo"), fx("v1.cgroup"), "\n").unified.controllers, []);
});

test("layout: bind-mounted hierarchies (a container without a cgroup namespace)", () => {
  const l = layoutOf(fx("nested.mountinfo"), fx("nested.cgroup"));
  assert.is(l.mode, "v1");
  // The process path relative to the mount's root; the mount whose root holds it wins.
  assert.equal(l.controllers.memory, { mountpoint: "/sys/fs/cgroup/memory", root: "/docker/4f1c", path: "/inner/job" });
  assert.equal(l.controllers.cpu, { mountpoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/docker/4f1c", path: "/" });
  // Not under the mount's root: not reachable through it.
  assert.equal(l.controllers.pids, { mountpoint: "/sys/fs/cgroup/pids", root: "/docker/4f1c", path: null });
  // Octal escapes in mountinfo are decoded.
  assert.equal(l.controllers.cpuset, { mountpoint: "/sys/fs/cgroup/cpu set", root: "/", path: "/docker/4f1c" });
  // In a cgroup namespace, a cgroup above the namespace's root shows as /../…: not reachable.
  const ns = layoutOf("35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/../../sibling\n");
  assert.equal(ns.unified.path, null);
});

test("layout: prime is the caller's own cgroup.procs (a v1 hierarchy first); writing 0 there moves nothing", () => {
  assert.is(V1.prime, "/sys/fs/cgroup/rdma/cgroup.procs", "the first v1 line of /proc/self/cgroup");
  assert.is(UNI.prime, "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope/cgroup.procs");
  // A hierarchy whose mount does not hold the cgroup (path null) is skipped.
  assert.is(layoutOf(fx("nested.mountinfo"), fx("nested.cgroup")).prime, "/sys/fs/cgroup/cpu set/docker/4f1c/cgroup.procs");
  assert.is(layoutOf("35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/../../sibling\n").prime, null);
  // This machine: the file exists, and writing "0" (this process) leaves /proc/self/cgroup as it was.
  const mine = layoutOf(readFileSync("/proc/self/mountinfo", "utf8"), readFileSync("/proc/self/cgroup", "utf8"));
  const before = readFileSync("/proc/self/cgroup", "utf8");
  writeFileSync(mine.prime, "0");
  assert.is(readFileSync("/proc/self/cgroup", "utf8"), before);
});

test("layout: bad input is rejected or yields an empty layout, never a trap", () => {
  assert.is(call("cgroup_layout", "{").status, 1);
  assert.is(call("cgroup_layout", "[]").status, 1);
  assert.is(call("cgroup_layout", json({ mountinfo: 1, cgroup: "" })).status, 1);
  assert.equal(layoutOf("garbage\n- - -\n\n", "::\n1:\nx:y:z"), { mode: "v1", unified: null, controllers: {}, prime: null });
  // A repeated controller is taken once (the layout must stay valid JSON: no duplicate keys).
  const r = raw("cgroup_layout", json({ mountinfo: "1 2 3 / /m x - cgroup c rw,memory\n", cgroup: "1:memory:/a\n2:memory:\n" }));
  assert.equal(JSON.parse(r.text).controllers, { memory: { mountpoint: "/m", root: "/", path: "/a" } });
  assert.is(r.text.split("\"memory\"").length, 2);
  assert.is(layoutOf("1 2 3 / /m x - cgroup c rw,memory\n", "2:memory:\n").controllers.memory.path, "/");
});

// ---- paths --------------------------------------------------------------------------------------

test("paths: absolute, relative to each hierarchy's root", () => {
  const p = plan(V1, null);
  ok(p);
  assert.is(p.paths.memory, "/sys/fs/cgroup/memory/capsa/c1");
  assert.is(p.paths.cpu, "/sys/fs/cgroup/cpu,cpuacct/capsa/c1");
  assert.is(p.paths.cpuacct, p.paths.cpu);
  assert.is(p.paths["name=systemd"], "/sys/fs/cgroup/systemd/capsa/c1");
  assert.is(p.paths.unified, undefined);
  // Each hierarchy once (cpu,cpuacct is one), parents first.
  assert.is(p.create.length, 2 * 12);
  assert.equal(p.create.slice(0, 2), ["/sys/fs/cgroup/rdma/capsa", "/sys/fs/cgroup/rdma/capsa/c1"]);
  for (const d of new Set(Object.values(p.paths))) {
    assert.ok(p.create.indexOf(d.slice(0, d.lastIndexOf("/"))) === p.create.indexOf(d) - 1, d);
  }
  assert.equal(p.enable, []);
});

test("paths: relative to the runtime's own cgroup in each hierarchy (as runc)", () => {
  const p = plan(V1, null, { cgroupsPath: "ctr/c1" });
  ok(p);
  assert.is(p.paths.memory, "/sys/fs/cgroup/memory/user.slice/user-1000.slice/session-2.scope/ctr/c1");
  assert.is(p.paths.cpu, "/sys/fs/cgroup/cpu,cpuacct/user.slice/ctr/c1");
  assert.is(p.paths.cpuset, "/sys/fs/cgroup/cpuset/ctr/c1");
  // Only below the own cgroup, which exists.
  assert.ok(p.create.includes("/sys/fs/cgroup/cpu,cpuacct/user.slice/ctr"));
  assert.not.ok(p.create.includes("/sys/fs/cgroup/cpu,cpuacct/user.slice"));
  const n = plan(layoutOf(fx("nested.mountinfo"), fx("nested.cgroup")), null, { cgroupsPath: "x" });
  assert.is(n.paths.memory, "/sys/fs/cgroup/memory/inner/job/x");
  assert.is(n.paths.cpu, "/sys/fs/cgroup/cpu,cpuacct/x");
  assert.is(n.paths.cpuset, "/sys/fs/cgroup/cpu set/docker/4f1c/x");
  assert.equal(errors(n), [["/linux/cgroupsPath", "linux.cgroupsPath.relative"]], "pids: own cgroup outside the mount");
  assert.is(plan(layoutOf(fx("nested.mountinfo"), fx("nested.cgroup")), null, { cgroupsPath: "/x" }).paths.memory, "/sys/fs/cgroup/memory/x");
});

test("paths: absent gives <own cgroup>/<id> as runc; a/../b is cleaned; escapes and the root itself are refused", () => {
  const d = plan(V1, null, { cgroupsPath: null, id: "web" });
  assert.is(d.paths.memory, "/sys/fs/cgroup/memory/user.slice/user-1000.slice/session-2.scope/web");
  assert.is(d.paths.cpuset, "/sys/fs/cgroup/cpuset/web");
  // Only the container's own directory is made: the runtime's cgroup exists.
  assert.equal(d.create.filter((c) => c.includes("/memory/")), ["/sys/fs/cgroup/memory/user.slice/user-1000.slice/session-2.scope/web"]);
  assert.is(plan(V1, null, { cgroupsPath: undefined, id: "web" }).paths.memory, d.paths.memory);
  assert.is(plan(UNI, null, { cgroupsPath: "/a/./b/../c//d" }).paths.unified, "/sys/fs/cgroup/a/c/d");
  for (const bad of ["../x", "/../x", "a/../../x", "/a/../../../etc"]) {
    assert.equal(errors(plan(V1, null, { cgroupsPath: bad })), [["/linux/cgroupsPath", "linux.cgroupsPath.escapes"]], bad);
  }
  for (const root of ["/", ".", "a/..", "//"]) {
    assert.equal(errors(plan(V1, null, { cgroupsPath: root })), [["/linux/cgroupsPath", "linux.cgroupsPath.root"]], root);
  }
  for (const id of ["", "a/b", "..", 7]) assert.is(plan(V1, null, { cgroupsPath: null, id }).status, 1, json(id));
  assert.equal(errors(plan(V1, null, { cgroupsPath: 12 }))[0], ["/linux/cgroupsPath", "linux.cgroupsPath.type"]);
  assert.is(call("cgroup_plan", json({ id: "c1" })).status, 1, "no layout");
  assert.is(call("cgroup_plan", "[1]").status, 1);
});

test("paths: v2 enables every controller in each ancestor's subtree_control; update creates nothing", () => {
  const p = plan(UNI, null);
  assert.is(p.paths.unified, "/sys/fs/cgroup/capsa/c1");
  assert.equal(p.create, ["/sys/fs/cgroup/capsa", "/sys/fs/cgroup/capsa/c1"]);
  const want = [];
  for (const dir of ["/sys/fs/cgroup", "/sys/fs/cgroup/capsa"]) for (const c of V2_ALL.split(" ")) want.push({ file: dir + "/cgroup.subtree_control", value: "+" + c });
  assert.equal(p.enable, want);
  const h = plan(HYB, null);
  assert.equal(h.enable.map((e) => e.value), ["+hugetlb", "+hugetlb"]);
  assert.is(h.paths.unified, "/sys/fs/cgroup/unified/capsa/c1");
  const u = plan(UNI, { pids: { limit: 5 } }, { update: true });
  assert.equal([u.create, u.enable], [[], []]);
  assert.equal(W(u), [[U + "pids.max", "5"]]);
});

test("paths: new v1 cpuset directories get the parent's cpus and mems, only if created", () => {
  const p = plan(V1, null, { cpusetParent: { cpus: "0-3", mems: "0" } });
  const cs = p.writes.filter((w) => w.file.includes("cpuset"));
  assert.equal(cs, [
    { file: "/sys/fs/cgroup/cpuset/capsa/cpuset.cpus", value: "0-3", pointer: "/linux/cgroupsPath", ifCreated: true },
    { file: "/sys/fs/cgroup/cpuset/capsa/cpuset.mems", value: "0", pointer: "/linux/cgroupsPath", ifCreated: true },
    { file: "/sys/fs/cgroup/cpuset/capsa/c1/cpuset.cpus", value: "0-3", pointer: "/linux/cgroupsPath", ifCreated: true },
    { file: "/sys/fs/cgroup/cpuset/capsa/c1/cpuset.mems", value: "0", pointer: "/linux/cgroupsPath", ifCreated: true },
  ]);
  assert.equal(errors(plan(V1, null, { cpusetParent: undefined })), [["/linux/cgroupsPath", "linux.cgroupsPath.cpusetParent"]]);
  assert.equal(plan(V1, null, { update: true }).writes, []);
  assert.equal(plan(UNI, null).writes, []);
});

// ---- memory -------------------------------------------------------------------------------------

const MiB = 1024 * 1024;

test("memory v1: every knob, in runc's order; kernel limits warned as deprecated", () => {
  const p = plan(V1, { memory: { limit: 32 * MiB, swap: 64 * MiB, reservation: 16 * MiB, kernel: 8 * MiB, kernelTCP: MiB, swappiness: 60, disableOOMKiller: true, useHierarchy: true } }, { cpusetParent: { cpus: "0", mems: "0" } });
  ok(p);
  assert.equal(W(p).filter(([f]) => f.startsWith(M1)), [
    [M1 + "memory.use_hierarchy", "1"],
    [M1 + "memory.limit_in_bytes", String(32 * MiB)],
    [M1 + "memory.memsw.limit_in_bytes", String(64 * MiB)],
    [M1 + "memory.soft_limit_in_bytes", String(16 * MiB)],
    [M1 + "memory.kmem.limit_in_bytes", String(8 * MiB), "EOPNOTSUPP"],
    [M1 + "memory.kmem.tcp.limit_in_bytes", String(MiB), "EOPNOTSUPP"],
    [M1 + "memory.oom_control", "1"],
    [M1 + "memory.swappiness", "60"],
  ]);
  assert.equal(warnings(p), [
    ["/linux/resources/memory/kernel", "linux.resources.memory.kernel.deprecated"],
    ["/linux/resources/memory/kernelTCP", "linux.resources.memory.kernelTCP.deprecated"],
  ]);
  assert.is(p.writes.find((w) => w.file.endsWith("memsw.limit_in_bytes")).pointer, "/linux/resources/memory/swap");
});

test("memory v1: memory+swap goes first when it grows, last when it shrinks", () => {
  const mem = (cur, update = true) => W(plan(V1, { memory: { limit: 32 * MiB, swap: 64 * MiB } }, { update, ...(cur ? { current: { "memory.limit_in_bytes": cur } } : {}) }))
    .map(([f, v, t]) => [f.slice(M1.length), v, t]);
  const L = ["memory.limit_in_bytes", String(32 * MiB), undefined], S = ["memory.memsw.limit_in_bytes", String(64 * MiB), undefined];
  assert.equal(mem(String(16 * MiB) + "\n"), [S, L], "raising: the current limit is below the new memsw");
  assert.equal(mem(String(128 * MiB) + "\n"), [L, S], "lowering");
  assert.equal(mem(null, false).filter(([f]) => f.startsWith("memory.")), [L, S], "a new cgroup has no limits");
  assert.equal(mem(null), [[S[0], S[1], "EINVAL"], L, S], "update, current limit unknown: before (may fail) and after");
  // Unlimited memory with no swap setting makes memory+swap unlimited too (if swap accounting exists).
  const u = W(plan(V1, { memory: { limit: -1 } }, { update: true })).map(([f, v, t]) => [f.slice(M1.length), v, t]);
  assert.equal(u, [["memory.memsw.limit_in_bytes", "-1", "ENOENT"], ["memory.limit_in_bytes", "-1", undefined]]);
});

test("memory v2: swap converted to swap alone (runc's ConvertMemorySwapToCgroupV2Value)", () => {
  const v2 = (m) => W(plan(UNI, { memory: m })).map(([f, v, t]) => [f.slice(U.length), v, t]);
  const limit = 32 * MiB, swap = 96 * MiB;
  assert.equal(v2({ limit, swap, reservation: 8 * MiB }), [
    ["memory.swap.max", String(swap - limit), undefined],
    ["memory.max", String(limit), undefined],
    ["memory.low", String(8 * MiB), undefined],
  ]);
  assert.equal(v2({ limit, swap: limit }), [["memory.swap.max", "0", "ENOENT"], ["memory.max", String(limit), undefined]]);
  assert.equal(v2({ limit, swap: -1 }), [["memory.swap.max", "max", "ENOENT"], ["memory.max", String(limit), undefined]]);
  assert.equal(v2({ limit: -1 }), [["memory.swap.max", "max", "ENOENT"], ["memory.max", "max", undefined]]);
  assert.equal(v2({ limit }), [["memory.max", String(limit), undefined]]);
  assert.equal(errors(plan(UNI, { memory: { limit, swap: limit - 1 } })), [["/linux/resources/memory/swap", "linux.resources.memory.swap.belowLimit"]]);
  assert.equal(errors(plan(UNI, { memory: { swap } })), [["/linux/resources/memory/swap", "linux.resources.memory.swap.noLimit"]]);
  assert.equal(errors(plan(UNI, { memory: { limit: -2 } })), [["/linux/resources/memory/limit", "linux.resources.memory.limit.range"]]);
  const w = plan(UNI, { memory: { limit, kernel: MiB, kernelTCP: MiB, swappiness: 10, disableOOMKiller: true, useHierarchy: false } });
  ok(w);
  assert.equal(warnings(w).map(([p]) => p.slice("/linux/resources/memory/".length)), ["kernel", "kernelTCP", "swappiness", "disableOOMKiller", "useHierarchy"]);
  assert.equal(W(w), [[U + "memory.max", String(limit)]]);
});

test("memory: checkBeforeUpdate refuses a limit below the current usage", () => {
  const m = { limit: 32 * MiB, checkBeforeUpdate: true };
  assert.equal(errors(plan(UNI, { memory: m }, { update: true, current: { "memory.current": String(40 * MiB) } })),
    [["/linux/resources/memory/limit", "linux.resources.memory.limit.belowUsage"]]);
  ok(plan(UNI, { memory: m }, { update: true, current: { "memory.current": String(20 * MiB) } }));
  ok(plan(UNI, { memory: { ...m, checkBeforeUpdate: false } }, { update: true, current: { "memory.current": String(40 * MiB) } }));
  assert.equal(errors(plan(V1, { memory: m }, { update: true, current: { "memory.usage_in_bytes": String(32 * MiB) } })),
    [["/linux/resources/memory/limit", "linux.resources.memory.limit.belowUsage"]]);
});

// ---- cpu ----------------------------------------------------------------------------------------

/** runc's ConvertCPUSharesToCgroupV2Value, by hand. */
const weightOf = (shares) => 1 + Math.floor(((shares - 2) * 9999) / 262142);

test("cpu v1: shares, CFS quota/period/burst written around the quota, idle, realtime, cpuset", () => {
  const p = plan(V1, { cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, realtimeRuntime: 950000, realtimePeriod: 1000000, idle: 1, cpus: "0-1", mems: "0" } }, { update: true });
  ok(p);
  assert.equal(W(p), [
    [C1 + "cpu.shares", "512"],
    [C1 + "cpu.cfs_period_us", "100000", "EINVAL"],
    [C1 + "cpu.cfs_burst_us", "1000", "ENOENT", "EINVAL"],
    [C1 + "cpu.cfs_quota_us", "50000"],
    [C1 + "cpu.cfs_period_us", "100000"],
    [C1 + "cpu.cfs_burst_us", "1000", "ENOENT"],
    [C1 + "cpu.idle", "1"],
    [C1 + "cpu.rt_period_us", "1000000", "EINVAL"],
    [C1 + "cpu.rt_runtime_us", "950000"],
    [C1 + "cpu.rt_period_us", "1000000"],
    ["/sys/fs/cgroup/cpuset/capsa/c1/cpuset.cpus", "0-1"],
    ["/sys/fs/cgroup/cpuset/capsa/c1/cpuset.mems", "0"],
  ]);
  assert.equal(W(plan(V1, { cpu: { period: 100000 } }, { update: true })), [[C1 + "cpu.cfs_period_us", "100000"]]);
  assert.equal(W(plan(V1, { cpu: { quota: -1 } }, { update: true })), [[C1 + "cpu.cfs_quota_us", "-1"]]);
  assert.equal(W(plan(V1, { cpu: { shares: 0, quota: 0, period: 0, cpus: "" } }, { update: true })), [], "0 and \"\" are unset");
});

test("cpu v2: shares → weight by runc's formula, cpu.max, burst, idle; realtime refused", () => {
  for (const shares of [2, 3, 512, 1024, 4096, 262144]) {
    assert.equal(W(plan(UNI, { cpu: { shares } })), [[U + "cpu.weight", String(weightOf(shares))]], String(shares));
  }
  assert.is(weightOf(1024), 39);
  assert.is(weightOf(262144), 10000);
  assert.equal(W(plan(UNI, { cpu: { quota: 50000, period: 100000, burst: 1000, idle: 0 } })), [
    [U + "cpu.idle", "0"],
    [U + "cpu.max.burst", "1000", "EINVAL"],
    [U + "cpu.max", "50000 100000"],
    [U + "cpu.max.burst", "1000"],
  ]);
  assert.equal(W(plan(UNI, { cpu: { quota: -1, period: 100000 } })), [[U + "cpu.max", "max 100000"]]);
  assert.equal(W(plan(UNI, { cpu: { period: 20000 } })), [[U + "cpu.max", "max 20000"]]);
  assert.equal(W(plan(UNI, { cpu: { quota: 20000 } })), [[U + "cpu.max", "20000"]]);
  assert.equal(W(plan(UNI, { cpu: { cpus: "2-3", mems: "0-1" } })), [[U + "cpuset.cpus", "2-3"], [U + "cpuset.mems", "0-1"]]);
  assert.equal(errors(plan(UNI, { cpu: { realtimeRuntime: 950000 } })), [["/linux/resources/cpu/realtimeRuntime", "linux.resources.cpu.realtimeRuntime.unsupported"]]);
  for (const shares of [1, 262145]) assert.equal(errors(plan(UNI, { cpu: { shares } })), [["/linux/resources/cpu/shares", "linux.resources.cpu.shares.range"]]);
  assert.equal(errors(plan(UNI, { cpu: { idle: 2 } })), [["/linux/resources/cpu/idle", "linux.resources.cpu.idle.range"]]);
});

// ---- pids, blkio, hugetlb, network, rdma ----------------------------------------------------------

test("pids: a number, max for -1, and 0 is a real limit", () => {
  for (const [l, u] of [[V1, "/sys/fs/cgroup/pids/capsa/c1/"], [UNI, U]]) {
    for (const [limit, v] of [[100, "100"], [-1, "max"], [0, "0"]]) {
      assert.equal(W(plan(l, { pids: { limit } }, { update: true })), [[u + "pids.max", v]]);
    }
  }
});

/** runc's ConvertBlkIOToIOWeightValue, by hand. */
const ioWeightOf = (w) => 1 + Math.floor(((w - 10) * 9999) / 990);

const BLKIO = {
  weight: 500, leafWeight: 300,
  weightDevice: [{ major: 8, minor: 0, weight: 600, leafWeight: 200 }, { major: 8, minor: 16, weight: 700 }],
  throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
  throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
  throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
  throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 50 }],
};

test("blockIO v1: weights, per-device weights and the four throttles", () => {
  const B = "/sys/fs/cgroup/blkio/capsa/c1/";
  const p = plan(V1, { blockIO: BLKIO }, { update: true });
  ok(p);
  assert.equal(W(p), [
    [B + "blkio.weight", "500"],
    [B + "blkio.leaf_weight", "300"],
    [B + "blkio.weight_device", "8:0 600"],
    [B + "blkio.leaf_weight_device", "8:0 200"],
    [B + "blkio.weight_device", "8:16 700"],
    [B + "blkio.throttle.read_bps_device", "8:0 1048576"],
    [B + "blkio.throttle.write_bps_device", "8:0 2097152"],
    [B + "blkio.throttle.read_iops_device", "8:16 100"],
    [B + "blkio.throttle.write_iops_device", "8:0 50"],
  ]);
  assert.is(p.writes[6].pointer, "/linux/resources/blockIO/throttleWriteBpsDevice/0");
});

test("blockIO v2: io.weight by runc's conversion, one io.max line per device; leaf weights warned", () => {
  const p = plan(UNI, { blockIO: BLKIO });
  ok(p);
  assert.equal(W(p), [
    [U + "io.weight", "default " + ioWeightOf(500)],
    [U + "io.weight", "8:0 " + ioWeightOf(600)],
    [U + "io.weight", "8:16 " + ioWeightOf(700)],
    [U + "io.max", "8:0 rbps=1048576 wbps=2097152 wiops=50"],
    [U + "io.max", "8:16 riops=100"],
  ]);
  assert.equal([ioWeightOf(10), ioWeightOf(1000)], [1, 10000]);
  assert.equal(warnings(p).map(([ptr]) => ptr), ["/linux/resources/blockIO/leafWeight", "/linux/resources/blockIO/weightDevice/0/leafWeight"]);
  assert.equal(errors(plan(UNI, { blockIO: { weight: 5 } })), [["/linux/resources/blockIO/weight", "linux.resources.blockIO.weight.range"]]);
  assert.equal(errors(plan(UNI, { blockIO: { throttleReadBpsDevice: [{ major: 8, rate: 1 }] } })),
    [["/linux/resources/blockIO/throttleReadBpsDevice/0/minor", "linux.resources.blockIO.throttleReadBpsDevice.minor.required"]]);
});

test("hugepageLimits: v1 limit_in_bytes, v2 max, both with the reservation file when it exists", () => {
  const h = { hugepageLimits: [{ pageSize: "2MB", limit: 4 * MiB }, { pageSize: "1GB", limit: 1024 * MiB }] };
  const H = "/sys/fs/cgroup/hugetlb/capsa/c1/hugetlb.";
  assert.equal(W(plan(V1, h, { update: true })), [
    [H + "2MB.limit_in_bytes", String(4 * MiB)], [H + "2MB.rsvd.limit_in_bytes", String(4 * MiB), "ENOENT"],
    [H + "1GB.limit_in_bytes", String(1024 * MiB)], [H + "1GB.rsvd.limit_in_bytes", String(1024 * MiB), "ENOENT"],
  ]);
  assert.equal(W(plan(UNI, h)).slice(0, 2), [[U + "hugetlb.2MB.max", String(4 * MiB)], [U + "hugetlb.2MB.rsvd.max", String(4 * MiB), "ENOENT"]]);
  assert.equal(errors(plan(UNI, h, { hugePageSizes: ["2MB"] })), [["/linux/resources/hugepageLimits/1/pageSize", "linux.resources.hugepageLimits.pageSize.invalid"]]);
  assert.equal(errors(plan(UNI, { hugepageLimits: [{ pageSize: "2XB", limit: 1 }] })).length, 1);
});

test("network: net_cls.classid and net_prio.ifpriomap on v1; refused where there is no such hierarchy", () => {
  const n = { network: { classID: 1048577, priorities: [{ name: "eth0", priority: 500 }, { name: "lo", priority: 1 }] } };
  const N = "/sys/fs/cgroup/net_cls,net_prio/capsa/c1/";
  assert.equal(W(plan(V1, n, { update: true })), [[N + "net_cls.classid", "1048577"], [N + "net_prio.ifpriomap", "eth0 500"], [N + "net_prio.ifpriomap", "lo 1"]]);
  assert.equal(errors(plan(UNI, n)), [
    ["/linux/resources/network/classID", "linux.resources.network.classID.controller"],
    ["/linux/resources/network/priorities", "linux.resources.network.priorities.controller"],
  ]);
  assert.equal(errors(plan(V1, { network: { priorities: [{ name: "a b", priority: 1 }] } }, { update: true })),
    [["/linux/resources/network/priorities/0/name", "linux.resources.network.priorities.name.invalid"]]);
});

test("rdma: one rdma.max line per device, on v1 and v2", () => {
  const r = { rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } } };
  for (const [l, d] of [[V1, "/sys/fs/cgroup/rdma/capsa/c1/"], [UNI, U]]) {
    assert.equal(W(plan(l, r, { update: true })), [[d + "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"], [d + "rdma.max", "mlx4_0 hca_object=1000"]]);
  }
  assert.equal(errors(plan(UNI, { rdma: { x: {} } })), [["/linux/resources/rdma/x", "linux.resources.rdma.empty"]]);
  assert.equal(errors(plan(UNI, { rdma: { "a b": { hcaHandles: 1 } } })), [["/linux/resources/rdma", "linux.resources.rdma.invalid"]]);
  assert.equal(errors(plan(UNI, { rdma: { x: { hcaHandles: -1 } } })).map(([p]) => p), ["/linux/resources/rdma/x/hcaHandles", "/linux/resources/rdma/x"]);
});

test("hybrid: each resource goes to the hierarchy that has its controller", () => {
  const p = plan(HYB, { memory: { limit: MiB }, hugepageLimits: [{ pageSize: "2MB", limit: 2 * MiB }], unified: { "hugetlb.1GB.max": "0" } }, { update: true });
  ok(p);
  assert.equal(W(p).map(([f, v]) => [f, v]), [
    [M1 + "memory.limit_in_bytes", String(MiB)],
    ["/sys/fs/cgroup/unified/capsa/c1/hugetlb.2MB.max", String(2 * MiB)],
    ["/sys/fs/cgroup/unified/capsa/c1/hugetlb.2MB.rsvd.max", String(2 * MiB)],
    ["/sys/fs/cgroup/unified/capsa/c1/hugetlb.1GB.max", "0"],
  ]);
  // A controller neither side has is an error, not a silent drop.
  const v1only = layoutOf(fx("v1.mountinfo").split("\n").filter((l) => !l.includes("rdma")).join("\n"), fx("v1.cgroup"));
  assert.equal(errors(plan(v1only, { rdma: { mlx5_1: { hcaHandles: 1 } } })), [["/linux/resources/rdma", "linux.resources.rdma.controller"]]);
});

// ---- unified ------------------------------------------------------------------------------------

test("unified: written line by line on v2; bad keys and controllers that are not enabled refused", () => {
  const p = plan(UNI, { unified: { "io.max": "259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120\n", "hugetlb.1GB.max": "1073741824", "cgroup.max.depth": "3" } });
  ok(p);
  assert.equal(W(p), [
    [U + "io.max", "259:0 rbps=2097152 wiops=120"], [U + "io.max", "253:0 rbps=2097152 wiops=120"],
    [U + "hugetlb.1GB.max", "1073741824"], [U + "cgroup.max.depth", "3"],
  ]);
  assert.is(p.writes[1].pointer, "/linux/resources/unified/io.max");
  const bad = plan(UNI, { unified: { "../memory.max": "1", "memory/x": "1", ".hidden": "1", "foo.bar": "1", "memory.max": 5 } });
  assert.equal(errors(bad), [
    ["/linux/resources/unified/..~1memory.max", "linux.resources.unified.key"],
    ["/linux/resources/unified/memory~1x", "linux.resources.unified.key"],
    ["/linux/resources/unified/.hidden", "linux.resources.unified.key"],
    ["/linux/resources/unified/foo.bar", "linux.resources.unified.controller"],
    ["/linux/resources/unified/memory.max", "linux.resources.unified.type"],
  ]);
  assert.equal(bad.writes, []);
  assert.equal(errors(plan(HYB, { unified: { "memory.max": "1" } })), [["/linux/resources/unified/memory.max", "linux.resources.unified.controller"]]);
  assert.equal(errors(plan(V1, { unified: { "memory.max": "1" } }, { update: true })), [["/linux/resources/unified", "linux.resources.unified.controller"]]);
  ok(plan(V1, { unified: {} }, { update: true }));
});

// ---- devices ------------------------------------------------------------------------------------

const D1 = "/sys/fs/cgroup/devices/capsa/c1/";
const devLines = (p) => p.writes.filter((w) => w.file.startsWith(D1)).map((w) => [w.file.slice(D1.length), w.value]);

test("devices v1: a deny-all or allow-all start, then the exceptions, as the kernel keeps them", () => {
  const rules = [
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 10, minor: 229, access: "rw" },
    { allow: true, type: "b", major: 8, access: "r" },
    { allow: false, type: "c", major: 10, minor: 229, access: "w" },
  ];
  const p = plan(V1, { devices: rules }, { update: true });
  ok(p);
  assert.equal(devLines(p), [["devices.deny", "a *:* rwm"], ["devices.allow", "c 10:229 r"], ["devices.allow", "b 8:* r"]]);
  assert.equal(p.writes.map((w) => w.pointer), ["/linux/resources/devices", "/linux/resources/devices/1", "/linux/resources/devices/2"]);
  assert.equal(devLines(plan(V1, { devices: [{ allow: true, access: "rwm" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }] }, { update: true })),
    [["devices.allow", "a *:* rwm"], ["devices.deny", "c 1:3 w"]]);
  // Rules before a wildcard rule are forgotten, as the kernel does.
  assert.equal(devLines(plan(V1, { devices: [{ allow: true, type: "c", major: 1, minor: 3 }, { allow: false }] }, { update: true })), [["devices.deny", "a *:* rwm"]]);
});

test("devices: runc's default allow list; nothing at all without rules or defaults", () => {
  assert.equal(plan(V1, { devices: [] }, { update: true, defaultDevices: false }).writes.length, 1, "an empty list still means deny-all");
  assert.equal(plan(V1, {}, { update: true }).writes, []);
  const p = plan(V1, null, { update: true, defaultDevices: true });
  assert.equal(devLines(p), [["devices.deny", "a *:* rwm"], ...["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"].map((l) => ["devices.allow", l])]);
});

test("devices: each node of linux.devices is allowed rwm, after the resources' rules; fifos need none", () => {
  const linuxDevices = [
    { path: "/dev/fuse", type: "c", major: 10, minor: 229 },
    { path: "/dev/sdz", type: "b", major: 8, minor: 0, fileMode: 0o600 },
    { path: "/dev/tty9", type: "u", major: 4, minor: 9 },
    { path: "/dev/pipe", type: "p" },
  ];
  const p = plan(V1, { devices: [{ allow: false, access: "rwm" }] }, { linuxDevices });
  ok(p);
  assert.equal(devLines(p), [["devices.deny", "a *:* rwm"], ["devices.allow", "c 10:229 rwm"], ["devices.allow", "b 8:0 rwm"], ["devices.allow", "c 4:9 rwm"]]);
  assert.equal(p.writes.filter((w) => w.file.startsWith(D1)).map((w) => w.pointer).slice(1), ["/linux/devices/0", "/linux/devices/1", "/linux/devices/2"]);
});

test("devices v1 update: the transition from devices.list, without a deny-all window", () => {
  const rules = { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 9, access: "r" }] };
  const t = (list) => devLines(plan(V1, rules, { update: true, current: { "devices.list": list } }));
  assert.equal(t("c 1:3 rwm\nc 1:5 rwm\n"), [["devices.deny", "c 1:5 rwm"], ["devices.allow", "c 1:9 r"]]);
  assert.equal(t("c 1:3 rw\nc 1:9 rw\n"), [["devices.deny", "c 1:9 w"], ["devices.allow", "c 1:3 m"]]);
  assert.equal(t("a *:* rwm\n"), [["devices.deny", "a *:* rwm"], ["devices.allow", "c 1:3 rwm"], ["devices.allow", "c 1:9 r"]]);
});

test("devices: rules cgroup v1 would silently ignore are refused; bad fields reported", () => {
  const p = plan(V1, { devices: [{ allow: false }, { allow: true, type: "c", major: 1, access: "rw" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }] }, { update: true });
  assert.equal(errors(p), [["/linux/resources/devices/2", "linux.resources.devices.ignored"]]);
  assert.equal(errors(plan(V1, { devices: [{ allow: true, type: "x" }, { allow: true, access: "rx" }, { type: "c" }, 3] }, { update: true })), [
    ["/linux/resources/devices/0/type", "linux.resources.devices.type.invalid"],
    ["/linux/resources/devices/1/access", "linux.resources.devices.access.invalid"],
    ["/linux/resources/devices/2/allow", "linux.resources.devices.allow.required"],
    ["/linux/resources/devices/3", "linux.resources.devices.type"],
  ]);
});

// A small eBPF interpreter: ALU32/ALU64, LDX, JMP with immediate and register operands, EXIT.
// r1 points at a 12-byte struct bpf_cgroup_dev_ctx; anything else is a failure.
function runBpf(bytes, type, access, major, minor) {
  const n = bytes.length / 8, dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const ctx = new DataView(new ArrayBuffer(12));
  ctx.setUint32(0, type | (access << 16), true);
  ctx.setUint32(4, major, true);
  ctx.setUint32(8, minor, true);
  const M64 = (1n << 64n) - 1n, M32 = (1n << 32n) - 1n;
  const r = new Array(11).fill(0n);
  const isCtx = new Array(11).fill(false);
  isCtx[1] = true;
  let steps = 0;
  for (let pc = 0; pc < n; pc++) {
    if (++steps > 4096) throw new Error("too many steps");
    const code = dv.getUint8(pc * 8), regs = dv.getUint8(pc * 8 + 1), dst = regs & 15, src = regs >> 4;
    const off = dv.getInt16(pc * 8 + 2, true), imm = BigInt(dv.getInt32(pc * 8 + 4, true));
    const cls = code & 7, op = code & 0xf0, x = (code & 8) !== 0;
    if (cls === 1) { // LDX
      if ((code & 0xe0) !== 0x60 || (code & 0x18) !== 0 || !isCtx[src] || off < 0 || off > 8 || off % 4) throw new Error(`bad load at ${pc}`);
      r[dst] = BigInt(ctx.getUint32(off, true));
      isCtx[dst] = false;
    } else if (cls === 4 || cls === 7) { // ALU, ALU64
      const w = cls === 4;
      let a = r[dst], b = x ? r[src] : imm & M64;
      if (w) { a &= M32; b &= M32; }
      const f = { 0x00: a + b, 0x10: a - b, 0x20: a * b, 0x40: a | b, 0x50: a & b, 0x60: a << (b & 63n), 0x70: a >> (b & 63n), 0xa0: a ^ b, 0xb0: b }[op];
      if (f === undefined) throw new Error(`alu op ${op} at ${pc}`);
      r[dst] = w ? f & M32 : f & M64;
      isCtx[dst] = false;
    } else if (cls === 5) { // JMP
      if (op === 0x90) { if (r[0] > 1n) throw new Error("verdict not 0/1"); return Number(r[0]); }
      const a = r[dst], b = x ? r[src] : imm & M64;
      const t = { 0x00: true, 0x10: a === b, 0x20: a > b, 0x30: a >= b, 0x40: (a & b) !== 0n, 0x50: a !== b, 0xa0: a < b, 0xb0: a <= b }[op];
      if (t === undefined) throw new Error(`jmp op ${op} at ${pc}`);
      if (t) {
        if (off < 0) throw new Error("backward jump");
        pc += off;
      }
    } else throw new Error(`class ${cls} at ${pc}`);
  }
  throw new Error("fell off the end");
}

const ACC = { m: 1, r: 2, w: 4 };
const bits = (s) => [...(s || "rwm")].reduce((a, c) => a | ACC[c], 0);

/** The kernel's v1 device cgroup, as a reference: a default and exceptions. null when refused. */
function model(rules) {
  let allow = false, ex = new Map();
  for (const r of rules) {
    const t = r.type || "a", ma = r.major ?? -1, mi = r.minor ?? -1, acc = bits(r.access);
    if (t === "a") { allow = r.allow; ex = new Map(); continue; }
    const k = `${t} ${ma} ${mi}`;
    if (r.allow !== allow) { ex.set(k, (ex.get(k) || 0) | acc); continue; }
    for (const [pma, pmi] of [[-1, mi], [ma, -1], [-1, -1]]) {
      if (pma === ma && pmi === mi) continue;
      if ((ex.get(`${t} ${pma} ${pmi}`) || 0) & acc) return null;
    }
    const left = (ex.get(k) || 0) & ~acc;
    if (left) ex.set(k, left); else ex.delete(k);
  }
  return { allow, ex };
}

/** Whitelist: some exception grants every requested bit; blacklist: none denies any of them. */
function verdict(m, type, major, minor, access) {
  for (const [k, acc] of m.ex) {
    const [t, ma, mi] = k.split(" ");
    if (t !== type || (+ma !== -1 && +ma !== major) || (+mi !== -1 && +mi !== minor)) continue;
    if (!m.allow && (access & ~acc) === 0) return 1;
    if (m.allow && (access & acc) !== 0) return 0;
  }
  return m.allow ? 1 : 0;
}

/** Replays v1 lines into the reference model. */
function replay(lines) {
  return model(lines.map(([file, line]) => {
    const [t, mm, acc] = line.split(" "), [ma, mi] = mm.split(":");
    return { allow: file === "devices.allow", type: t, major: ma === "*" ? -1 : +ma, minor: mi === "*" ? -1 : +mi, access: acc };
  }));
}

const core = await load();
function bpfPlan(devices, extra = {}) {
  const r = core.call("cgroup_plan", json({ layout: UNI, id: "c1", cgroupsPath: "/c1", resources: { devices }, update: true, ...extra }));
  const x = core.exports;
  return { ...r.json, status: r.status, prog: new Uint8Array(x.memory.buffer, x.blob_ptr(), x.blob_len()).slice() };
}
const REQS = [];
for (const t of ["b", "c"]) for (const ma of [1, 5, 8, 136]) for (const mi of [0, 3, 9]) for (let a = 1; a < 8; a++) REQS.push([t, ma, mi, a]);
const typeBits = (t) => (t === "b" ? 1 : 2);

test("devices v2: the program's bytes, instruction by instruction, for one rule", () => {
  const p = bpfPlan([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }]);
  assert.equal(p.bpf, { instructions: 13, defaultAllow: false, license: "Apache", cgroup: "/sys/fs/cgroup/c1" });
  assert.equal(p.writes, []);
  const ins = (code, dst, src, off, imm) => {
    const b = new DataView(new ArrayBuffer(8));
    b.setUint8(0, code); b.setUint8(1, dst | (src << 4)); b.setInt16(2, off, true); b.setInt32(4, imm, true);
    return [...new Uint8Array(b.buffer)];
  };
  assert.equal([...p.prog], [
    ins(0x61, 2, 1, 0, 0), ins(0x54, 2, 0, 0, 0xffff), // r2 = type
    ins(0x61, 3, 1, 0, 0), ins(0x74, 3, 0, 0, 16), // r3 = access
    ins(0x61, 4, 1, 4, 0), ins(0x61, 5, 1, 8, 0), // r4 = major, r5 = minor
    ins(0x55, 2, 0, 4, 2), ins(0x55, 4, 0, 3, 1), ins(0x55, 5, 0, 2, 3), // c 1:3, else skip the block
    ins(0xb4, 0, 0, 0, 1), ins(0x95, 0, 0, 0, 0), // allow
    ins(0xb4, 0, 0, 0, 0), ins(0x95, 0, 0, 0, 0), // deny
  ].flat());
});

test("devices v2: a node of linux.devices passes the program after the resources' deny-all", () => {
  const p = bpfPlan([{ allow: false, access: "rwm" }], { linuxDevices: [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }] });
  ok(p);
  assert.is(runBpf(p.prog, typeBits("c"), 7, 10, 229), 1);
  assert.is(runBpf(p.prog, typeBits("c"), 7, 10, 228), 0);
  assert.is(runBpf(p.prog, typeBits("b"), 1, 10, 229), 0);
});

test("devices v2: the program agrees with the rules on every request (curated rule sets)", () => {
  const sets = [
    [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }, { allow: true, type: "b", major: 8, access: "r" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }],
    [{ allow: true, access: "rwm" }, { allow: false, type: "c", major: 5, access: "w" }, { allow: false, type: "b", major: 8, minor: 0 }],
    [{ allow: true, access: "rwm" }],
    [],
    [{ allow: true, type: "c", major: 136, access: "rwm" }, { allow: true, type: "c", access: "m" }],
  ];
  for (const rules of sets) {
    const p = bpfPlan(rules);
    ok(p);
    const m = model(rules);
    assert.is(p.prog.length, 8 * p.bpf.instructions);
    for (const [t, ma, mi, a] of REQS) {
      assert.is(runBpf(p.prog, typeBits(t), a, ma, mi), verdict(m, t, ma, mi, a), `${json(rules)}: ${t} ${ma}:${mi} ${a}`);
    }
  }
  // Explicit verdicts for the first set.
  const p = bpfPlan(sets[0]);
  assert.is(runBpf(p.prog, 2, ACC.r, 1, 3), 1);
  assert.is(runBpf(p.prog, 2, ACC.w, 1, 3), 0);
  assert.is(runBpf(p.prog, 2, ACC.r | ACC.w, 1, 3), 0);
  assert.is(runBpf(p.prog, 1, ACC.r, 8, 77), 1);
  assert.is(runBpf(p.prog, 1, ACC.m, 8, 77), 0);
  assert.is(runBpf(p.prog, 2, ACC.r, 8, 77), 0);
  // A write-denied device cannot be opened read-write in an allow-all cgroup.
  const q = bpfPlan(sets[1]);
  assert.is(runBpf(q.prog, 2, ACC.r | ACC.w, 5, 1), 0);
  assert.is(runBpf(q.prog, 2, ACC.r, 5, 1), 1);
  assert.is(runBpf(q.prog, 1, ACC.r, 8, 0), 0);
  assert.is(runBpf(q.prog, 1, ACC.r, 8, 1), 1);
});

test("devices: random rule sets; v2 program, v1 lines and the reference model agree", () => {
  let seed = 12345; // mulberry32
  const rnd = (n) => {
    let t = (seed = (seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const pick = (a) => a[rnd(a.length)];
  let programs = 0, refused = 0;
  for (let i = 0; i < 400; i++) {
    const rules = [];
    const n = 1 + rnd(6);
    for (let j = 0; j < n; j++) {
      const r = { allow: rnd(2) === 1 };
      const t = pick(["a", "b", "c", "c", "c"]);
      if (t !== "a" || rnd(2)) r.type = t;
      const ma = pick([undefined, 1, 1, 5]), mi = pick([undefined, undefined, 3, 9]);
      if (ma !== undefined) r.major = ma;
      if (mi !== undefined) r.minor = mi;
      r.access = pick(["r", "w", "m", "rw", "rm", "wm", "rwm"]);
      rules.push(r);
    }
    const m = model(rules);
    const p = bpfPlan(rules, { defaultDevices: false });
    if (m === null) {
      assert.is(p.status, 1, json(rules));
      const codes = errors(p).map(([, c]) => c);
      assert.ok(codes.length > 0 && codes.every((c) => c === "linux.resources.devices.ignored"), json(codes));
      refused++;
      continue;
    }
    ok(p);
    programs++;
    const v1 = plan(V1, { devices: rules }, { update: true });
    const lines = v1.writes.map((w) => [w.file.slice(D1.length), w.value]);
    const back = replay(lines);
    for (const [t, ma, mi, a] of REQS) {
      const want = verdict(m, t, ma, mi, a);
      assert.is(runBpf(p.prog, typeBits(t), a, ma, mi), want, `${json(rules)}: ${t} ${ma}:${mi} ${a}`);
      assert.is(verdict(back, t, ma, mi, a), want, `v1 lines ${json(lines)}`);
    }
  }
  assert.ok(programs > 150 && refused > 0, `${programs} programs, ${refused} refused`);
});

test("devices v2 with the default list: the usual nodes, ptys and mknod of anything", () => {
  const p = bpfPlan([{ allow: false, access: "rwm" }], { defaultDevices: true });
  const run = (t, a, ma, mi) => runBpf(p.prog, typeBits(t), a, ma, mi);
  for (const [ma, mi] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 7]]) {
    assert.is(run("c", ACC.r | ACC.w, ma, mi), 1, `${ma}:${mi}`);
  }
  assert.is(run("c", ACC.r, 1, 1), 0, "/dev/mem");
  assert.is(run("b", ACC.r, 8, 0), 0);
  assert.is(run("b", ACC.m, 8, 0), 1);
  assert.is(run("c", ACC.m, 10, 200), 1);
  // No devices controller, no unified hierarchy: an error.
  const nodev = layoutOf(fx("v1.mountinfo").split("\n").filter((l) => !l.includes("devices")).join("\n"), fx("v1.cgroup"));
  assert.equal(errors(plan(nodev, { devices: [] }, { update: true })), [["/linux/resources/devices", "linux.resources.devices.controller"]]);
});

// ---- stats --------------------------------------------------------------------------------------

test("statFiles: what the host reads for stats, per hierarchy", () => {
  const v1 = plan(V1, null, { hugePageSizes: ["2MB"], cpusetParent: { cpus: "0", mems: "0" } }).statFiles;
  assert.is(v1["memory.memsw.max_usage_in_bytes"], M1 + "memory.memsw.max_usage_in_bytes");
  assert.is(v1["cpuacct.usage_percpu"], C1 + "cpuacct.usage_percpu");
  assert.is(v1["blkio.throttle.io_service_bytes_recursive"], "/sys/fs/cgroup/blkio/capsa/c1/blkio.throttle.io_service_bytes_recursive");
  assert.is(v1["hugetlb.2MB.failcnt"], "/sys/fs/cgroup/hugetlb/capsa/c1/hugetlb.2MB.failcnt");
  assert.is(v1["freezer.state"], "/sys/fs/cgroup/freezer/capsa/c1/freezer.state");
  assert.is(Object.keys(v1).length, 2 + 16 + 5 + 2 + 6 + 3 + 1);
  const v2 = plan(UNI, null, { hugePageSizes: ["2MB", "1GB"] }).statFiles;
  assert.equal(Object.keys(v2), ["memory.stat", "memory.current", "memory.max", "memory.peak", "memory.swap.current", "memory.swap.max", "memory.swap.peak", "memory.events",
    "cpu.stat", "pids.current", "pids.max", "io.stat", "hugetlb.2MB.current", "hugetlb.2MB.events", "hugetlb.1GB.current", "hugetlb.1GB.events", "cgroup.freeze", "cgroup.events"]);
  assert.ok(Object.values(v2).every((f) => f.startsWith(U)));
  const h = plan(HYB, null, { hugePageSizes: ["2MB"], cpusetParent: { cpus: "0", mems: "0" } }).statFiles;
  assert.is(h["cpu.stat"], C1 + "cpu.stat");
  assert.is(h["hugetlb.2MB.current"], "/sys/fs/cgroup/unified/capsa/c1/hugetlb.2MB.current");
  assert.is(h["freezer.state"], "/sys/fs/cgroup/freezer/capsa/c1/freezer.state");
});

const stats = (files, id = "c1") => {
  const r = raw("cgroup_stats", json({ id, files }));
  assert.is(r.status, 0);
  return { ...JSON.parse(r.text), text: r.text };
};

test("stats v1: cpuacct, cpu.stat, memory (+memsw, kmem), pids, blkio, hugetlb", () => {
  const s = stats(JSON.parse(fx("stats-v1.json")));
  assert.is(s.type, "stats");
  assert.is(s.id, "c1");
  const HZ = 100, NS = 1e9;
  assert.equal(s.data.cpu, {
    usage: {
      total: 1714724740038, percpu: [841264441488, 873460298550],
      percpu_kernel: [76782609489, 93162181672], percpu_user: [758786594676, 773465691276],
      kernel: (17119 * NS) / HZ, user: (154352 * NS) / HZ,
    },
    throttling: { periods: 120, throttledPeriods: 7, throttledTime: 351000000 },
  });
  const m = s.data.memory;
  assert.is(m.cache, 9330688);
  assert.equal(m.usage, { limit: 33554432, usage: 17678336, max: 25165824, failcnt: 3 });
  assert.equal(m.swap, { limit: 67108864, usage: 17682432, max: 25169920, failcnt: 0 });
  assert.equal(m.kernel.usage, 1024000);
  assert.match(s.text, /"kernelTCP":\{"limit":9223372036854771712,/, "exact 64-bit numbers");
  assert.is(m.raw.total_rss, 8347648);
  assert.is(Object.keys(m.raw).length, 21);
  assert.equal(m.events, { oom_kill_disable: 0, under_oom: 0, oom_kill: 2 });
  assert.equal(s.data.pids, { current: 12, limit: 0 });
  const b = s.data.blkio;
  assert.is(b.ioServiceBytesRecursive.length, 12, "throttle: the only service_bytes file");
  assert.equal(b.ioServiceBytesRecursive[1], { major: 8, minor: 0, op: "Write", value: 4096 });
  assert.equal(b.ioServiceBytesRecursive[6], { major: 253, minor: 0, op: "Read", value: 1052672 });
  assert.equal(b.ioServicedRecursive[0], { major: 8, minor: 0, op: "Read", value: 38 }, "bfq before throttle");
  assert.equal(s.data.hugetlb, { "2MB": { usage: 4194304, max: 8388608, failcnt: 1 }, "1GB": { usage: 0, max: 0, failcnt: 0 } });
});

test("stats v2: cpu.stat in µs → ns, memory with v1-style memory+swap, events, io.stat, pids, hugetlb", () => {
  const s = stats(JSON.parse(fx("stats-v2.json")));
  assert.equal(s.data.cpu, {
    usage: { total: 1702229077 * 1000, kernel: 169948791 * 1000, user: 1532280285 * 1000 },
    throttling: { periods: 50, throttledPeriods: 3, throttledTime: 12345 * 1000 },
  });
  const m = s.data.memory;
  assert.is(m.cache, 9330688, "file");
  assert.equal(m.usage, { limit: 33554432, usage: 11993088, max: 25165824, failcnt: 5 });
  assert.equal(m.swap, { limit: 33554432 + 33554432, usage: 4096 + 11993088, max: 0, failcnt: 0 });
  assert.is(m.raw.anon, 1531904);
  assert.equal([m.events.oom, m.events.oom_kill], [1, 1]);
  assert.equal(s.data.pids, { current: 3, limit: 100 });
  assert.equal(s.data.blkio.ioServiceBytesRecursive, [
    { major: 8, minor: 0, op: "Read", value: 1052672 }, { major: 8, minor: 0, op: "Write", value: 4096 },
    { major: 253, minor: 0, op: "Read", value: 0 }, { major: 253, minor: 0, op: "Write", value: 8192 },
  ]);
  assert.equal(s.data.blkio.ioServicedRecursive.map((e) => e.value), [40, 1, 0, 2]);
  assert.equal(s.data.hugetlb, { "2MB": { usage: 2097152, max: 0, failcnt: 4 } });
  // "max" limits: unlimited memory makes memory+swap unlimited.
  const u = stats({ "memory.current": "5\n", "memory.max": "max\n", "memory.swap.max": "0\n", "pids.max": "max" });
  assert.match(u.text, /"usage":\{"limit":18446744073709551615,"usage":5,/);
  assert.match(u.text, /"swap":\{"limit":18446744073709551615,"usage":5,/);
  assert.is(u.data.pids.limit, 0);
});

test("stats: missing or malformed files give zeros, never a trap", () => {
  const s = stats({});
  assert.is(s.data.memory.usage.usage, 0);
  assert.equal(s.data.blkio, { ioServiceBytesRecursive: [], ioServicedRecursive: [] });
  assert.is(stats({ "memory.usage_in_bytes": "garbage", "cpu.stat": "x\n\ny z", "io.stat": "8:0 rbytes\n: =\n", "hugetlb.": "1" }).data.memory.usage.usage, 0);
  assert.is(call("cgroup_stats", "nope").status, 1);
  assert.is(call("cgroup_stats", json({ files: 3 })).status, 0);
});

test("freezer: v1 freezer.state and v2 cgroup.events/cgroup.freeze as the lifecycle's states", () => {
  const f = (files) => call("cgroup_freezer", json({ files })).json.freezer;
  assert.is(f({ "freezer.state": "FROZEN\n" }), "FROZEN");
  assert.is(f({ "freezer.state": "FREEZING\n" }), "FREEZING");
  assert.is(f({ "cgroup.events": "populated 1\nfrozen 1\n", "cgroup.freeze": "1\n" }), "FROZEN");
  assert.is(f({ "cgroup.events": "populated 1\nfrozen 0\n", "cgroup.freeze": "1\n" }), "FREEZING");
  assert.is(f({ "cgroup.events": "populated 1\nfrozen 0\n", "cgroup.freeze": "0\n" }), "THAWED");
  assert.is(f({}), null);
  // What the lifecycle makes of it.
  const stat = "4242 (sh) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 100 1753088 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  const st = (freezer) => call("status", json({ stat, startTime: "100", fifo: false, freezer })).json.status;
  assert.is(st(f({ "cgroup.events": "frozen 1\n", "cgroup.freeze": "1" })), "paused");
  assert.is(st(f({ "cgroup.events": "frozen 0\n", "cgroup.freeze": "1" })), "pausing");
});

test("mutated inputs never trap: every member replaced by values of every type", () => {
  const full = {
    memory: { limit: MiB, swap: 2 * MiB, reservation: 1, kernel: 1, kernelTCP: 1, swappiness: 1, disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: true },
    cpu: { shares: 2, quota: 1000, period: 1000, burst: 1, realtimeRuntime: 1, realtimePeriod: 1, cpus: "0", mems: "0", idle: 1 },
    pids: { limit: 1 }, blockIO: BLKIO, hugepageLimits: [{ pageSize: "2MB", limit: 1 }],
    network: { classID: 1, priorities: [{ name: "lo", priority: 1 }] }, rdma: { d: { hcaHandles: 1 } },
    unified: { "cgroup.max.depth": "1" }, devices: [{ allow: false }, { allow: true, type: "c", major: 1, minor: 3, access: "r" }],
  };
  const odd = [null, -1, -2, 0, 1.5, 1e400, "18446744073709551616", 18446744073709551616n, "", "x/y", " ", "\n", true, [], {}, [null], { a: 1 }];
  const enc = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `@@${x}@@` : x)).replace(/"@@(\d+)@@"/g, "$1");
  const paths = [];
  const walk = (v, at) => {
    paths.push(at);
    if (v && typeof v === "object") for (const k of Object.keys(v)) walk(v[k], [...at, k]);
  };
  walk(full, []);
  let n = 0;
  for (const at of paths) {
    for (const o of odd) {
      const r = structuredClone(full);
      if (at.length === 0) continue;
      let p = r;
      for (const k of at.slice(0, -1)) p = p[k];
      p[at[at.length - 1]] = o;
      for (const layout of [V1, UNI, HYB]) {
        for (const update of [false, true]) {
          const x = raw("cgroup_plan", enc({ layout, id: "c1", cgroupsPath: "/c", resources: r, update, current: { "memory.limit_in_bytes": "1", "devices.list": "a *:* rwm" }, cpusetParent: { cpus: "0", mems: "0" } }));
          assert.ok(x.status === 0 || x.status === 1);
          JSON.parse(x.text);
          n++;
        }
      }
    }
  }
  for (const o of odd) {
    for (const k of ["layout", "cgroupsPath", "resources", "current", "cpusetParent", "hugePageSizes", "defaultDevices", "linuxDevices", "update", "id"]) {
      const x = raw("cgroup_plan", enc({ layout: V1, id: "c1", resources: full, [k]: o }));
      JSON.parse(x.text);
    }
    for (const f of ["cgroup_layout", "cgroup_stats", "cgroup_freezer"]) {
      JSON.parse(raw(f, enc({ mountinfo: o, cgroup: o, files: { "memory.stat": o, "io.stat": o, "cpu.stat": o }, id: o })).text);
      JSON.parse(raw(f, enc(o)).text);
    }
  }
  assert.ok(n > 2000, String(n));
});

test.run();
