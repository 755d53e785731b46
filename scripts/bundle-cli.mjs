// Bundles the CLI into one file per engine, so each loads a single module before its first
// system call:
//   dist/capsa-cli.cjs   Node: dist/host/cli.js and everything it imports, as CommonJS, which
//                        Node 20 loads about 5 ms faster than the same code as an ES module;
//                        import.meta.dirname (used to find dist/ files) becomes __dirname.
//   dist/capsa-deno.mjs  Deno: host/cli.ts and everything it imports, as one ES module (about
//                        3 ms less than resolving and loading the TypeScript modules one by one).
// Both come from the same sources; the library (host/mod.ts, dist/host/mod.js) is not bundled.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/host/cli.js"],
  outfile: "dist/capsa-cli.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  define: { "import.meta.dirname": "__dirname" },
  logLevel: "warning",
});

await build({
  entryPoints: ["host/cli.ts"],
  outfile: "dist/capsa-deno.mjs",
  bundle: true,
  platform: "neutral",
  format: "esm",
  external: ["node:*"],
  logLevel: "warning",
});
