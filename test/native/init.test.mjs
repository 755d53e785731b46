// capsa-init and libcapsa.so against the real kernel: hand-written init programs (the core's
// `assemble`), spawned through Sys, with the sync protocol driven here, checked with busybox.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { statSync, lstatSync, writeFileSync, mkdirSync, symlinkSync, realpathSync, chmodSync } from "node:fs";
import { spawnSync } from "node:child_process";
import * as h from "./helpers.mjs";

const { op, mount, exec, sync, enterRoot, runInit, C, errno, sys, sysMod } = h;
const BB = "/bin/busybox";
const isX64 = (globalThis.Deno ? Deno.build.arch : process.arch).match(/x86_64|x64/) !== null;
const MS_NOSUID_NODEV = h.MS_NOSUID | h.MS_NODEV;
const MS_REC_PRIVATE = h.MS_REC | h.MS_PRIVATE;

// Every test is checked for leaks: no process, no host mount, /dev/null untouched. Leftover
// processes are killed and reaped so that one failure does not cascade.
function t(name, fn) {
  test(name, async () => {
    const mounts0 = h.mountCount();
    let err = null;
    try {
      await fn();
    } catch (e) {
      err = e;
    }
    const left = h.children();
    for (const p of left) {
      try { sys.kill(p, 9); sys.wait(p); } catch { /* gone */ }
    }
    if (err) throw err;
    assert.equal(left, [], "no process is left behind");
    assert.is(h.mountCount(), mounts0, "no mount is left behind on the host");
    assert.ok(h.devNullOk(), "/dev/null is still root:root 0666");
  });
}
test.after(() => h.cleanupTmp());

const lines = (s) => s.split("\n").filter(Boolean);

// ---- the generated header and the C op table ---------------------------------------------------

t("native-syscalls/gen/ops.h matches the core", () => {
  const r = spawnSync("node", [h.join(h.root, "scripts/gen-header.mjs"), "--check"], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
});

t("the C argument table (CAPSA_OPDEFS in gen/ops.h) matches the core's op definitions", () => {
  const text = h.readFileSync(h.join(h.root, "native-syscalls/gen/ops.h"), "utf8");
  const c = {};
  for (const m of text.matchAll(/\[CAPSA_OP_(\w+)\] = \{(-?\d+), (-?\d+)\}/g)) c[m[1].toLowerCase()] = [Number(m[2]), Number(m[3])];
  const count = (s) => (s === "" ? 0 : s === "*" ? -1 : s.split(",").length);
  assert.is(Object.keys(c).length, h.tables.ops.length);
  for (const o of h.tables.ops) assert.equal(c[o.name], [count(o.ints), count(o.strs)], o.name);
});

// ---- namespaces and the root ------------------------------------------------------------------

t("unshare(UTS) + sethostname + pivot_root: /bin/hostname prints the name", async () => {
  const R = h.rootfs();
  const r = await runInit([
    op("unshare", [h.CLONE_NEWUTS]),
    ...enterRoot(R, { proc: true }),
    op("sethostname", [], ["capsa-test"]),
    op("setdomainname", [], ["capsa.example"]),
    op("pivot_root"),
    exec(["/bin/sh", "-c", "hostname; cat /proc/sys/kernel/domainname"]),
  ]);
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["capsa-test", "capsa.example"]);
  assert.is(r.status.code, 0);
});

t("a new pid namespace (clone flag): the process is pid 1", async () => {
  const r = await runInit([...enterRoot(h.rootfs(), { unshare: false, proc: true }), op("pivot_root"),
    exec(["/bin/sh", "-c", "echo $$; cut -d' ' -f4 /proc/self/stat"])], { cloneFlags: h.CLONE_NEWPID | h.CLONE_NEWNS });
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["1", "0"]);
});

t("fork_pidns: MSG_PID names the new init, which is pid 1 inside", async () => {
  const r = await runInit([op("unshare", [h.CLONE_NEWPID | h.CLONE_NEWNS]), op("fork_pidns"), sync(42),
    ...enterRoot(h.rootfs(), { unshare: false, proc: true }), op("pivot_root"), exec(["/bin/sh", "-c", "echo $$"])], {
    onSync(tag, ctx) {
      // The PID message came first, so the runtime knows whom it is talking to.
      assert.is(ctx.msgs[0].type, C.MSG_PID);
      assert.is(tag, 42);
      const st = h.readFileSync(`/proc/${ctx.pid}/status`, "utf8");
      assert.match(st, /^NSpid:\s+\d+\s+1$/m);
    },
  });
  assert.is(r.error, null);
  assert.is(r.pids.length, 2);
  assert.is(r.statuses[0].code, 0, "the first process exits 0 after fork_pidns");
  assert.equal(lines(r.stdout), ["1"]);
});

