#!/usr/bin/env node
// Runs every uvu suite (test/**/*.test.mjs) under Node and then under Deno, one process per
// file, and prints "<runtime>: N passed, N failed" for each runtime.
//   node test/run.mjs [--node-only|--deno-only] [substring …]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("--"));
let runtimes = ["node", "deno"];
if (args.includes("--node-only")) runtimes = ["node"];
if (args.includes("--deno-only")) runtimes = ["deno"];

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.mjs")) out.push(p);
  }
  return out;
}
const files = walk(here).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const denoBin = join(root, "node_modules", ".bin", "deno");
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };

const totals = {};
let anyFailed = false;
for (const rt of runtimes) {
  let passed = 0, failed = 0, skipped = 0;
  for (const file of files) {
    const rel = relative(root, file);
    const cmd = rt === "node" ? process.execPath : denoBin;
    const argv = rt === "node" ? [file] : ["run", "-A", "--quiet", file];
    const t0 = Date.now();
    const r = spawnSync(cmd, argv, { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20, timeout: 20 * 60 * 1000 });
    const text = (r.stdout || "") + (r.stderr || "");
    const num = (k) => { const m = text.match(new RegExp(`^\\s*${k}:\\s+(\\d+)`, "m")); return m ? Number(m[1]) : null; };
    const total = num("Total"), pass = num("Passed"), skip = num("Skipped") ?? 0;
    let f;
    if (total === null || pass === null) { f = 1; }
    else { f = total - pass - skip; if (r.status !== 0 && f === 0) f = 1; }
    passed += pass ?? 0; failed += f; skipped += skip;
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`[${rt}] ${rel}: ${pass ?? 0} passed, ${f} failed${skip ? `, ${skip} skipped` : ""} (${secs}s)`);
    if (f > 0) {
      anyFailed = true;
      console.log(text.split("\n").map((l) => "    " + l).join("\n"));
    }
  }
  totals[rt] = { passed, failed, skipped };
}
console.log("");
for (const rt of runtimes) {
  const t = totals[rt];
  console.log(`${rt}: ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ""}`);
}
process.exit(anyFailed ? 1 : 0);
