// runc's global flags, which come before the command: parsed here, apart from the commands, so
// the CLI can see which command runs before it loads them (host/cli.ts).
import { cwd } from "./rt.ts";
import { DEFAULT_ROOT } from "./state.ts";

/** A command line error: reported with exit status 2. */
export class UsageError extends Error {}

export interface Globals { root: string; debug: boolean; log?: string; logFormat?: string; systemdCgroup?: boolean }

/** `p` made absolute against the working directory. */
export function resolvePath(p: string): string {
  return p.startsWith("/") ? p : cwd().replace(/\/$/, "") + "/" + p;
}

/**
 * The global flags, then the command and its arguments. `early` is set when a global flag
 * (--version, --help) answers by itself. Throws UsageError.
 */
export function parseGlobals(argv: string[]): { g: Globals; cmd: string | undefined; rest: string[]; early?: "version" | "help" } {
  const g: Globals = { root: DEFAULT_ROOT, debug: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version" || a === "-v") return { g, cmd: undefined, rest: [], early: "version" };
    if (a === "--help" || a === "-h") return { g, cmd: undefined, rest: [], early: "help" };
    if (!a.startsWith("-")) break;
    if (a === "--root") { g.root = resolvePath(argv[++i] ?? ""); continue; }
    if (a.startsWith("--root=")) { g.root = resolvePath(a.slice(7)); continue; }
    if (a === "--debug") { g.debug = true; continue; }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`global flag ${name} needs a value`);
      return v;
    };
    if (name === "--log") { g.log = resolvePath(value()); continue; }
    if (name === "--log-format") { g.logFormat = value(); continue; }
    if (name === "--systemd-cgroup") { g.systemdCgroup = eq > 0 ? a.slice(eq + 1) !== "false" : true; continue; }
    if (name === "--rootless") { value(); continue; } // runc's auto|true|false: capsa decides from its euid
    if (name === "--criu") { value(); continue; }
    throw new UsageError(`unknown global flag ${a}`);
  }
  return { g, cmd: argv[i], rest: argv.slice(i + 1) };
}