t("mounts of proc and tmpfs, pivot_root: mountinfo shows only the container's mounts", async () => {
  const r = await runInit([...enterRoot(h.rootfs(), { proc: true }),
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID_NODEV, { data: "size=1m,mode=1777" }),
    op("pivot_root"), exec(["/bin/cat", "/proc/self/mountinfo"])]);
  assert.is(r.error, null);
  const mi = h.parseMountinfo(r.stdout);
  assert.equal(mi.map((m) => m.point), ["/", "/proc", "/tmp"]);
  assert.is(mi[1].fstype, "proc");
  assert.is(mi[2].fstype, "tmpfs");
  assert.match(mi[2].options, /nosuid,nodev/);
});
t("move_root (no pivot): the rootfs becomes /", async () => {
  const r = await runInit([...enterRoot(h.rootfs(), { proc: true }), op("move_root"), exec(["/bin/ls", "-a", "/"])]);
  assert.is(r.error, null);
  assert.ok(lines(r.stdout).includes(".capsa-rootfs-ok"), r.stdout);
});

t("setns joins the UTS namespace of another init", async () => {
  let inner = null;
  const a = await runInit([op("sethostname", [], ["capsa-ns-a"]), sync(7)], {
    cloneFlags: h.CLONE_NEWUTS,
    async onSync(_tag, ctx) {
      inner = await runInit([op("setns", [h.CLONE_NEWUTS], [`/proc/${ctx.pid}/ns/uts`]), exec([BB, "hostname"])]);
    },
  });
  assert.is(a.error, null);
  assert.is(a.status.code, 0);
  assert.is(inner.error, null);
  assert.equal(lines(inner.stdout), ["capsa-ns-a"]);
});

t("a user namespace by unshare + the usermap sync: root inside, devices bound, /dev/null untouched", async () => {
  const R = h.rootfsCopy();
  chmodSync(h.join(R, ".."), 0o755); // the namespace's root (host uid 100000) must reach the rootfs
  const r = await runInit([op("unshare", [h.CLONE_NEWUSER]), sync(C.SYNC_USERMAP),
    op("setresgid", [0]), op("setresuid", [0]),
    op("unshare", [h.CLONE_NEWNS | h.CLONE_NEWUTS]),
    ...enterRoot(R, { unshare: false }),
    mount("tmpfs", "/dev", "tmpfs", h.MS_NOSUID, { data: "mode=755" }),
    op("bind_dev", [], ["/dev/null", "/dev/null"]),
    op("sethostname", [], ["userns"]),
    op("pivot_root"),
    exec(["/bin/sh", "-c", "id -u; hostname; echo x > /dev/null && echo devnull-ok; ls -n /dev/null | cut -c1"]),
  ], {
    onSync(_tag, ctx) {
      writeFileSync(`/proc/${ctx.pid}/uid_map`, "0 100000 65536\n");
      writeFileSync(`/proc/${ctx.pid}/setgroups`, "deny\n");
      writeFileSync(`/proc/${ctx.pid}/gid_map`, "0 100000 65536\n");
    },
  });
  assert.is(r.error, null, JSON.stringify(r.error));
  assert.equal(lines(r.stdout), ["0", "userns", "devnull-ok", "c"]);
});

// ---- in-root paths ----------------------------------------------------------------------------

