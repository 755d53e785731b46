// The plan export (config + runtime facts → init program) and the spec export (runc spec's
// default config). Expected programs are written by hand from the rules in core/plan/*.ts and
// runc's init order, not copied from the output.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import process from "node:process";
import { call, plan, opTable, decodeProgram, DEFAULT_FACTS } from "../lib/plan-core.mjs";

const exampleText = () => readFileSync(new URL("../../../shared/runtime-spec/schema/test/config/good/spec-example.json", import.meta.url), "utf8");

// Linux constants, written out independently of core/plan/consts.ts.
const CLONE = { time: 0x80, mount: 0x20000, cgroup: 0x2000000, uts: 0x4000000, ipc: 0x8000000, user: 0x10000000, pid: 0x20000000, network: 0x40000000 };
const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, NOATIME: 1024, NODIRATIME: 2048,
  BIND: 4096, REC: 16384, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
};
const ATTR = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, _ATIME: 0x70, NOATIME: 0x10, STRICTATIME: 0x20 };
const MNT = { TARGET_HOST: 1, MKDIR: 2, MKFILE_IF_FILE: 4 };
const PR_SET_KEEPCAPS = 8, PR_SET_NO_NEW_PRIVS = 38;
const S_IFCHR = 0o20000, S_IFBLK = 0o60000;
const CAP = { CHOWN: 0, KILL: 5, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10, SYS_ADMIN: 21, AUDIT_WRITE: 29, BPF: 39, CHECKPOINT_RESTORE: 40 };
const DEFAULT_CAPS = (1 << CAP.KILL) | (1 << CAP.AUDIT_WRITE) | (1 << CAP.NET_BIND_SERVICE);
const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const FIFO = "/run/capsa/c1/exec.fifo";
const DEFAULT_FLAGS = MS.NOSUID | MS.NODEV | MS.NOEXEC;

function ok(r) {
  if (r.status !== 0 || !r.json || r.json.valid !== true) throw new Error("plan refused: " + r.text);
  return r.json;
}

/** A minimal valid config with a mount namespace; `over` is merged in (linux shallowly). */
function config(over = {}) {
  const base = {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { cwd: "/", args: ["/bin/true"], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: "mount" }] },
  };
  const c = { ...base, ...over };
  if (over.linux) c.linux = { ...base.linux, ...over.linux };
  return c;
}

/**
 * Checks a program against [name, pointer, {ints, strs}] rows: every op's name and pointer,
 * and the arguments where a row gives them.
 */
function expectOps(ops, rows) {
  const got = ops.map((o) => `${o.op} ${o.pointer}`);
  const want = rows.map((r) => `${r[0]} ${r[1]}`);
  assert.equal(got, want, "op names and pointers");
  rows.forEach((r, i) => {
    if (!r[2]) return;
    if (r[2].ints) assert.equal(ops[i].ints, r[2].ints, `ops[${i}] (${r[0]}) ints`);
    if (r[2].strs) assert.equal(ops[i].strs, r[2].strs, `ops[${i}] (${r[0]}) strs`);
  });
}

function mountRow(pointer, source, target, fstype, data, flags, cflags, propagation = 0, remount = 0, attrSet = 0, attrClr = 0) {
  return ["mount", pointer, { ints: [flags, cflags, propagation, remount, attrSet, attrClr], strs: [source, target, fstype, data] }];
}

const byOp = (ops, name) => ops.filter((o) => o.op === name);

// ---- the program blob ------------------------------------------------------------------------

test("the blob is the program: magic, version, size field equal to its length, ops as described", () => {
  const r = plan(config());
  const j = ok(r);
  const t = opTable();
  const h = decodeProgram(r.blob);
  assert.is(h.magic, 0x41535043);
  assert.is(h.version, 1);
  assert.is(h.flags, 0);
  assert.is(h.size, r.blob.length);
  assert.is(h.end, r.blob.length);
  assert.is(h.count, j.ops.length);
  h.ops.forEach((op, i) => {
    assert.is(op.index, i);
    assert.is(t.byCode[op.code].name, j.ops[i].op);
    assert.equal(op.ints.map(String), j.ops[i].ints.map(String));
    assert.equal(op.strs, j.ops[i].strs);
  });
  // Every op has at least the arguments its definition names.
  for (const op of j.ops) {
    const d = t.byName[op.op];
    const ni = d.ints === "" ? 0 : d.ints.split(",").filter((s) => s !== "*").length;
    const ns = d.strs === "" ? 0 : d.strs.split(",").filter((s) => s !== "*").length;
    assert.ok(op.ints.length >= ni && op.strs.length >= ns, `${op.op} has its arguments`);
  }
  assert.type(j.text, "string");
  assert.ok(j.text.split("\n").length >= j.ops.length);
});

// ---- golden: the runtime-spec's example ------------------------------------------------------

