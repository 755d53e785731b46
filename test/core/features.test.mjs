// The features document tells the truth: what it lists is what the plan and the seccomp
// compiler accept, and what it denies they refuse.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { call } from "../lib/core.mjs";
import { plan } from "../lib/plan-core.mjs";
import { readFileSync } from "node:fs";

const f = call("features", "{}").json;
const example = () => JSON.parse(readFileSync(new URL("../../../shared/runtime-spec/schema/test/config/good/spec-example.json", import.meta.url), "utf8"));

test("shape: versions, hooks, namespaces, capabilities from the shared tables", () => {
  assert.is(f.ociVersionMin, "1.0.0");
  assert.is(f.ociVersionMax, "1.3.0");
  assert.equal(f.hooks, ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
  assert.equal([...f.linux.namespaces].sort(), ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]);
  assert.equal(f.linux.capabilities, call("tables", "{}").json.capabilities);
  assert.is(f.linux.cgroup.systemd, false, "the systemd driver is refused");
});

test("every listed mount option is accepted by the plan", () => {
  for (const opt of f.mountOptions) {
    const cfg = example();
    cfg.mounts.push({ destination: "/x", type: "tmpfs", source: "tmpfs", options: [opt] });
    const r = plan(cfg);
    assert.is(r.status, 0, `${opt}: ${JSON.stringify(r.json.diagnostics)}`);
  }
});

test("idmap is denied, and the plan refuses it", () => {
  assert.is(f.linux.mountExtensions.idmap.enabled, false);
  const cfg = example();
  cfg.mounts.push({ destination: "/x", type: "bind", source: "/tmp", options: ["rbind", "idmap"] });
  assert.is(plan(cfg).status, 1);
});

test("seccomp: every listed action, operator and arch compiles", () => {
  assert.is(f.linux.seccomp.enabled, true);
  for (const action of f.linux.seccomp.actions.filter((a) => a !== "SCMP_ACT_NOTIFY")) {
    for (const op of f.linux.seccomp.operators) {
      const sc = { defaultAction: "SCMP_ACT_ALLOW", architectures: f.linux.seccomp.archs.filter((a) => a !== "SCMP_ARCH_AARCH64"), syscalls: [{ names: ["mkdir"], action, args: [{ index: 0, value: 1, valueTwo: 1, op }] }] };
      const r = call("seccomp", JSON.stringify({ seccomp: sc, arch: "x86_64" }));
      assert.is(r.status, 0, `${action} ${op}: ${JSON.stringify(r.json.diagnostics)}`);
      assert.ok(r.json.instructions > 0);
    }
  }
  const a = call("seccomp", JSON.stringify({ seccomp: { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_AARCH64"], syscalls: [{ names: ["mkdirat"], action: "SCMP_ACT_ERRNO" }] }, arch: "aarch64" }));
  assert.is(a.status, 0);
});

test.run();
