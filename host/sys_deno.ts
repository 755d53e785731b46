// The Deno backend of Sys: libcapsa.so through Deno.dlopen, one symbol at a time on first use
// (each costs about 0.1 ms; the library itself is mapped once). No `node:` imports on this path.
import type { Sys } from "./sys.ts";
import { lazyBindings } from "./sys.ts";
import { nativeSys, SYMBOLS, type NativeFn } from "./sys_native.ts";

// deno-lint-ignore no-explicit-any
declare const Deno: any;

export function denoSys(path: string): Sys {
  return nativeSys(lazyBindings(SYMBOLS, (name, def): NativeFn => Deno.dlopen(path, { [name]: def }).symbols[name]));
}
