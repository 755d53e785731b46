#!/usr/bin/env node
// Builds a busybox bundle and runs a container that shows its isolation: its own hostname,
// pid 1, its own mounts and namespaces, and what it cannot do.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync, readlinkSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureRootfs } from "../test/lib/rootfs.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = "/tmp/capsa-demo";
const capsa = join(root, "bin", process.argv.includes("--deno") ? "capsa-deno" : "capsa");
mkdirSync(bundle, { recursive: true });
ensureRootfs(join(bundle, "rootfs"));
rmSync(join(bundle, "config.json"), { force: true });
execFileSync(capsa, ["spec", "--bundle", bundle], { stdio: "inherit" });
const config = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
config.hostname = "capsa-demo";
config.process.args = ["sh", "-c", [
  "echo \"hostname: $(hostname)\"",
  "echo \"my pid:   $$\"",
  "echo \"processes I can see:\"; ps -o pid,user,args | cut -c1-60",
  "echo \"my mounts:\"; awk '{print \"  \" $5 \"  \" $9}' /proc/self/mountinfo",
  "echo \"my namespaces:\"; for n in mnt uts ipc pid net cgroup; do echo \"  $n $(readlink /proc/self/ns/$n)\"; done",
  "echo \"my capabilities: $(grep CapEff /proc/self/status | tr -s '\\t ' ' ')\"",
  "touch /etc/x 2>/dev/null || echo \"the root filesystem is read-only\"",
].join("; ")];
config.linux.resources = { ...(config.linux.resources ?? {}), memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 32 } };
writeFileSync(join(bundle, "config.json"), JSON.stringify(config, null, 2));
console.log(`the host's namespaces, for comparison:`);
for (const n of ["mnt", "uts", "ipc", "pid", "net", "cgroup"]) console.log(`  ${n} ${readlinkSync(`/proc/self/ns/${n}`)}`);
console.log(`\n$ ${capsa} run --bundle ${bundle} demo\n`);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const r = spawnSync(capsa, ["--root", "/run/capsa", "run", "--bundle", bundle, `demo-${process.pid}`], { stdio: "inherit", env });
process.exit(r.status ?? 1);