for (const [variant, init] of [["openat2", undefined], ["O_PATH walk", h.ENOSYS_INIT]]) {
  test(`mkdir, symlink and mknod land inside the root (${variant})`, async () => {
    const R = h.rootfsCopy();
    const tag = "capsa-escape-" + Math.random().toString(36).slice(2);
    symlinkSync("../../../../../..", R + "/up");
    symlinkSync("/", R + "/abs");
    mkdirSync(R + "/d");
    symlinkSync("../../..", R + "/d/up");
    const r = await runInit([...enterRoot(R),
      op("umask", [0]),
      op("mkdir", [0o750], ["/a/b/c"]),
      op("symlink", [], ["../target", "/a/link"]),
      op("symlink", [], ["../target", "/a/link"]), // EEXIST is fine
      op("mknod", [0o20000 | 0o640, 1, 3, 1000, 1001], ["/a/dev/mynull"]),
      op("mkdir", [0o755], [`/up/${tag}-1`]),
      op("mkdir", [0o755], [`/abs/${tag}-2/x`]),
      op("mkdir", [0o755], [`/d/up/../../${tag}-3`]),
      op("symlink", [], ["x", `/d/up/${tag}-4`]),
      op("mknod", [0o10000 | 0o600, 0, 0, 0, 0], [`/abs/${tag}-5`]),
    ], { init });
    assert.is(r.error, null, JSON.stringify(r.error));
    assert.ok(statSync(R + "/a/b/c").isDirectory());
    assert.is(statSync(R + "/a/b/c").mode & 0o777, 0o750);
    assert.is(h.readlinkSync(R + "/a/link"), "../target");
    const st = statSync(R + "/a/dev/mynull");
    assert.ok(st.isCharacterDevice());
    assert.is(st.rdev, 0x103);
    assert.is(st.uid, 1000);
    assert.is(st.gid, 1001);
    assert.is(st.mode & 0o7777, 0o640);
    for (const [i, p] of [[1, `${tag}-1`], [2, `${tag}-2/x`], [3, `${tag}-3`], [4, `${tag}-4`], [5, `${tag}-5`]]) {
      assert.ok(h.existsSync(R + "/" + p) || lstatOk(R + "/" + p), `case ${i} inside the root`);
      assert.not.ok(lstatOk("/" + p.split("/")[0]), `case ${i} not on the host`);
    }
    assert.ok(lstatSync(R + `/${tag}-5`).isFIFO());
  });

  test(`a mount whose target is a symlink to / or ../../.. lands inside the rootfs (${variant})`, async () => {
    const R = h.rootfsCopy();
    const real = realpathSync(R);
    symlinkSync("/", R + "/evil1");
    symlinkSync("../../../../../../..", R + "/evil2");
    mkdirSync(R + "/dir");
    symlinkSync("../../../..", R + "/dir/evil3");
    const tag = "capsa-mnt-" + Math.random().toString(36).slice(2);
    const r = await runInit([...enterRoot(R),
      mount("escape2", "/evil2/mnt", "tmpfs", 0),
      mount("escape3", `/dir/evil3/${tag}`, "tmpfs", 0, { cflags: C.MNT_MKDIR }),
      mount("escape4", "/dir/evil3/../../home", "tmpfs", 0),
      mount(R + "/etc", "/evil1/../../evil2/run", "", h.MS_BIND),
      mount("escape1", "/evil1", "tmpfs", 0),
      exec([BB, "cat", "/proc/self/mountinfo"]),
    ], { init });
    assert.is(r.error, null, JSON.stringify(r.error));
    const mi = h.parseMountinfo(r.stdout);
    const at = (src) => mi.filter((m) => m.source === src).map((m) => m.point);
    assert.equal(at("escape1"), [real]);
    assert.equal(at("escape2"), [real + "/mnt"]);
    assert.equal(at("escape3"), [real + "/" + tag]);
    assert.equal(at("escape4"), [real + "/home"]);
    assert.ok(mi.some((m) => m.point === real + "/run"), "the bind landed on <root>/run");
    assert.not.ok(mi.some((m) => m.point === "/run" && m.source === "escape1"));
    assert.not.ok(lstatOk("/" + tag), "no directory was made on the host");
    assert.ok(statSync(R + "/" + tag).isDirectory());
  });
}

