// The Deno backend of Sys: libcapsa.so through Deno.dlopen, one symbol at a time on first use
// (each costs about 0.1 ms; the library itself is mapped once). No `node:` imports on this path.
import type { Sys } from "./sys.ts";
import { nativeSys, SYMBOLS, type NativeFn } from "./sys_native.ts";

// deno-lint-ignore no-explicit-any
declare const Deno: any;

/**
 * An object with one property per key of `defs`, each made by `make` on first access: binding
 * a native function costs about 0.1 ms, and one command uses a handful of the library's.
 */
function lazyBindings<D extends Record<string, unknown>, F>(defs: D, make: (name: string, def: D[keyof D]) => F): { [K in keyof D]: F } {
  const out = {} as { [K in keyof D]: F };
  for (const name of Object.keys(defs)) {
    Object.defineProperty(out, name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = make(name, defs[name] as D[keyof D]);
        Object.defineProperty(out, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return out;
}

export function denoSys(path: string): Sys {
  return nativeSys(lazyBindings(SYMBOLS, (name, def): NativeFn => Deno.dlopen(path, { [name]: def }).symbols[name]));
}
