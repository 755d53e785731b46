// The Node backend of Sys: native-syscalls' capsa.node addon, loaded with require (a fraction of
// a millisecond), whose functions take the same arguments as the Deno.dlopen symbols.
import { createRequire } from "node:module";
import type { Sys } from "./sys.ts";
import { nativeSys, type NativeFn, type SYMBOLS } from "./sys_native.ts";

export function nodeSys(path: string): Sys {
  const addon = createRequire(import.meta.url)(path) as Record<keyof typeof SYMBOLS, NativeFn>;
  return nativeSys(addon);
}