function lstatOk(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
function indexOfBytes(hay, needle) {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

t("bind mounts: in-root source, file target created, remount flags, propagation, recursive attributes", async () => {
  const R = h.rootfsCopy();
  writeFileSync(R + "/etc/src-file", "hello\n");
  const r = await runInit([...enterRoot(R, { proc: true }),
    // A bind of an in-root directory, then made read-only and nosuid by the remount.
    mount("/etc", "/mnt", "", h.MS_BIND, { cflags: C.MNT_SOURCE_IN_ROOT, remount: h.MS_RDONLY | h.MS_NOSUID }),
    // A file bind: the target file (and its parents) are created.
    mount("/etc/src-file", "/x/y/file", "", h.MS_BIND, { cflags: C.MNT_SOURCE_IN_ROOT | C.MNT_MKDIR | C.MNT_MKFILE_IF_FILE }),
    // Shared propagation on a tmpfs.
    mount("tmpfs", "/home", "tmpfs", 0, { prop: h.MS_SHARED }),
    // rro: a tmpfs with a submount, made read-only recursively by mount_setattr.
    mount("tmpfs", "/run", "tmpfs", 0),
    op("mkdir", [0o755], ["/run/sub"]),
    mount("tmpfs", "/run/sub", "tmpfs", 0),
    mount("", "/run", "", 0, { set: 1 /* MOUNT_ATTR_RDONLY */ }),
    op("pivot_root"),
    exec(["/bin/sh", "-c", "cat /x/y/file; cat /proc/self/mountinfo"]),
  ]);
  assert.is(r.error, null, JSON.stringify(r.error));
  assert.is(lines(r.stdout)[0], "hello");
  const mi = h.parseMountinfo(r.stdout.split("\n").slice(1).join("\n"));
  const get = (p) => mi.find((m) => m.point === p);
  assert.match(get("/mnt").options, /^ro,nosuid/);
  assert.ok(get("/x/y/file"));
  assert.match(get("/home").optional, /shared:\d+/);
  assert.match(get("/run").options, /^ro/);
  assert.match(get("/run/sub").options, /^ro/);
  assert.ok(statSync(R + "/x/y/file").isFile());
});

t("mask and readonly (keeping nosuid,nodev,noexec); missing paths are skipped", async () => {
  const R = h.rootfsCopy();
  writeFileSync(R + "/secret.txt", "top secret\n");
  mkdirSync(R + "/secretdir");
  writeFileSync(R + "/secretdir/file", "x");
  mkdirSync(R + "/data");
  const r = await runInit([...enterRoot(R, { proc: true }),
    op("bind_dev", [], ["/dev/null", "/dev/null"]),
    mount("tmpfs", "/data", "tmpfs", h.MS_NOSUID | h.MS_NODEV | h.MS_NOEXEC),
    mount("tmpfs", "/tmp", "tmpfs", 0),
    op("pivot_root"),
    op("mask", [], ["/secret.txt"]),
    op("mask", [], ["/secretdir"]),
    op("mask", [], ["/does/not/exist"]),
    op("readonly", [], ["/etc"]),
    op("readonly", [], ["/data"]),
    op("readonly", [], ["/nope"]),
    exec(["/bin/sh", "-c", [
      "echo \"[$(cat /secret.txt)]\"",
      "echo \"[$(ls /secretdir)]\"",
      "touch /etc/x 2>/dev/null || echo ro-etc",
      "touch /secretdir/y 2>/dev/null || echo ro-mask",
      "touch /data/y 2>/dev/null || echo ro-data",
      "touch /tmp/ok && echo rw-tmp",
      "grep -E ' /(data|etc|secretdir) ' /proc/self/mountinfo",
    ].join("; ")]),
  ]);
  assert.is(r.error, null, JSON.stringify(r.error));
  const out = lines(r.stdout);
  assert.equal(out.slice(0, 6), ["[]", "[]", "ro-etc", "ro-mask", "ro-data", "rw-tmp"]);
  const mi = h.parseMountinfo(out.slice(6).join("\n"));
  const get = (p) => mi.filter((m) => m.point === p).pop();
  assert.match(get("/data").options, /^ro,nosuid,nodev,noexec/);
  assert.match(get("/etc").options, /^ro/);
  assert.match(get("/secretdir").options, /^ro/);
  assert.is(h.readFileSync(R + "/secret.txt", "utf8"), "top secret\n", "the file itself is untouched");
});

t("remount_root makes / read-only", async () => {
  const r = await runInit([...enterRoot(h.rootfs()), op("pivot_root"), op("remount_root", [h.MS_RDONLY]),
    exec(["/bin/sh", "-c", "touch /x 2>/dev/null; echo rc=$?"])]);
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["rc=1"]);
});

// ---- credentials, limits, process state -------------------------------------------------------

t("setgroups, setresgid, setresuid, umask and capabilities show in /proc/self/status", async () => {
  const last = Number(h.readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
  const NET_BIND = 1 << 10;
  const r = await runInit([...enterRoot(h.rootfs(), { proc: true }), op("pivot_root"),
    op("cap_bounding", [NET_BIND, 0, last]),
    op("prctl", [8 /* PR_SET_KEEPCAPS */, 1, 0]),
    op("setgroups", [10, 20]),
    op("setresgid", [1001]),
    op("setresuid", [1000]),
    op("prctl", [8, 0, 0]),
    op("capset", [NET_BIND, 0, NET_BIND, 0, NET_BIND, 0]),
    op("cap_ambient", [NET_BIND, 0, last]),
    op("umask", [0o027]),
    exec(["/bin/cat", "/proc/self/status"]),
  ]);
  assert.is(r.error, null, JSON.stringify(r.error));
  const f = (k) => (r.stdout.match(new RegExp(`^${k}:\\s*(.*)$`, "m")) ?? [])[1];
  assert.is(f("Uid"), "1000\t1000\t1000\t1000");
  assert.is(f("Gid"), "1001\t1001\t1001\t1001");
  assert.is(f("Groups").trim(), "10 20");
  assert.is(f("Umask"), "0027");
  for (const k of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) assert.is(f(k), "0000000000000400", k);
});

t("rlimits are set; raising one above the hard limit fails with EPERM", async () => {
  const r = await runInit([op("setrlimit", [7, 1024, 4096]), op("setrlimit", [4, 0, 0]),
    exec(["/bin/sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c"], { path: BB })]);
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["1024", "4096", "0"]);

  const hard = Number(h.readFileSync("/proc/self/limits", "utf8").match(/^Max open files\s+\d+\s+(\d+)/m)[1]);
  const f = await runInit([op("setrlimit", [7, 100, hard + 1000]), exec([BB, "true"])]);
  assert.equal([f.error.a, f.error.b], [0, errno.EPERM]);
  assert.is(f.status.code, 1);
});

t("write_file (oom_score_adj); WF_IGNORE_ENOENT skips a missing file, without it ENOENT", async () => {
  const r = await runInit([op("write_file", [0], ["/proc/self/oom_score_adj", "500"]),
    op("write_file", [C.WF_IGNORE_ENOENT], ["/nonexistent/capsa", "x"]),
    exec([BB, "cat", "/proc/self/oom_score_adj"])]);
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["500"]);
  const f = await runInit([op("nop"), op("write_file", [0], ["/nonexistent/capsa", "x"])]);
  assert.equal([f.error.a, f.error.b], [1, errno.ENOENT]);
});

