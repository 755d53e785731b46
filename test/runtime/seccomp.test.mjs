// seccomp filters compiled by the core and loaded by the init, observed in real containers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capsa, bundle, runSh, cleanupBundles, leaks, uniqueId } from "../lib/capsa.mjs";

test.after.each(() => {
  cleanupBundles();
  const l = leaks();
  assert.equal(l, [], "nothing leaks: " + l.join("; "));
});

const docker = JSON.parse(readFileSync(new URL("../fixtures/seccomp/docker-default.json", import.meta.url), "utf8"));
const allowAll = (rules) => ({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], syscalls: rules });

function withTmp(c) {
  c.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"] });
}

test("a profile returning EPERM for mkdir makes mkdir fail with EPERM", () => {
  const r = runSh("mkdir /tmp/a 2>&1; echo rc=$?; touch /tmp/f && echo touch-ok", (c) => {
    withTmp(c);
    c.linux.seccomp = allowAll([{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }]);
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /Operation not permitted/);
  assert.match(r.stdout, /rc=1/);
  assert.match(r.stdout, /touch-ok/);
});

test("a profile that refuses the lookup's statx and faccessat2 does not stop the process (it decides at execve)", () => {
  for (const [errnoRet, args] of [[1, ["true"]], [38, ["/bin/true"]]]) { // EPERM, ENOSYS
    const dir = bundle((c) => {
      c.process.args = args;
      c.process.noNewPrivileges = false; // the filter is loaded before the lookup
      c.linux.seccomp = allowAll([{ names: ["statx", "faccessat2"], action: "SCMP_ACT_ERRNO", errnoRet }]);
    });
    const r = capsa(["run", "--bundle", dir, uniqueId("lk")]);
    assert.is(r.status, 0, `${args} with errno ${errnoRet}: ${r.stderr}`);
  }
  // A missing executable is still missing: execve reports it.
  const gone = capsa(["run", "--bundle", bundle((c) => {
    c.process.args = ["/no/such"];
    c.process.noNewPrivileges = false;
    c.linux.seccomp = allowAll([{ names: ["statx", "faccessat2"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }]);
  }), uniqueId("lk")]);
  assert.is.not(gone.status, 0);
  assert.match(gone.stderr, /ENOENT/);
});

test("an argument filter on personality blocks only that value", () => {
  const r = runSh("linux32 true && echo linux32-ok || echo linux32-blocked; linux64 true && echo linux64-ok || echo linux64-blocked", (c) => {
    // PER_LINUX32 = 8: blocked; personality(0) (PER_LINUX) and queries still work.
    c.linux.seccomp = allowAll([{ names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }] }]);
  });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), ["linux32-blocked", "linux64-ok"]);
});

test("SCMP_ACT_KILL_PROCESS kills the process (SIGSYS: exit 159)", () => {
  // A child killed by the filter: its shell reports it and goes on.
  const child = runSh("mkdir /tmp/a; echo survived-$?", (c) => {
    withTmp(c);
    c.linux.seccomp = allowAll([{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL_PROCESS" }]);
  });
  assert.match(child.stdout, /survived-159/);
  // The container's own process killed: its status is 128+SIGSYS.
  const r = runSh("exec mkdir /tmp/a", (c) => {
    withTmp(c);
    c.linux.seccomp = allowAll([{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL_PROCESS" }]);
  });
  assert.is(r.status, 128 + 31);
  assert.not.match(r.stdout, /survived/);
});

test("SCMP_ACT_ERRNO with a chosen errno", () => {
  const r = runSh("mkdir /tmp/a 2>&1", (c) => {
    withTmp(c);
    c.linux.seccomp = allowAll([{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28 }]);
  });
  assert.match(r.stdout, /No space left on device/);
});

test("Docker's default profile runs a busybox shell normally and blocks unshare and mount", () => {
  const r = runSh([
    "echo hello > /tmp/f && cat /tmp/f",
    "ls / > /dev/null && echo ls-ok",
    "ps > /dev/null && echo ps-ok",
    "unshare -m true 2>/dev/null && echo unshare-allowed || echo unshare-blocked",
    "mount -t tmpfs none /mnt 2>/dev/null && echo mount-allowed || echo mount-blocked",
  ].join("; "), (c) => {
    withTmp(c);
    c.linux.seccomp = docker;
    // Even with the capability, the profile refuses mount and unshare.
    for (const set of ["bounding", "effective", "permitted"]) c.process.capabilities[set].push("CAP_SYS_ADMIN");
  });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n"), ["hello", "ls-ok", "ps-ok", "unshare-blocked", "mount-blocked"]);
});

test("the filter also applies to processes exec'd into the container", () => {
  const dir = bundle((c) => {
    c.process.args = ["sleep", "30"];
    withTmp(c);
    c.linux.seccomp = allowAll([{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }]);
  });
  const id = uniqueId("sx");
  assert.is(capsa(["run", "-d", "--bundle", dir, id]).status, 0);
  try {
    const r = capsa(["exec", id, "sh", "-c", "mkdir /tmp/y 2>&1; echo rc=$?"]);
    assert.match(r.stdout, /Operation not permitted/);
    assert.match(r.stdout, /rc=1/);
  } finally {
    capsa(["delete", "--force", id]);
  }
});

test("invalid profiles are diagnostics from validate, with pointers", () => {
  const dir = bundle((c) => {
    c.linux.seccomp = {
      defaultAction: "SCMP_ACT_SOMETIMES",
      architectures: ["SCMP_ARCH_PDP11"],
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{ index: 7, value: 1, op: "SCMP_CMP_ALMOST" }] }],
    };
  });
  const r = capsa(["validate", "--bundle", dir]);
  assert.is(r.status, 1);
  assert.match(r.stdout, /config\.json:\/linux\/seccomp\/defaultAction: error: .*\[linux\.seccomp\.defaultAction\.unknown\]/);
  assert.match(r.stdout, /config\.json:\/linux\/seccomp\/architectures\/0: error: /);
  assert.match(r.stdout, /config\.json:\/linux\/seccomp\/syscalls\/0\/args\/0\/index: error: /);
  assert.match(r.stdout, /config\.json:\/linux\/seccomp\/syscalls\/0\/args\/0\/op: error: /);
  const run = capsa(["run", "--bundle", dir, uniqueId("sv")]);
  assert.is(run.status, 1);
  assert.match(run.stderr, /\/linux\/seccomp\/defaultAction/);
});

test("capsa seccomp prints the compiled program's disassembly", () => {
  const dir = bundle((c) => { c.linux.seccomp = docker; });
  const r = capsa(["seccomp", "--bundle", dir]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^# \d+ instructions/m);
  assert.match(r.stdout, /ld \[4\]/);
  assert.match(r.stdout, /ret ERRNO\(1\)/);
  assert.match(r.stdout, /ret ALLOW/);
});

test.run();