test("golden: runtime-spec schema/test/config/good/spec-example.json", () => {
  const cfg = JSON.parse(exampleText());
  // The example says 0.5.0-dev; pin a 1.x version so the golden plan does not depend on how
  // validation treats pre-1.0 versions.
  cfg.ociVersion = "1.0.0";
  const j = ok(plan(cfg));
  assert.is(j.spawn.cloneFlags, "0", "a new user namespace and time offsets: the init builds its namespaces op by op");
  assert.equal(j.userns, { uidMappings: "0 1000 32000\n", gidMappings: "0 1000 32000\n", setgroups: "allow" });
  assert.is(j.rootfs, "/bundle/rootfs");
  assert.is(j.readonly, true);
  assert.equal(j.process, { terminal: true, args: ["sh"], user: { uid: 1, gid: 1, additionalGids: [5, 6] } });
  assert.equal(Object.keys(j.hooks), ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
  assert.equal(j.hooks.createContainer, [{ path: "/usr/bin/mount-hook", args: ["-mount", "arg1", "arg2"], env: ["key1=value1"] }]);
  assert.equal(j.hooks.poststart, [{ path: "/usr/bin/notify-start", args: ["/usr/bin/notify-start"], env: [], timeout: 5 }]);

  const rest = CLONE.mount | CLONE.uts | CLONE.ipc | CLONE.network | CLONE.pid | CLONE.time;
  const caps3 = DEFAULT_CAPS;
  const bindDev = (p) => ["bind_dev", "", { strs: [p, p] }];
  const link = (target, path) => ["symlink", "", { strs: [target, path] }];
  expectOps(j.ops, [
    ["open_fifo", "", { strs: [FIFO] }],
    ["unshare", "/linux/namespaces/5", { ints: [CLONE.user] }],
    ["sync", "/linux/namespaces/5", { ints: [1] }],
    // Root of the new user namespace once it is mapped (files created on its tmpfs need
    // mapped owners).
    ["setresgid", "/linux/namespaces/5", { ints: [0] }],
    ["setresuid", "/linux/namespaces/5", { ints: [0] }],
    ["unshare", "/linux/namespaces", { ints: [rest] }],
    ["write_file", "/linux/timeOffsets", { ints: [0], strs: ["/proc/self/timens_offsets", "monotonic 172800 0\nboottime 604800 0\n"] }],
    ["fork_pidns", "/linux/namespaces/0"],
    ["unshare", "/linux/namespaces/6", { ints: [CLONE.cgroup] }],
    mountRow("/linux/rootfsPropagation", "", "/", "", "", MS.SLAVE, MNT.TARGET_HOST),
    mountRow("/root/path", "/bundle/rootfs", "/bundle/rootfs", "bind", "", MS.BIND | MS.REC, MNT.TARGET_HOST),
    ["set_root", "/root/path", { strs: ["/bundle/rootfs"] }],
    mountRow("/mounts/0", "proc", "/proc", "proc", "", 0, MNT.MKDIR),
    mountRow("/mounts/1", "tmpfs", "/dev", "tmpfs", "mode=755,size=65536k", MS.NOSUID | MS.STRICTATIME, MNT.MKDIR),
    mountRow("/mounts/2", "devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", MS.NOSUID | MS.NOEXEC, MNT.MKDIR),
    mountRow("/mounts/3", "shm", "/dev/shm", "tmpfs", "mode=1777,size=65536k", DEFAULT_FLAGS, MNT.MKDIR),
    mountRow("/mounts/4", "mqueue", "/dev/mqueue", "mqueue", "", DEFAULT_FLAGS, MNT.MKDIR),
    mountRow("/mounts/5", "sysfs", "/sys", "sysfs", "", DEFAULT_FLAGS, MNT.MKDIR),
    // cgroup v1 without controller facts: the read-only tmpfs.
    mountRow("/mounts/6", "tmpfs", "/sys/fs/cgroup", "tmpfs", "mode=755", DEFAULT_FLAGS, MNT.MKDIR),
    mountRow("/mounts/6", "", "/sys/fs/cgroup", "", "", 0, 0, 0, DEFAULT_FLAGS | MS.RDONLY | MS.REMOUNT | MS.BIND),
    // A user namespace: host devices are bound, not created.
    bindDev("/dev/null"), bindDev("/dev/zero"), bindDev("/dev/full"), bindDev("/dev/random"), bindDev("/dev/urandom"), bindDev("/dev/tty"),
    ["bind_dev", "/linux/devices/0", { strs: ["/dev/fuse", "/dev/fuse"] }],
    ["bind_dev", "/linux/devices/1", { strs: ["/dev/sda", "/dev/sda"] }],
    link("pts/ptmx", "/dev/ptmx"),
    link("/proc/self/fd", "/dev/fd"), link("/proc/self/fd/0", "/dev/stdin"), link("/proc/self/fd/1", "/dev/stdout"),
    link("/proc/self/fd/2", "/dev/stderr"), link("/proc/kcore", "/dev/core"),
    ["sync", "/hooks/createRuntime", { ints: [2] }],
    ["sync", "/hooks/createContainer", { ints: [3] }],
    ["pivot_root", "/root/path"],
    ["mkdir", "/process/cwd", { ints: [0o755], strs: ["/"] }],
    ["remount_root", "/root/readonly", { ints: [MS.RDONLY] }],
    ["setsid", ""],
    ["sethostname", "/hostname", { strs: ["slartibartfast"] }],
    ["setdomainname", "/domainname", { strs: ["foobarbaz.test"] }],
    ["write_file", "/linux/sysctl/net.ipv4.ip_forward", { ints: [0], strs: ["/proc/sys/net/ipv4/ip_forward", "1"] }],
    ["write_file", "/linux/sysctl/net.core.somaxconn", { ints: [0], strs: ["/proc/sys/net/core/somaxconn", "256"] }],
    ["readonly", "/linux/readonlyPaths/0", { strs: ["/proc/asound"] }],
    ["readonly", "/linux/readonlyPaths/1"], ["readonly", "/linux/readonlyPaths/2"], ["readonly", "/linux/readonlyPaths/3"],
    ["readonly", "/linux/readonlyPaths/4", { strs: ["/proc/sys"] }],
    ["readonly", "/linux/readonlyPaths/5"],
    ["mask", "/linux/maskedPaths/0", { strs: ["/proc/kcore"] }],
    ["mask", "/linux/maskedPaths/1"], ["mask", "/linux/maskedPaths/2"],
    ["mask", "/linux/maskedPaths/3", { strs: ["/proc/sched_debug"] }],
    ["setrlimit", "/process/rlimits/0", { ints: [4, 1024, 1024] }],
    ["setrlimit", "/process/rlimits/1", { ints: [7, 1024, 1024] }],
    ["prctl", "/process/noNewPrivileges", { ints: [PR_SET_NO_NEW_PRIVS, 1, 0] }],
    ["chdir", "/process/cwd", { strs: ["/"] }],
    ["cap_bounding", "/process/capabilities/bounding", { ints: [caps3, 0, 40] }],
    ["prctl", "/process/capabilities", { ints: [PR_SET_KEEPCAPS, 1, 0] }],
    ["setgroups", "/process/user/additionalGids", { ints: [5, 6] }],
    ["setresgid", "/process/user/gid", { ints: [1] }],
    ["setresuid", "/process/user/uid", { ints: [1] }],
    ["prctl", "/process/capabilities", { ints: [PR_SET_KEEPCAPS, 0, 0] }],
    ["capset", "/process/capabilities", { ints: [(1 << CAP.AUDIT_WRITE) | (1 << CAP.KILL), 0, caps3, 0, caps3, 0] }],
    ["cap_ambient", "/process/capabilities/ambient", { ints: [1 << CAP.NET_BIND_SERVICE, 0, 40] }],
    ["umask", "", { ints: [0o22] }],
    // As runc: the executable is looked up as the container's user, before the wait for start.
    ["lookup", "/process/args/0", { strs: ["sh", PATH.slice(5)] }],
    // noNewPrivileges is set: the filter goes in as late as possible, before the wait for start.
    ["seccomp", "/linux/seccomp"],
    ["wait_fifo", ""],
    ["exec", "/process/args", { ints: [1, 2, 1, 0], strs: ["sh", "sh", PATH, "TERM=xterm", PATH.slice(5)] }],
  ]);
  // The op carries the program the seccomp export compiles from the same profile.
  const sec = byOp(j.ops, "seccomp");
  assert.is(sec.length, 1);
  const compiled = call("seccomp", JSON.stringify({ seccomp: cfg.linux.seccomp, arch: "x86_64" })).json;
  assert.equal(sec[0].strs, [`<${compiled.instructions * 8} bytes>`]);
  assert.not.ok(j.diagnostics.some((d) => d.code === "linux.seccomp.unsupported"));
  assert.ok(j.diagnostics.every((d) => d.severity === "warning"));
});

// ---- golden: the spec export's default config ------------------------------------------------

test("golden: the default config from spec", () => {
  const s = call("spec", "{}");
  assert.is(s.status, 0);
  const j = ok(plan(s.text, { cgroupMounts: [{ controller: "memory", host: "/sys/fs/cgroup/memory/capsa/c1" }, { controller: "cpu,cpuacct", host: "/sys/fs/cgroup/cpu,cpuacct/capsa/c1" }] }));
  // Everything new: clone creates the namespaces, except cgroup (unshared once the init is in
  // its cgroup).
  assert.is(j.spawn.cloneFlags, String(CLONE.pid | CLONE.network | CLONE.ipc | CLONE.uts | CLONE.mount));
  assert.is(j.userns, null);
  assert.equal(j.process, { terminal: false, args: ["sh"], user: { uid: 0, gid: 0, additionalGids: [] } });
  const mknod = (name, major, minor) => ["mknod", "", { ints: [S_IFCHR | 0o666, major, minor, 0, 0], strs: ["/dev/" + name] }];
  const link = (target, path) => ["symlink", "", { strs: [target, path] }];
  const masked = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm"];
  const ro = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];
  expectOps(j.ops, [
    ["open_fifo", "", { strs: [FIFO] }],
    ["unshare", "/linux/namespaces/5", { ints: [CLONE.cgroup] }],
    mountRow("", "", "/", "", "", MS.SLAVE | MS.REC, MNT.TARGET_HOST),
    mountRow("/root/path", "/bundle/rootfs", "/bundle/rootfs", "bind", "", MS.BIND | MS.REC, MNT.TARGET_HOST),
    ["set_root", "/root/path", { strs: ["/bundle/rootfs"] }],
    mountRow("/mounts/0", "proc", "/proc", "proc", "", 0, MNT.MKDIR),
    mountRow("/mounts/1", "tmpfs", "/dev", "tmpfs", "mode=755,size=65536k", MS.NOSUID | MS.STRICTATIME, MNT.MKDIR),
    mountRow("/mounts/2", "devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", MS.NOSUID | MS.NOEXEC, MNT.MKDIR),
    mountRow("/mounts/3", "shm", "/dev/shm", "tmpfs", "mode=1777,size=65536k", DEFAULT_FLAGS, MNT.MKDIR),
    mountRow("/mounts/4", "mqueue", "/dev/mqueue", "mqueue", "", DEFAULT_FLAGS, MNT.MKDIR),
    mountRow("/mounts/5", "sysfs", "/sys", "sysfs", "", DEFAULT_FLAGS | MS.RDONLY, MNT.MKDIR),
    // cgroup on v1 in a cgroup namespace: a tmpfs, each hierarchy mounted afresh, symlinks for
    // the co-mounted controllers, then the tmpfs read-only.
    mountRow("/mounts/6", "tmpfs", "/sys/fs/cgroup", "tmpfs", "mode=755", DEFAULT_FLAGS, MNT.MKDIR),
    mountRow("/mounts/6", "cgroup", "/sys/fs/cgroup/memory", "cgroup", "memory", DEFAULT_FLAGS | MS.RDONLY, MNT.MKDIR),
    mountRow("/mounts/6", "cgroup", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "cpu,cpuacct", DEFAULT_FLAGS | MS.RDONLY, MNT.MKDIR),
    ["symlink", "/mounts/6", { strs: ["cpu,cpuacct", "/sys/fs/cgroup/cpu"] }],
    ["symlink", "/mounts/6", { strs: ["cpu,cpuacct", "/sys/fs/cgroup/cpuacct"] }],
    mountRow("/mounts/6", "", "/sys/fs/cgroup", "", "", 0, 0, 0, DEFAULT_FLAGS | MS.RDONLY | MS.REMOUNT | MS.BIND),
    mknod("null", 1, 3), mknod("zero", 1, 5), mknod("full", 1, 7), mknod("random", 1, 8), mknod("urandom", 1, 9), mknod("tty", 5, 0),
    link("pts/ptmx", "/dev/ptmx"),
    link("/proc/self/fd", "/dev/fd"), link("/proc/self/fd/0", "/dev/stdin"), link("/proc/self/fd/1", "/dev/stdout"),
    link("/proc/self/fd/2", "/dev/stderr"), link("/proc/kcore", "/dev/core"),
    ["pivot_root", "/root/path"],
    ["mkdir", "/process/cwd", { strs: ["/"] }],
    ["remount_root", "/root/readonly", { ints: [MS.RDONLY] }],
    ["setsid", ""],
    ["sethostname", "/hostname", { strs: ["capsa"] }],
    ...ro.map((p, i) => ["readonly", `/linux/readonlyPaths/${i}`, { strs: [p] }]),
    ...masked.map((p, i) => ["mask", `/linux/maskedPaths/${i}`, { strs: [p] }]),
    ["setrlimit", "/process/rlimits/0", { ints: [7, 1024, 1024] }],
    ["prctl", "/process/noNewPrivileges", { ints: [PR_SET_NO_NEW_PRIVS, 1, 0] }],
    ["chdir", "/process/cwd", { strs: ["/"] }],
    ["cap_bounding", "/process/capabilities/bounding", { ints: [DEFAULT_CAPS, 0, 40] }],
    ["prctl", "/process/capabilities", { ints: [PR_SET_KEEPCAPS, 1, 0] }],
    ["setgroups", "/process/user/additionalGids", { ints: [] }],
    ["setresgid", "/process/user/gid", { ints: [0] }],
    ["setresuid", "/process/user/uid", { ints: [0] }],
    ["prctl", "/process/capabilities", { ints: [PR_SET_KEEPCAPS, 0, 0] }],
    ["capset", "/process/capabilities", { ints: [DEFAULT_CAPS, 0, DEFAULT_CAPS, 0, 0, 0] }],
    ["cap_ambient", "/process/capabilities/ambient", { ints: [0, 0, 40] }],
    ["umask", "", { ints: [0o22] }],
    ["lookup", "/process/args/0", { strs: ["sh", PATH.slice(5)] }],
    ["wait_fifo", ""],
    ["exec", "/process/args", { ints: [1, 2, 1, 0], strs: ["sh", "sh", PATH, "TERM=xterm", PATH.slice(5)] }],
  ]);
});

