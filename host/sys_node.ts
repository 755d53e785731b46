// The Node backend of Sys: native-syscalls' capsa.node addon, loaded with process.dlopen (well
// under a millisecond; require() would first set up the CommonJS loader, about 1.5 ms), whose
// functions take the same arguments as the Deno.dlopen symbols.
import type { Sys } from "./sys.ts";
import { nativeSys, type NativeFn, type SYMBOLS } from "./sys_native.ts";

// deno-lint-ignore no-explicit-any
declare const process: any;

export function nodeSys(path: string): Sys {
  const module = { exports: {} as Record<keyof typeof SYMBOLS, NativeFn> };
  process.dlopen(module, path);
  return nativeSys(module.exports);
}
