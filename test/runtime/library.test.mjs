// capsa as a library: a scratch project imports "capsa" by package name and runs a container
// through the Factory/Container API (Node: package.json exports with .d.ts; Deno: deno.json
// exports through an import map).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { root, bundle, cleanupBundles, leaks, isDeno, uniqueId } from "../lib/capsa.mjs";

test.after.each(() => {
  cleanupBundles();
  const l = leaks();
  assert.equal(l, [], "nothing leaks: " + l.join("; "));
});

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "capsa-lib-"));
  if (isDeno) {
    writeFileSync(join(dir, "deno.json"), JSON.stringify({ imports: { capsa: new URL("host/mod.ts", "file://" + root + "/").href } }));
  } else {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "scratch", type: "module", private: true, dependencies: { capsa: "file:" + root } }));
    const r = spawnSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, encoding: "utf8", env });
    assert.is(r.status, 0, "npm install: " + r.stderr);
    assert.ok(existsSync(join(dir, "node_modules/capsa/package.json")));
  }
  return dir;
}

function runScript(dir, code) {
  writeFileSync(join(dir, "main.mjs"), code);
  const deno = join(root, "node_modules/.bin/deno");
  const r = isDeno
    ? spawnSync(deno, ["run", "-A", "--quiet", "--config", join(dir, "deno.json"), join(dir, "main.mjs")], { cwd: dir, encoding: "utf8", env })
    : spawnSync(process.execPath, [join(dir, "main.mjs")], { cwd: dir, encoding: "utf8", env });
  return r;
}

test("a scratch project imports capsa by name and runs a container through the library API", () => {
  const dir = scratch();
  try {
    const b = bundle((c) => { c.process.args = ["sh", "-c", "exit 7"]; c.hostname = "lib"; });
    const stateRoot = join(dir, "state");
    const id = uniqueId("lib");
    const r = runScript(dir, `
      import { Factory, OCI_VERSION } from "capsa";
      import { readdirSync, readlinkSync } from "node:fs";
      const fds = () => readdirSync("/proc/self/fd").map((n) => { try { return n + " " + readlinkSync("/proc/self/fd/" + n); } catch { return n; } }).filter((x) => !x.includes(" /proc/")).sort();
      const f = new Factory(${JSON.stringify(stateRoot)});
      const fdsBefore = fds();
      const c = await f.create(${JSON.stringify(id)}, { bundle: ${JSON.stringify(b)}, stdio: { stdin: -1, stdout: -1, stderr: 2 } });
      const steps = [c.status()];
      const st = c.state();
      const oci = c.ociState();
      const exit = await c.run();
      steps.push(c.status());
      const listed = f.list();
      await c.destroy();
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ fdsBefore, fdsAfter: fds(), steps, code: exit.code, pid: st.init_process_pid, hasConfig: !!st.config, oci, listed, after: f.list(), OCI_VERSION }));
    `);
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop());
    assert.equal(out.steps, ["created", "stopped"]);
    // The cgroup primer's pipe and every other descriptor of create and run are closed; the
    // sealed memfd of capsa-init is kept for the process's next container.
    assert.equal(out.fdsAfter.filter((x) => !x.includes("memfd:capsa-init")), out.fdsBefore);
    assert.is(out.code, 7);
    assert.ok(out.pid > 0);
    assert.ok(out.hasConfig);
    assert.is(out.oci.id, id);
    assert.is(out.oci.status, "created");
    assert.is(out.oci.ociVersion, out.OCI_VERSION);
    assert.equal(out.listed, [id]);
    assert.equal(out.after, []);
    if (!isDeno) {
      // Types ship with the package.
      const pkg = JSON.parse(readFileSync(join(dir, "node_modules/capsa/package.json"), "utf8"));
      assert.ok(existsSync(join(dir, "node_modules/capsa", pkg.exports["."].types)), "the .d.ts exists");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("library errors are typed: ConfigError carries the diagnostics", () => {
  const dir = scratch();
  try {
    const b = bundle((c) => { c.process.cwd = "not/absolute"; });
    const r = runScript(dir, `
      import { Factory, ConfigError } from "capsa";
      try {
        await new Factory(${JSON.stringify(join(dir, "state"))}).create("bad", { bundle: ${JSON.stringify(b)} });
        console.log("created?!");
      } catch (e) {
        console.log(JSON.stringify({ isConfig: e instanceof ConfigError, pointers: e.diagnostics.map((d) => d.pointer), codes: e.diagnostics.map((d) => d.code) }));
      }
    `);
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.ok(out.isConfig);
    assert.ok(out.pointers.includes("/process/cwd"));
    assert.ok(out.codes.includes("process.cwd.relative"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
