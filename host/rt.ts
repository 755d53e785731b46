// The one module that knows which JavaScript runtime it runs in. Deno's native APIs start
// faster than its `node:` compatibility layer, so the Deno path imports no `node:` module.
// deno-lint-ignore-file no-explicit-any
declare const Deno: any;
declare const process: any;

export const isDeno: boolean = typeof (globalThis as any).Deno !== "undefined";

const nodeFs: any = isDeno ? null : await import("node:fs");

export function readFile(path: string): Uint8Array<ArrayBuffer> {
  return isDeno ? Deno.readFileSync(path) : new Uint8Array(nodeFs.readFileSync(path));
}
export function readText(path: string): string {
  return isDeno ? Deno.readTextFileSync(path) : nodeFs.readFileSync(path, "utf8");
}
export function exists(path: string): boolean {
  try {
    if (isDeno) Deno.lstatSync(path);
    else nodeFs.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
export function args(): string[] {
  return isDeno ? Deno.args : process.argv.slice(2);
}
export function exit(code: number): never {
  if (isDeno) Deno.exit(code);
  process.exit(code);
  throw new Error("unreachable");
}
export function cwd(): string {
  return isDeno ? Deno.cwd() : process.cwd();
}
const enc = new TextEncoder();
export function writeOut(s: string): void {
  if (isDeno) Deno.stdout.writeSync(enc.encode(s));
  else nodeFs.writeSync(1, s);
}
export function writeErr(s: string): void {
  if (isDeno) Deno.stderr.writeSync(enc.encode(s));
  else nodeFs.writeSync(2, s);
}
/** The directory holding this file (host/ or dist/host/). */
export function hereDir(): string {
  return new URL(".", import.meta.url).pathname;
}