// ---- capabilities ----------------------------------------------------------------------------

test("capability masks: exact bits, split into 32-bit halves, caps above lastCap dropped with a warning", () => {
  assert.is(DEFAULT_CAPS, (1 << 5) | (1 << 29) | (1 << 10));
  const c = config({
    process: {
      cwd: "/", args: ["sh"],
      capabilities: {
        bounding: ["CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"],
        permitted: ["CAP_KILL", "CAP_CHECKPOINT_RESTORE", "CAP_CHOWN"],
        effective: ["CAP_CHECKPOINT_RESTORE"],
        inheritable: ["CAP_CHOWN"],
        ambient: ["CAP_CHOWN", "CAP_KILL"],
      },
    },
  });
  const j = ok(plan(c));
  assert.equal(byOp(j.ops, "cap_bounding")[0].ints, [DEFAULT_CAPS, (1 << (CAP.BPF - 32)) | (1 << (CAP.CHECKPOINT_RESTORE - 32)), 40]);
  assert.equal(byOp(j.ops, "capset")[0].ints, [0, 1 << 8, (1 << CAP.KILL) | 1, 1 << 8, 1, 0]);
  // CAP_KILL is not inheritable: it cannot be ambient.
  assert.equal(byOp(j.ops, "cap_ambient")[0].ints, [1, 0, 40]);
  assert.ok(j.diagnostics.some((d) => d.pointer === "/process/capabilities/ambient/1" && d.severity === "warning"));

  // A kernel whose last capability is 38 (CAP_PERFMON): BPF and CHECKPOINT_RESTORE are ignored.
  const k = ok(plan(c, { lastCap: 38 }));
  assert.equal(byOp(k.ops, "cap_bounding")[0].ints, [DEFAULT_CAPS, 0, 38]);
  assert.equal(byOp(k.ops, "capset")[0].ints, [0, 0, (1 << CAP.KILL) | 1, 0, 1, 0]);
  assert.ok(k.diagnostics.some((d) => d.pointer === "/process/capabilities/bounding/3" && d.code === "process.capabilities.bounding.unavailable"));

  // No capabilities object: every set is empty (runc drops them all).
  const n = ok(plan(config()));
  assert.equal(byOp(n.ops, "cap_bounding")[0].ints, [0, 0, 40]);
  assert.equal(byOp(n.ops, "capset")[0].ints, [0, 0, 0, 0, 0, 0]);
});

