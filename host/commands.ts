// Command dispatch. Each verb parses its own flags and returns an exit code.
import { readText, writeOut, writeErr, cwd, isDeno } from "./rt.ts";
import { loadCore } from "./core.ts";

export const VERSION = "0.1.0";
export const SPEC_VERSION = "1.3.0";

export class UsageError extends Error {}

interface Diag { pointer: string; code: string; message: string; severity: string }

function resolve(p: string): string {
  return p.startsWith("/") ? p : cwd().replace(/\/$/, "") + "/" + p;
}

/** `capsa validate [--bundle DIR | FILE]`: 0 valid, 1 invalid, 2 unreadable. */
function validateCmd(argv: string[]): number {
  let file = "config.json";
  let label = "config.json";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--bundle" || a === "-b") {
      const dir = argv[++i];
      if (dir === undefined) throw new UsageError("--bundle needs a directory");
      file = resolve(dir).replace(/\/$/, "") + "/config.json";
    } else if (a.startsWith("--bundle=")) {
      file = resolve(a.slice(9)).replace(/\/$/, "") + "/config.json";
    } else if (a === "--help" || a === "-h") {
      writeOut("usage: capsa validate [--bundle DIR | FILE]\n\nChecks a config.json against the OCI runtime spec; one line per diagnostic.\nExit status: 0 valid, 1 invalid, 2 unreadable.\n");
      return 0;
    } else if (a.startsWith("-")) {
      throw new UsageError(`validate: unknown flag ${a}`);
    } else {
      file = resolve(a);
      label = a;
    }
  }
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    writeErr(`capsa: validate: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  if (label === "config.json" && file !== resolve("config.json")) label = file;
  const { status, value } = loadCore().json<{ valid: boolean; diagnostics: Diag[] }>("validate", text);
  for (const d of value.diagnostics) {
    writeOut(`${label}:${d.pointer}: ${d.severity}: ${d.message} [${d.code}]\n`);
  }
  return status === 0 && value.valid ? 0 : 1;
}

const HELP = `capsa ${VERSION}: an OCI container runtime (runtime-spec ${SPEC_VERSION})

usage: capsa [global flags] COMMAND [flags] [args]

commands:
  validate   check a bundle's config.json and print its diagnostics
  version    print the version

global flags:
  --root DIR         state directory (default /run/capsa)
  --version, -v      print the version
  --help, -h         this help
`;

export async function main(argv: string[]): Promise<number> {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version" || a === "-v") { writeOut(versionText()); return 0; }
    if (a === "--help" || a === "-h") { writeOut(HELP); return 0; }
    if (!a.startsWith("-")) break;
    throw new UsageError(`unknown global flag ${a}`);
  }
  const cmd = argv[i];
  const rest = argv.slice(i + 1);
  try {
    switch (cmd) {
      case undefined: writeErr(HELP); return 2;
      case "validate": return validateCmd(rest);
      case "version": writeOut(versionText()); return 0;
      default: throw new UsageError(`unknown command "${cmd}" (see capsa --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      writeErr(`capsa: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function versionText(): string {
  return `capsa version ${VERSION}\nspec: ${SPEC_VERSION}\nruntime: ${isDeno ? "deno" : "node"}\n`;
}