t("setsid and prctl(no_new_privs) reach the process", async () => {
  const r = await runInit([op("setsid"), op("prctl", [38, 1, 0]),
    exec([BB, "sh", "-c", "grep NoNewPrivs /proc/self/status; cut -d' ' -f6 /proc/$$/stat; echo $$"])]);
  assert.is(r.error, null);
  const [nnp, sid, self] = lines(r.stdout);
  assert.match(nnp, /NoNewPrivs:\s+1/);
  assert.is(sid, self, "the shell leads its own session");
});

t("chdir, and exec with PATH search and an environment", async () => {
  const r = await runInit([op("chdir", [], ["/etc"]),
    exec(["sh", "-c", "pwd; echo $FOO; echo $PATH"], { search: 1, env: ["FOO=bar", "PATH=/nonexistent:/bin"] })]);
  assert.is(r.error, null, JSON.stringify(r.error));
  assert.equal(lines(r.stdout), ["/etc", "bar", "/nonexistent:/bin"]);
  const f = await runInit([exec(["capsa-no-such-command"], { search: 1, env: ["PATH=/bin:/usr/bin"] })]);
  assert.equal([f.error.a, f.error.b], [0, errno.ENOENT]);
});

t("lookup: found in PATH, or ENOENT, EACCES, EISDIR as Go's exec.LookPath decides", async () => {
  const dir = h.tmp();
  writeFileSync(dir + "/plain", "data\n", { mode: 0o644 });
  writeFileSync(dir + "/script", "#!/bin/sh\n", { mode: 0o755 });
  const cases = [
    [["sh", "/nonexistent::" + dir + ":/bin"], 0],
    [["script", dir], 0],
    [[dir + "/script", ""], 0],
    [["capsa-no-such-command", "/bin:/usr/bin"], errno.ENOENT],
    [["plain", dir], errno.ENOENT, "not executable anywhere in the path: not found"],
    [["sh", ""], errno.ENOENT, "an empty path is the current directory (/)"],
    [[dir + "/plain", ""], errno.EACCES],
    [[dir, ""], errno.EISDIR],
    [[dir + "/none", ""], errno.ENOENT],
    [[dir + "/plain/x", ""], errno.ENOTDIR],
  ];
  for (const [strs, want, why] of cases) {
    const r = await runInit([op("lookup", [], strs), exec([BB, "true"])]);
    if (want === 0) {
      assert.is(r.error, null, `${strs}: ${JSON.stringify(r.error)}`);
      assert.is(r.status.code, 0);
    } else {
      assert.equal(r.error && [r.error.a, r.error.b], [0, want], `${strs}${why ? ": " + why : ""}`);
    }
  }
  // Checked as the process's user: root may run 0744, nobody may not.
  writeFileSync(dir + "/owner-only", "#!/bin/sh\n", { mode: 0o744 });
  chmodSync(dir, 0o755);
  const asNobody = await runInit([op("setresgid", [65534]), op("setresuid", [65534]), op("lookup", [], [dir + "/owner-only", ""]), exec([BB, "true"])]);
  assert.equal([asNobody.error.a, asNobody.error.b], [2, errno.EACCES]);
});

