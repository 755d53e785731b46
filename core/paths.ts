// Path helpers (POSIX, lexical: the core never touches a file system).

import { join as joinStrings } from "./strings";

export function isAbsolute(p: string): bool { return p.length > 0 && p.charCodeAt(0) == 0x2f; }

/** Lexically cleans a path: collapses `//`, removes `.`, resolves `..` without going above `/`. */
export function clean(p: string): string {
  const abs = isAbsolute(p);
  const parts = p.split("/");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    if (s.length == 0 || s == ".") continue;
    if (s == "..") {
      if (out.length > 0 && out[out.length - 1] != "..") out.pop();
      else if (!abs) out.push("..");
      continue;
    }
    out.push(s);
  }
  const j = joinStrings(out, "/");
  if (abs) return "/" + j;
  return j.length == 0 ? "." : j;
}

/** Joins `rel` onto `base` and cleans; an absolute `rel` is taken relative to `base`. */
export function join(base: string, rel: string): string {
  return clean(base + "/" + rel);
}