test("process order: bounding set before the user switch, keepcaps around it, capset after, exec last", () => {
  const j = ok(plan(config({ process: { cwd: "/w", args: ["sh"], noNewPrivileges: true, user: { uid: 5, gid: 6, umask: 0o77 } } })));
  const names = j.ops.map((o) => o.op);
  const at = (n, from = 0) => names.indexOf(n, from);
  assert.ok(at("pivot_root") < at("setsid"));
  assert.ok(at("prctl") < at("chdir"), "no_new_privs before the user switch, as runc");
  assert.ok(at("chdir") < at("cap_bounding") && at("cap_bounding") < at("setresuid"));
  const keep = j.ops.findIndex((o) => o.op === "prctl" && o.ints[0] === PR_SET_KEEPCAPS && o.ints[1] === 1);
  const drop = j.ops.findIndex((o) => o.op === "prctl" && o.ints[0] === PR_SET_KEEPCAPS && o.ints[1] === 0);
  assert.ok(keep < at("setgroups") && at("setgroups") < at("setresgid") && at("setresgid") < at("setresuid") && at("setresuid") < drop);
  assert.ok(drop < at("capset") && at("capset") < at("cap_ambient") && at("cap_ambient") < at("wait_fifo"));
  assert.is(names[names.length - 2], "wait_fifo");
  assert.is(names[names.length - 1], "exec");
  assert.equal(byOp(j.ops, "umask")[0], { ...byOp(j.ops, "umask")[0], pointer: "/process/user/umask", ints: [0o77] });
  assert.equal(byOp(j.ops, "mkdir").pop().strs, ["/w"]);
  assert.equal(byOp(j.ops, "setresuid")[0].ints, [5]);
  assert.equal(byOp(j.ops, "setresgid")[0].ints, [6]);
});

// ---- mounts ----------------------------------------------------------------------------------

function mountsOf(mounts, facts = {}, linux = {}) {
  const j = ok(plan(config({ mounts, linux }), facts));
  return j.ops.filter((o) => o.op === "mount" && o.pointer.startsWith("/mounts/"));
}

test("mount options: ro bind gets a bind remount; relative bind sources join the bundle", () => {
  const [m] = mountsOf([{ destination: "/data", type: "none", source: "vol/data", options: ["bind", "ro", "nosuid"] }]);
  assert.equal(m.ints, [MS.BIND | MS.RDONLY | MS.NOSUID, MNT.MKDIR | MNT.MKFILE_IF_FILE, 0, MS.BIND | MS.RDONLY | MS.NOSUID | MS.REMOUNT, 0, 0]);
  assert.equal(m.strs, ["/bundle/vol/data", "/data", "bind", ""]);
  assert.is(m.what, "mounts[0] (/data, bind)");
});

test("mount options: rbind + rprivate; a plain bind keeps the source's flags (no remount)", () => {
  const [a, b] = mountsOf([
    { destination: "/a", source: "/host/a", options: ["rbind", "rprivate"] },
    { destination: "b", type: "bind", source: "/host/b" },
  ]);
  assert.equal(a.ints, [MS.BIND | MS.REC, MNT.MKDIR | MNT.MKFILE_IF_FILE, MS.PRIVATE | MS.REC, 0, 0, 0]);
  // type "bind" means a bind mount; a relative destination is taken from /.
  assert.equal(b.ints, [MS.BIND, MNT.MKDIR | MNT.MKFILE_IF_FILE, 0, 0, 0, 0]);
  assert.equal(b.strs, ["/host/b", "/b", "bind", ""]);
});

test("mount options: explicitly cleared flags remount a bind too (rw, suid)", () => {
  const [m] = mountsOf([{ destination: "/a", source: "/host/a", options: ["bind", "ro", "rw", "suid"] }]);
  assert.equal(m.ints.slice(0, 4), [MS.BIND, MNT.MKDIR | MNT.MKFILE_IF_FILE, 0, MS.BIND | MS.REMOUNT]);
});

test("mount options: recursive attributes go to mount_setattr", () => {
  const [a, b, c] = mountsOf([
    { destination: "/a", source: "/h", options: ["rbind", "rro", "rnosuid", "rnodev", "rnoexec"] },
    { destination: "/b", source: "/h", options: ["rbind", "rnoatime"] },
    { destination: "/c", source: "/h", options: ["rbind", "rro", "rrw", "rstrictatime", "rnosymfollow"] },
  ]);
  assert.equal(a.ints.slice(4), [ATTR.RDONLY | ATTR.NOSUID | ATTR.NODEV | ATTR.NOEXEC, 0]);
  assert.equal(a.ints[3], 0, "recursive attributes need no remount");
  assert.equal(b.ints.slice(4), [ATTR.NOATIME, ATTR._ATIME]);
  assert.equal(c.ints.slice(4), [ATTR.STRICTATIME | 0x200000, ATTR.RDONLY | ATTR._ATIME]);
});

