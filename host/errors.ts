// Errors people can act on: what failed, where (a JSON Pointer or the op and its path), and
// why (the errno name, from the core's tables through sys.ts).
import { errnoInfo } from "./sys.ts";

/** `EPERM (Operation not permitted)` for 1. */
export function errnoText(n: number): string {
  const e = errnoInfo(Math.abs(n));
  return e.text ? `${e.name} (${e.text})` : e.name;
}

/** An error from capsa itself, with a stable code. */
export class CapsaError extends Error {
  constructor(message: string, readonly code = "capsa.error", readonly exitCode = 1) {
    super(message);
  }
}

export interface Diagnostic { pointer: string; code: string; message: string; severity: string }

/** The config was refused: one line per error diagnostic. */
export class ConfigError extends CapsaError {
  constructor(readonly diagnostics: Diagnostic[], file = "config.json") {
    super(diagnostics.filter((d) => d.severity === "error")
      .map((d) => `${file}:${d.pointer}: ${d.message} [${d.code}]`).join("\n"), "config.invalid");
  }
}