// ---- descriptors ------------------------------------------------------------------------------

t("no descriptor but 0-2 (and keep_fds) reaches the process", async () => {
  const dir = h.tmp();
  writeFileSync(dir + "/kept", "kept\n");
  for (const [variant, opts] of [["", {}], [" (close_range fallback)", { init: h.ENOSYS_INIT }]]) {
    const fd = sys.open(dir + "/kept", sysMod.O_RDONLY);
    try {
      const none = await runInit([exec([BB, "ls", "/proc/self/fd"])], { ...opts, preserve: [fd] });
      assert.equal(lines(none.stdout), ["0", "1", "2", "3"], "keep_fds=0" + variant); // 3: ls's own directory
      const kept = await runInit([exec([BB, "sh", "-c", "cat <&3; ls /proc/self/fd"], { keep: 1 })], { ...opts, preserve: [fd] });
      assert.equal(lines(kept.stdout), ["kept", "0", "1", "2", "3", "4"], "keep_fds=1" + variant);
    } finally {
      sys.close(fd);
    }
  }
});

t("spawn moves overlapping descriptors correctly (0,1,2 rotated)", async () => {
  const links = [0, 1, 2].map((i) => h.readlinkSync(`/proc/self/fd/${i}`));
  const dir = h.tmp();
  const fd = sys.open(dir + "/out", sysMod.O_WRONLY | sysMod.O_CREAT, 0o644);
  let seen = null;
  try {
    const r = await runInit([sync(1)], {
      stdin: 2, stdout: 0, stderr: 1, preserve: [fd],
      onSync(_tag, ctx) {
        seen = [0, 1, 2, 3].map((i) => h.readlinkSync(`/proc/${ctx.pid}/fd/${i}`));
      },
    });
    assert.is(r.error, null);
    assert.equal(seen, [links[2], links[0], links[1], dir + "/out"]);
  } finally {
    sys.close(fd);
  }
});

// ---- the init process itself ------------------------------------------------------------------

t("the waiting init is non-dumpable (in a user namespace its /proc files belong to the namespace's root)", async () => {
  const owner = (pid) => statSync(`/proc/${pid}/status`).uid;
  const seen = [];
  const r = await runInit([sync(C.SYNC_USERMAP), sync(98), op("prctl", [4 /* PR_SET_DUMPABLE */, 1, 0]), sync(99)], {
    cloneFlags: h.CLONE_NEWUSER,
    onSync(tag, ctx) {
      if (tag === C.SYNC_USERMAP) {
        writeFileSync(`/proc/${ctx.pid}/uid_map`, "0 100000 65536\n");
        writeFileSync(`/proc/${ctx.pid}/setgroups`, "deny\n");
        writeFileSync(`/proc/${ctx.pid}/gid_map`, "0 100000 65536\n");
      } else {
        seen.push(owner(ctx.pid));
      }
    },
  });
  assert.is(r.error, null);
  assert.equal(seen, [100000, 0], "non-dumpable: owned by the namespace root; once dumpable: by the process's euid");
});

