// The Node backend of Sys: native-syscalls' capsa.node addon, loaded with require (a fraction of
// a millisecond), whose functions take the same arguments as the Deno.dlopen symbols.
import type { Sys } from "./sys.ts";
import { nodeBuiltin } from "./rt.ts";
import { nativeSys, type NativeFn, type SYMBOLS } from "./sys_native.ts";

const { createRequire } = await nodeBuiltin("node:module");

export function nodeSys(path: string): Sys {
  const addon = createRequire(import.meta.url)(path) as Record<keyof typeof SYMBOLS, NativeFn>;
  return nativeSys(addon);
}