test("mount options: unknown options stay in the data string, in order; flags in any order", () => {
  const [m] = mountsOf([{ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["size=1m", "noexec", "x-custom", "relatime", "sync", "mode=1777", "defaults"] }]);
  assert.equal(m.strs, ["tmpfs", "/t", "tmpfs", "size=1m,x-custom,mode=1777"]);
  assert.equal(m.ints.slice(0, 2), [MS.NOEXEC | MS.RELATIME | MS.SYNCHRONOUS, MNT.MKDIR]);
});

test("mount options: a read-only tmpfs is mounted writable and made read-only after the pivot", () => {
  const j = ok(plan(config({ mounts: [{ destination: "/run", type: "tmpfs", source: "tmpfs", options: ["ro", "nosuid"] }] })));
  const [m] = j.ops.filter((o) => o.pointer === "/mounts/0");
  const late = j.ops.filter((o) => o.pointer === "/mounts/0")[1];
  assert.equal(m.ints[0], MS.NOSUID);
  assert.ok(j.ops.indexOf(late) > j.ops.findIndex((o) => o.op === "pivot_root"));
  assert.equal(late.ints, [0, 0, 0, MS.NOSUID | MS.RDONLY | MS.REMOUNT | MS.BIND, 0, 0]);
  assert.equal(late.strs, ["", "/run", "", ""]);
});

test("mount options: idmap is refused with its pointer (not silently ignored)", () => {
  const r = plan(config({
    mounts: [{ destination: "/data", source: "/host", options: ["rbind", "idmap"] }],
    linux: { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] },
  }));
  assert.is(r.status, 1);
  assert.is(r.json.valid, false);
  assert.ok(r.json.diagnostics.some((d) => d.pointer === "/mounts/0/options/1" && d.code === "mounts.idmap.unsupported" && d.severity === "error"), r.text);
  assert.is(r.blob.length, 0);
});

test("rootfsPropagation and an absolute root.path; no /dev setup when /dev is bound", () => {
  const j = ok(plan(config({
    root: { path: "/srv/root" },
    mounts: [{ destination: "/dev", source: "/dev", options: ["rbind"] }],
    linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "rprivate" },
  })));
  assert.equal(j.ops[1].ints.slice(0, 2), [MS.PRIVATE | MS.REC, MNT.TARGET_HOST]);
  assert.is(j.ops[1].pointer, "/linux/rootfsPropagation");
  assert.is(j.rootfs, "/srv/root");
  assert.equal(byOp(j.ops, "mknod"), []);
  assert.equal(byOp(j.ops, "symlink"), []);
});

test("devices: mode, type bits and owner; parent directories; /dev/ptmx stays the symlink", () => {
  const j = ok(plan(config({
    mounts: [{ destination: "/dev", type: "tmpfs", source: "tmpfs" }],
    linux: {
      namespaces: [{ type: "mount" }],
      devices: [
        { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o600, uid: 7, gid: 8 },
        { path: "/dev/net/tun", type: "c", major: 10, minor: 200 },
        { path: "/dev/sdb", type: "b", major: 8, minor: 16, fileMode: 0o640 },
        { path: "/dev/ptmx", type: "c", major: 5, minor: 2 },
      ],
    },
  })));
  const nodes = byOp(j.ops, "mknod");
  assert.equal(nodes.map((o) => o.strs[0]), ["/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/null", "/dev/net/tun", "/dev/sdb"]);
  assert.equal(nodes[5].ints, [S_IFCHR | 0o600, 1, 3, 7, 8]);
  assert.is(nodes[5].pointer, "/linux/devices/0");
  assert.equal(nodes[6].ints, [S_IFCHR | 0o666, 10, 200, 0, 0]);
  assert.equal(nodes[7].ints, [S_IFBLK | 0o640, 8, 16, 0, 0]);
  const mk = j.ops.findIndex((o) => o.op === "mkdir" && o.strs[0] === "/dev/net");
  assert.ok(mk >= 0 && mk < j.ops.indexOf(nodes[6]), "/dev/net is created before the node");
  assert.ok(byOp(j.ops, "symlink").some((o) => o.strs[1] === "/dev/ptmx" && o.strs[0] === "pts/ptmx"));
  const noCore = ok(plan(config(), { kcore: false }));
  assert.not.ok(byOp(noCore.ops, "symlink").some((o) => o.strs[1] === "/dev/core"));
});

// ---- namespaces ------------------------------------------------------------------------------

test("namespaces joined by path: setns in order, unshare of the new ones, fork for pid, no clone flags", () => {
  const j = ok(plan(config({
    linux: {
      namespaces: [
        { type: "pid" }, { type: "network", path: "/var/run/netns/a" }, { type: "mount" },
        { type: "ipc", path: "/proc/42/ns/ipc" }, { type: "uts" }, { type: "cgroup" },
      ],
    },
  })));
  assert.is(j.spawn.cloneFlags, "0");
  expectOps(j.ops.slice(0, 6), [
    ["open_fifo", ""],
    ["setns", "/linux/namespaces/3", { ints: [CLONE.ipc], strs: ["/proc/42/ns/ipc"] }],
    ["setns", "/linux/namespaces/1", { ints: [CLONE.network], strs: ["/var/run/netns/a"] }],
    ["unshare", "/linux/namespaces", { ints: [CLONE.pid | CLONE.mount | CLONE.uts] }],
    ["fork_pidns", "/linux/namespaces/0"],
    ["unshare", "/linux/namespaces/5", { ints: [CLONE.cgroup] }],
  ]);
});

test("namespaces joined by path: user first, mount last; a joined pid namespace forks too", () => {
  const j = ok(plan(config({
    linux: {
      namespaces: [
        { type: "mount", path: "/proc/9/ns/mnt" }, { type: "pid", path: "/proc/9/ns/pid" },
        { type: "user", path: "/proc/9/ns/user" }, { type: "uts", path: "/proc/9/ns/uts" },
      ],
    },
  })));
  assert.is(j.spawn.cloneFlags, "0");
  assert.is(j.userns, null, "a joined user namespace is already mapped");
  expectOps(j.ops.slice(0, 8), [
    ["open_fifo", ""],
    ["setns", "/linux/namespaces/2", { ints: [CLONE.user], strs: ["/proc/9/ns/user"] }],
    ["setns", "/linux/namespaces/3", { ints: [CLONE.uts] }],
    ["setns", "/linux/namespaces/1", { ints: [CLONE.pid] }],
    ["setns", "/linux/namespaces/0", { ints: [CLONE.mount], strs: ["/proc/9/ns/mnt"] }],
    ["setresgid", "/linux/namespaces/2", { ints: [0] }],
    ["setresuid", "/linux/namespaces/2", { ints: [0] }],
    ["fork_pidns", "/linux/namespaces/1"],
  ]);
  assert.equal(byOp(j.ops, "unshare"), []);
  assert.equal(byOp(j.ops, "sync"), []);
  // A joined user namespace: devices are bound from the host.
  assert.ok(byOp(j.ops, "bind_dev").length > 0);
  assert.equal(byOp(j.ops, "mknod"), []);
});

