// The benchmark bundle: a busybox rootfs (test/lib/rootfs.mjs) and a config from `capsa spec`
// with the process /bin/true, no terminal, a read-only root, the default namespaces and mounts.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureRootfs } from "../../test/lib/rootfs.mjs";

export function writeConfig(dir, config) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
}

/** Builds `dir` (rootfs/ and config.json) with `capsaArgv spec`; returns the config. */
export function makeBundle(dir, capsaArgv) {
  ensureRootfs(join(dir, "rootfs"));
  const r = spawnSync(capsaArgv[0], [...capsaArgv.slice(1), "spec", "--bundle", dir], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`capsa spec failed: ${(r.stderr ?? "").trim() || "exit " + r.status}`);
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  config.process.args = ["/bin/true"];
  config.process.terminal = false;
  config.root = { path: "rootfs", readonly: true };
  writeConfig(dir, config);
  return config;
}

/** The same config with a long-running process, in `dir`, sharing `rootfs` (for exec). */
export function makeSleepBundle(dir, config, rootfs) {
  const c = structuredClone(config);
  c.process.args = ["/bin/sleep", "3600"];
  c.root = { path: rootfs, readonly: true };
  writeConfig(dir, c);
  return c;
}