t("wait_fifo reports READY and blocks until the fifo is opened; Pss of the waiting init is small", async () => {
  const dir = h.tmp();
  const fifo = dir + "/exec.fifo";
  sys.mkfifo(fifo, 0o600);
  let mem = null;
  const r = await runInit([op("open_fifo", [], [fifo]), op("wait_fifo"), exec([BB, "echo", "started"])], {
    async onReady(ctx) {
      await new Promise((res) => setTimeout(res, 150));
      assert.is(sys.poll(ctx.parent, sysMod.POLLIN, 0), 0, "nothing more on the socket: still waiting");
      assert.throws(() => writeFileSync(`/proc/${ctx.pid}/exe`, "x"), "the init's executable cannot be written");
      const roll = h.readFileSync(`/proc/${ctx.pid}/smaps_rollup`, "utf8");
      const kb = (k) => Number(roll.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))[1]);
      mem = { pss: kb("Pss"), dirty: kb("Private_Dirty") };
      const rd = sys.open(fifo, sysMod.O_RDONLY);
      const b = new Uint8Array(1);
      assert.is(sys.read(rd, b), 1);
      assert.is(String.fromCharCode(b[0]), "0");
      sys.close(rd);
    },
  });
  assert.is(r.error, null);
  assert.equal(r.msgs.map((m) => m.type), [C.MSG_READY]);
  assert.equal(lines(r.stdout), ["started"]);
  assert.ok(mem.pss <= 1100, `Pss ${mem.pss} kB`);
  assert.ok(mem.dirty <= 300, `Private_Dirty ${mem.dirty} kB`);
});

t("a NACKed sync fails its op with the runtime's errno", async () => {
  const r = await runInit([op("nop"), sync(5), exec([BB, "true"])], { onSync: () => errno.EPERM });
  assert.equal([r.error.a, r.error.b], [1, errno.EPERM]);
  assert.is(r.status.code, 1);
});

t("a failing op (bind mount of a missing source) reports its index and ENOENT, leaving nothing behind", async () => {
  const dir = h.tmp();
  const r = await runInit([op("unshare", [h.CLONE_NEWNS]), mount("", "/", "", MS_REC_PRIVATE, { cflags: C.MNT_TARGET_HOST }),
    mount("/nonexistent/capsa-src", dir, "", h.MS_BIND, { cflags: C.MNT_TARGET_HOST }), exec([BB, "true"])]);
  assert.equal(r.msgs.map((m) => [m.type, m.a, m.b]), [[C.MSG_ERROR, 2, errno.ENOENT]]);
  assert.is(r.status.code, 1);
  assert.throws(() => sys.kill(r.pid, 0), (e) => e.code === "ESRCH");
});
t("malformed programs are rejected before any op runs", async () => {
  const dir = h.tmp();
  const marker = dir + "/ran";
  writeFileSync(marker, "");
  const first = op("write_file", [0], [marker, "ran"]);
  const good = h.program([first, op("nop")]);
  const u32 = (b, off, v) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, true);
  const patch = (f) => { const b = good.slice(); f(b); return b; };
  const opOff = 16 + new DataView(good.buffer).getUint32(16 + 8, true); // the second op
  const cases = {
    "bad magic": patch((b) => (b[0] ^= 1)),
    "bad version": patch((b) => (b[4] = 2)),
    "header flags": patch((b) => (b[6] = 1)),
    "size mismatch": patch((b) => u32(b, 12, good.length + 8)),
    truncated: good.slice(0, good.length - 8),
    "count too big": patch((b) => u32(b, 8, 3)),
    "count too small": patch((b) => u32(b, 8, 1)),
    "unknown opcode": patch((b) => (b[opOff] = 200)),
    "reserved field": patch((b) => (b[opOff + 6] = 1)),
    "op size not 8-aligned": patch((b) => u32(b, opOff + 8, 12)),
    "op runs past the end": patch((b) => u32(b, opOff + 8, 64)),
    // op 0 at 16: header, one int, then {len, marker path, NUL}, {len, "ran", NUL}
    "string without NUL": patch((b) => (b[16 + 16 + 8 + 4 + marker.length + 1 + 4 + 3] = 0x41)),
    "too few ints": h.program([first, op("unshare", [])]),
    "too many strs": h.program([first, op("nop", [], ["x"])]),
    "NUL inside a path": h.program([first, op("chdir", [], ["/e\u0000tc"])]),
    "exec counts disagree": h.program([first, op("exec", [2, 0, 0, 0], [BB, "true"])]),
    "exec without argv": h.program([first, op("exec", [0, 0, 0, 0], [BB])]),
    "cap_bounding last_cap > 63": h.program([first, op("cap_bounding", [0, 0, 64])]),
    "empty": new Uint8Array(8),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const r = await runInit(bytes);
    assert.equal(r.msgs.map((m) => [m.type, m.a, m.b]), [[C.MSG_ERROR, h.BAD_PROGRAM, errno.EINVAL]], name);
    assert.is(r.status.code, 1, name);
    assert.is(h.readFileSync(marker, "utf8"), "", name + ": no op ran");
  }
  const ok = await runInit(good);
  assert.is(ok.error, null);
  assert.is(h.readFileSync(marker, "utf8"), "ran", "the unpatched program runs");
});