test("a new user namespace with joined ones: unshare it after the joins, then sync for the maps", () => {
  const j = ok(plan(config({
    linux: {
      namespaces: [{ type: "user" }, { type: "network", path: "/run/netns/x" }, { type: "mount" }],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    },
  })));
  expectOps(j.ops.slice(0, 7), [
    ["open_fifo", ""],
    ["setns", "/linux/namespaces/1"],
    ["unshare", "/linux/namespaces/0", { ints: [CLONE.user] }],
    ["sync", "/linux/namespaces/0", { ints: [1] }],
    ["setresgid", "/linux/namespaces/0", { ints: [0] }],
    ["setresuid", "/linux/namespaces/0", { ints: [0] }],
    ["unshare", "/linux/namespaces", { ints: [CLONE.mount] }],
  ]);
  assert.equal(byOp(j.ops, "fork_pidns"), []);
});

test("a new user namespace: unshared by the init (never by clone), then the maps, root, the rest", () => {
  const c = config({
    process: { cwd: "/", args: ["sh"], user: { uid: 0, gid: 0, additionalGids: [] } },
    linux: {
      namespaces: [{ type: "user" }, { type: "mount" }, { type: "pid" }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 5, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    },
  });
  const j = ok(plan(c));
  // capsa-init is exec'd after the clone: in a user namespace that does not map it yet, the
  // exec would drop every capability. So the clone makes nothing; the init unshares.
  assert.is(j.spawn.cloneFlags, "0");
  expectOps(j.ops.slice(0, 7), [
    ["open_fifo", "", { strs: [FIFO] }],
    ["unshare", "/linux/namespaces/0", { ints: [CLONE.user] }],
    ["sync", "/linux/namespaces/0", { ints: [1] }],
    ["setresgid", "/linux/namespaces/0", { ints: [0] }],
    ["setresuid", "/linux/namespaces/0", { ints: [0] }],
    ["unshare", "/linux/namespaces", { ints: [CLONE.pid | CLONE.mount] }],
    ["fork_pidns", "/linux/namespaces/2"],
  ]);
  // A mapping without 0: the init keeps its ids (setresuid(0) would fail).
  const no0 = ok(plan({ ...c, process: { cwd: "/", args: ["sh"], user: { uid: 1000, gid: 1000 } }, linux: { ...c.linux, uidMappings: [{ containerID: 1000, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 1000, hostID: 1000, size: 1 }] } }));
  assert.equal(no0.ops.slice(0, 4).map((o) => o.op), ["open_fifo", "unshare", "sync", "unshare"]);
  assert.equal(j.userns, { uidMappings: "0 100000 65536\n65536 5 1\n", gidMappings: "0 100000 65536\n", setgroups: "allow" });
  assert.is(byOp(j.ops, "setgroups").length, 1);
  assert.ok(byOp(j.ops, "bind_dev").length === 6 && byOp(j.ops, "mknod").length === 0);

  const r = ok(plan(c, { rootless: true }));
  assert.is(r.userns.setgroups, "deny");
  assert.equal(byOp(r.ops, "setgroups"), [], "no setgroups(2) when it is denied");
});

test("user namespace: a process uid outside the mapping is refused", () => {
  const r = plan(config({
    process: { cwd: "/", args: ["sh"], user: { uid: 70000, gid: 0 } },
    linux: {
      namespaces: [{ type: "user" }, { type: "mount" }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    },
  }));
  assert.is(r.status, 1);
  assert.ok(r.json.diagnostics.some((d) => d.pointer === "/process/user/uid" && d.severity === "error"), r.text);
});

test("no mount namespace: refused rather than running in the runtime's filesystem", () => {
  const r = plan(config({ linux: { namespaces: [{ type: "pid" }] } }));
  assert.is(r.status, 1);
  assert.ok(r.json.diagnostics.some((d) => d.pointer === "/linux/namespaces" && d.severity === "error"), r.text);
});

// ---- hooks, fifo, exec -----------------------------------------------------------------------

test("hooks: createRuntime and createContainer syncs after the mounts and before the pivot; off with hooks=false", () => {
  const c = config({
    mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
    hooks: { createRuntime: [{ path: "/bin/a" }], createContainer: [{ path: "/bin/b", args: ["b", "-x"], timeout: 3 }] },
  });
  const j = ok(plan(c));
  const names = j.ops.map((o) => `${o.op}${o.op === "sync" ? o.ints[0] : ""}`);
  const lastMount = names.lastIndexOf("mount"), lastLink = names.lastIndexOf("symlink");
  assert.ok(lastMount < names.indexOf("sync2") && lastLink < names.indexOf("sync2"));
  assert.ok(names.indexOf("sync2") + 1 === names.indexOf("sync3") && names.indexOf("sync3") + 1 === names.indexOf("pivot_root"));
  assert.equal(j.hooks.createContainer, [{ path: "/bin/b", args: ["b", "-x"], env: [], timeout: 3 }]);
  assert.equal(j.hooks.prestart, []);
  const off = ok(plan(c, { hooks: false }));
  assert.equal(byOp(off.ops, "sync"), []);
  assert.equal(off.hooks.createRuntime, []);
});

test("fifo null: no open_fifo or wait_fifo; noPivot: move_root; exec arguments", () => {
  const j = ok(plan(config({ process: { cwd: "/", args: ["./run", "a b", ""], env: ["A=1"] } }), { fifo: null, noPivot: true, preserveFds: 2 }));
  assert.equal(byOp(j.ops, "open_fifo"), []);
  assert.equal(byOp(j.ops, "wait_fifo"), []);
  assert.equal(byOp(j.ops, "pivot_root"), []);
  assert.is(byOp(j.ops, "move_root").length, 1);
  const e = j.ops[j.ops.length - 1];
  assert.is(e.op, "exec");
  assert.equal(e.ints, [3, 1, 0, 2], "args[0] has a '/': no PATH search");
  assert.equal(e.strs, ["./run", "./run", "a b", "", "A=1"]);
  assert.is(e.what, "process (./run)");
});

test("oom_score_adj early, sysctls before readonlyPaths, hostname needs nothing else", () => {
  const j = ok(plan(config({
    process: { cwd: "/", args: ["sh"], oomScoreAdj: -500 },
    hostname: "box",
    linux: { namespaces: [{ type: "mount" }, { type: "uts" }, { type: "ipc" }], sysctl: { "kernel.shmmax": "100" }, readonlyPaths: ["/proc/sys"] },
  })));
  const oom = j.ops.findIndex((o) => o.pointer === "/process/oomScoreAdj");
  assert.equal(j.ops[oom].strs, ["/proc/self/oom_score_adj", "-500"]);
  assert.ok(oom < j.ops.findIndex((o) => o.op === "set_root"));
  const sys = j.ops.findIndex((o) => o.pointer === "/linux/sysctl/kernel.shmmax");
  assert.equal(j.ops[sys].strs, ["/proc/sys/kernel/shmmax", "100"]);
  assert.ok(sys < j.ops.findIndex((o) => o.op === "readonly"));
  const h = byOp(j.ops, "sethostname")[0];
  assert.equal([h.pointer, h.what, h.strs], ["/hostname", "hostname (box)", ["box"]]);
});

test("lookup: the first PATH of the environment, none for a path with a slash, after the user switch", () => {
  const j = ok(plan(config({ process: { cwd: "/", args: ["app", "x"], env: ["A=1", "PATH=/opt/bin::/bin", "PATH=/other"], user: { uid: 7, gid: 7 } } })));
  const l = byOp(j.ops, "lookup");
  assert.is(l.length, 1);
  assert.equal([l[0].pointer, l[0].what, l[0].strs], ["/process/args/0", 'exec: "app"', ["app", "/opt/bin::/bin"]]);
  const idx = (name) => j.ops.findIndex((o) => o.op === name);
  assert.ok(idx("setresuid") < idx("lookup") && idx("capset") < idx("lookup"), "as the container's user and capabilities");
  assert.ok(idx("lookup") < idx("wait_fifo"), "before create returns");
  assert.equal(byOp(j.ops, "exec")[0].strs.at(-1), "/opt/bin::/bin", "exec searches the same directories");
  const k = ok(plan(config({ process: { cwd: "/", args: ["./app"], env: ["PATH=/bin"] } })));
  assert.equal(byOp(k.ops, "lookup")[0].strs, ["./app", ""]);
  assert.equal(byOp(k.ops, "exec")[0].ints[2], 0);
  assert.equal(byOp(k.ops, "exec")[0].strs, ["./app", "./app", "PATH=/bin"], "no search: no directories");
});

test("facts.process replaces config.process (exec)", () => {
  const j = ok(plan(config(), { process: { cwd: "/tmp", args: ["ls", "-l"], user: { uid: 3, gid: 4 } } }));
  assert.equal(j.process.args, ["ls", "-l"]);
  // No env: a bare name is looked up in the default PATH, by the lookup op and by exec.
  assert.equal(byOp(j.ops, "exec")[0].strs, ["ls", "ls", "-l", PATH.slice(5)]);
  assert.equal(byOp(j.ops, "lookup")[0].strs, ["ls", PATH.slice(5)]);
  assert.equal(byOp(j.ops, "chdir")[0].strs, ["/tmp"]);
});

// ---- refusals --------------------------------------------------------------------------------

test("invalid config: status 1, valid false, the diagnostic's pointer, no program", () => {
  const r = plan(config({ process: { cwd: "relative", args: ["sh"] } }));
  assert.is(r.status, 1);
  assert.is(r.json.valid, false);
  assert.ok(r.json.diagnostics.some((d) => d.pointer === "/process/cwd" && d.severity === "error"), r.text);
  assert.is(r.blob.length, 0);
  assert.is(r.json.ops, undefined);
});

test("malformed config.json: the json.syntax diagnostic, offsets counted from config.json", () => {
  const r = plan('{"ociVersion": "1.2.0",}');
  assert.is(r.status, 1);
  const d = r.json.diagnostics[0];
  assert.is(d.code, "json.syntax");
  assert.is(d.offset, 23);
  // The same diagnostic validate gives.
  assert.equal(call("validate", '{"ociVersion": "1.2.0",}').json, r.json);
});

test("malformed facts: an error, not a crash", () => {
  for (const input of ['{"bundle": "relative"}\n{}', "no newline", '{"bundle": "/b", "lastCap": "x"}\n{}', "{\n{}"]) {
    const r = call("plan", input);
    assert.is(r.status, 1, input);
    assert.type(r.json.error, "string", input);
  }
});

test("describe: false leaves out the op table and text, and the program is byte for byte the same", () => {
  const cfg = JSON.parse(exampleText());
  const full = ok(plan(cfg));
  const lean = plan(cfg, { describe: false });
  assert.is(lean.status, 0);
  assert.is(lean.json.valid, true);
  assert.ok(full.ops.length > 10 && full.text.length > 0);
  assert.is(lean.json.ops, undefined);
  assert.is(lean.json.text, undefined);
  assert.equal(lean.blob, plan(cfg).blob);
  const { ops: _o, text: _t, ...rest } = full;
  assert.equal(lean.json, rest);
  const bad = call("plan", JSON.stringify({ ...DEFAULT_FACTS, describe: "no" }) + "\n{}");
  assert.is(bad.status, 1);
  assert.match(bad.json.error, /facts\.describe must be a boolean/);
});

// ---- robustness ------------------------------------------------------------------------------

test("mutated configs never trap: every answer is JSON, a program only with status 0", () => {
  let seed = 12345;
  const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t ^= t + Math.imul(t ^ (t >>> 7), 61 | t); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const values = [null, true, false, 0, -1, 4294967296, 18446744073709551615, "", "x", "/", "../..", "rbind", [], {}, ["ro"], { type: "user" }, { path: "/p" }];
  const base = JSON.parse(exampleText());
  base.ociVersion = "1.0.0";
  const nss = ["pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time"];
  let planned = 0;
  for (let n = 0; n < 400; n++) {
    const c = structuredClone(base);
    c.linux.namespaces = nss.filter((t) => "uts network ipc mount".includes(t) || rand() < 0.6).map((t) => (rand() < 0.15 ? { type: t, path: "/proc/1/ns/" + t } : { type: t }));
    if (!c.linux.namespaces.some((x) => x.type === "mount")) c.linux.namespaces.push({ type: "mount" });
    if (!c.linux.namespaces.some((x) => x.type === "time" && !x.path)) delete c.linux.timeOffsets;
    if (!c.linux.namespaces.some((x) => x.type === "user" && !x.path)) { delete c.linux.uidMappings; delete c.linux.gidMappings; }
    for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
      // Walk to a random node and replace or delete one of its members.
      let node = c;
      for (let d = 0; d < 4; d++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = pick(keys);
        if (d === 3 || node[key] === null || typeof node[key] !== "object" || rand() < 0.3) {
          if (rand() < 0.3 && !Array.isArray(node)) delete node[key];
          else node[key] = structuredClone(pick(values));
          break;
        }
        node = node[key];
      }
    }
    const facts = { hooks: rand() < 0.5, rootless: rand() < 0.2, noPivot: rand() < 0.2, fifo: rand() < 0.5 ? null : "/run/f", cgroupMounts: rand() < 0.5 ? [{ controller: "cpu,cpuacct", host: "/sys/fs/cgroup/cpu,cpuacct/x" }] : [] };
    const r = plan(c, facts);
    if (process.env.FUZZ_DEBUG && r.status) console.log(r.json.diagnostics.filter((d) => d.severity === "error").map((d) => d.code).join(" "));
    assert.ok(r.json !== null, "JSON out");
    assert.ok(r.status === 0 || r.status === 1);
    if (r.status === 0) {
      planned++;
      const h = decodeProgram(r.blob);
      assert.is(h.size, r.blob.length);
      assert.is(h.count, r.json.ops.length);
      assert.is(r.json.ops[r.json.ops.length - 1].op, "exec");
    } else {
      assert.is(r.blob.length, 0);
    }
  }
  assert.ok(planned > 20, `some mutants plan (${planned})`);
});

// ---- spec ------------------------------------------------------------------------------------

test("spec: runc's default config, capsa's hostname, terminal and args options", () => {
  const r = call("spec", "{}");
  assert.is(r.status, 0);
  assert.ok(r.text.startsWith("{\n  \"ociVersion\": \"1.3.0\",\n  \"process\": {\n"));
  const s = r.json;
  assert.equal(Object.keys(s), ["ociVersion", "process", "root", "hostname", "mounts", "linux"]);
  assert.is(s.process.terminal, false);
  assert.equal(s.process.args, ["sh"]);
  assert.equal(s.process.capabilities, { bounding: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"], effective: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"], permitted: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"] });
  assert.equal(s.process.rlimits, [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }]);
  assert.equal(s.root, { path: "rootfs", readonly: true });
  assert.is(s.hostname, "capsa");
  assert.equal(s.mounts.map((m) => `${m.destination} ${m.type} ${m.source} ${(m.options || []).join(",")}`), [
    "/proc proc proc ",
    "/dev tmpfs tmpfs nosuid,strictatime,mode=755,size=65536k",
    "/dev/pts devpts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5",
    "/dev/shm tmpfs shm nosuid,noexec,nodev,mode=1777,size=65536k",
    "/dev/mqueue mqueue mqueue nosuid,noexec,nodev",
    "/sys sysfs sysfs nosuid,noexec,nodev,ro",
    "/sys/fs/cgroup cgroup cgroup nosuid,noexec,nodev,relatime,ro",
  ]);
  assert.equal(s.linux.namespaces.map((n) => n.type), ["pid", "network", "ipc", "uts", "mount", "cgroup"]);
  assert.equal(s.linux.resources, { devices: [{ allow: false, access: "rwm" }] });
  assert.is(s.linux.maskedPaths.length, 11);
  assert.equal(s.linux.readonlyPaths, ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]);
  assert.is(call("validate", r.text).json.valid, true);

  const t = call("spec", '{"terminal": true, "args": ["/bin/busybox", "sh"]}').json;
  assert.is(t.process.terminal, true);
  assert.equal(t.process.args, ["/bin/busybox", "sh"]);
});

