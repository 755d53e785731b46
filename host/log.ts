// runc's log: `--log FILE` receives lines in `--log-format text` (logrus text) or `json`
// ({"level","msg","time"}), which containerd's shim reads back when a command fails.
import { isDeno, nodeFs } from "./rt.ts";

// deno-lint-ignore no-explicit-any
declare const Deno: any;

export type Level = "debug" | "info" | "warning" | "error";

let file: string | null = null;
let format: "text" | "json" = "text";
let debugOn = false;

export function configureLog(opts: { file?: string | null; format?: string; debug?: boolean }): void {
  file = opts.file ?? null;
  if (opts.format !== undefined) {
    if (opts.format !== "text" && opts.format !== "json") throw new Error(`--log-format must be text or json, not "${opts.format}"`);
    format = opts.format;
  }
  debugOn = !!opts.debug;
}

function quoteText(s: string): string {
  return /^[A-Za-z0-9_.\/:-]+$/.test(s) ? s : JSON.stringify(s);
}

/** Appends one line to the log file (when there is one); debug lines only with --debug. */
export function log(level: Level, msg: string): void {
  if (!file || (level === "debug" && !debugOn)) return;
  const time = new Date().toISOString();
  const line = format === "json"
    ? JSON.stringify({ level, msg, time }) + "\n"
    : `time="${time}" level=${level} msg=${quoteText(msg)}\n`;
  try {
    if (isDeno) Deno.writeTextFileSync(file, line, { append: true, create: true });
    else nodeFs.appendFileSync(file, line);
  } catch {
    // A log that cannot be written must not hide the real outcome.
  }
}