t("seccomp installs a filter (mkdir → EPERM)", async () => {
  if (!isX64) return;
  // ld [nr]; jeq mkdir(83) → errno; jeq mkdirat(258) → errno; allow; ret ERRNO|EPERM
  const insns = [[0x20, 0, 0, 0], [0x15, 2, 0, 83], [0x15, 1, 0, 258], [0x06, 0, 0, 0x7fff0000], [0x06, 0, 0, 0x00050001]];
  const bpf = new Uint8Array(insns.length * 8);
  const v = new DataView(bpf.buffer);
  insns.forEach(([code, jt, jf, k], i) => { v.setUint16(i * 8, code, true); bpf[i * 8 + 2] = jt; bpf[i * 8 + 3] = jf; v.setUint32(i * 8 + 4, k, true); });
  const placeholder = "S".repeat(bpf.length);
  const dir = h.tmp();
  const prog = h.program([op("seccomp", [0], [placeholder]),
    exec([BB, "sh", "-c", `mkdir ${dir}/blocked 2>/dev/null; echo rc=$?`])]);
  const at = indexOfBytes(prog, new TextEncoder().encode(placeholder));
  prog.set(bpf, at);
  const r = await runInit(prog);
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["rc=1"]);
  assert.not.ok(h.existsSync(dir + "/blocked"));
  const bad = await runInit([op("seccomp", [0], ["1234567"])]);
  assert.equal([bad.error.a, bad.error.b], [0, errno.EINVAL], "a program whose length is not a multiple of 8");
});

// ---- spawn ------------------------------------------------------------------------------------

t("spawn: an init that cannot be exec'd fails with its errno and leaves no child", () => {
  const dir = h.tmp();
  writeFileSync(dir + "/not-elf", "not an executable\n");
  const ifd = sys.initFd(dir + "/not-elf");
  const [a, b] = sys.socketpair();
  try {
    assert.throws(() => sys.spawn({ initFd: ifd, syncFd: b }), (e) => e.name === "SysError" && e.code === "ENOEXEC" && /^spawn: ENOEXEC/.test(e.message));
  } finally {
    sys.close(a);
    sys.close(b);
    sys.close(ifd);
  }
  assert.throws(() => sys.spawn({ initFd: 0, syncFd: 1, cloneFlags: 0x100 /* CLONE_VM */ }), (e) => e.code === "EINVAL");
});

t("spawn falls back to clone (no clone3) and to a fork when CLONE_VM is refused", async () => {
  const old = await sysMod.loadSys(h.ENOSYS_LIB);
  const r = await runInit([op("sethostname", [], ["capsa-fallback"]), exec([BB, "hostname"])], { sys: old, cloneFlags: h.CLONE_NEWUTS });
  assert.is(r.error, null);
  assert.equal(lines(r.stdout), ["capsa-fallback"]);
  // CLONE_NEWTIME makes this build refuse CLONE_VM: the fork path, whose exec errors come on the socket.
  const t = await runInit([exec([BB, "true"])], { sys: old, cloneFlags: h.CLONE_NEWTIME });
  assert.is(t.error, null);
  assert.is(t.status.code, 0);
  const dir = h.tmp();
  writeFileSync(dir + "/not-elf", "nope\n");
  const bad = await runInit(new Uint8Array(0), { sys: old, cloneFlags: h.CLONE_NEWTIME, init: dir + "/not-elf", noProgram: true });
  assert.equal(bad.msgs.map((m) => [m.type, m.a, m.b]), [[C.MSG_ERROR, 0xffffffff, errno.ENOEXEC]]);
  assert.is(bad.status.code, 127);
});

test.run();