test("spec --rootless: user namespace mapping the caller, no network namespace, /sys bound, no gid=", () => {
  const r = call("spec", '{"rootless": true, "uid": 1000, "gid": 1001}');
  assert.is(r.status, 0);
  const s = r.json;
  assert.equal(s.linux.namespaces.map((n) => n.type), ["pid", "ipc", "uts", "mount", "cgroup", "user"]);
  assert.equal(s.linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assert.equal(s.linux.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
  assert.is(s.linux.resources, undefined);
  assert.equal(s.mounts[5], { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] });
  assert.not.ok(s.mounts[2].options.includes("gid=5"));
  assert.is(call("validate", r.text).json.valid, true);
  // The rootless spec plans: a user namespace, setgroups denied.
  const j = ok(plan(r.text, { rootless: true }));
  assert.equal(j.userns, { uidMappings: "0 1000 1\n", gidMappings: "0 1001 1\n", setgroups: "deny" });
  const bind = j.ops.find((o) => o.pointer === "/mounts/5");
  assert.equal(bind.ints.slice(0, 4), [MS.BIND | MS.REC | DEFAULT_FLAGS | MS.RDONLY, MNT.MKDIR | MNT.MKFILE_IF_FILE, 0, MS.BIND | MS.REC | DEFAULT_FLAGS | MS.RDONLY | MS.REMOUNT]);

  assert.is(call("spec", '{"rootless": true}').status, 1, "rootless needs the ids");
  assert.is(call("spec", '{"args": []}').status, 1);
  assert.is(call("spec", "[").status, 1);
});

// ---- hooks --------------------------------------------------------------------------------------

test("hook: joins the differing namespaces user first and mount last, forks for pid and time, then execs", () => {
  const r = call("hook", JSON.stringify({ path: "/h", args: ["h", "x"], env: ["A=1"], what: "createContainer hook /h", pid: 42, differ: ["mnt", "pid_for_children", "net", "user", "time", "uts"] }));
  assert.is(r.status, 0, r.text);
  const ops = r.json.ops.map((o) => [o.op, ...o.strs]);
  assert.equal(ops, [
    ["setns", "/proc/42/ns/user"], ["setns", "/proc/42/ns/uts"], ["setns", "/proc/42/ns/net"],
    ["setns", "/proc/42/ns/time"], ["setns", "/proc/42/ns/mnt"], ["fork_pidns"],
    ["exec", "/h", "h", "x", "A=1"],
  ], "names the core does not know (pid_for_children) are left alone");
  assert.equal(r.json.ops[0].ints, [0x10000000]);
  assert.equal(r.json.ops.at(-1).ints, [2, 1, 0, 0]);
  assert.is(r.json.ops.at(-1).what, "createContainer hook /h");
  const p = decodeProgram(r.blob);
  const { byName } = opTable();
  assert.equal(p.ops.map((o) => o.code), r.json.ops.map((o) => byName[o.op].code));
  // No namespaces: the exec alone, args default to [path]; no fork without pid or time.
  const plain = call("hook", JSON.stringify({ path: "/h", pid: null, differ: [] }));
  assert.equal(plain.json.ops.map((o) => [o.op, o.strs]), [["exec", ["/h", "/h"]]]);
  const net = call("hook", JSON.stringify({ path: "/h", pid: 7, differ: ["net"] }));
  assert.equal(net.json.ops.map((o) => o.op), ["setns", "exec"]);
  // Refused: no path, or namespaces without a pid.
  assert.match(call("hook", JSON.stringify({ path: "" })).json.error, /path/);
  assert.match(call("hook", JSON.stringify({ path: "/h", differ: ["net"] })).json.error, /pid/);
  assert.is(call("hook", "[]").status, 1);
});

test.run();
