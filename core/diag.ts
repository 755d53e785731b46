// Diagnostics: what is wrong, where (a JSON Pointer into config.json), and a stable code.
import { JValue, Kind, kindName, Obj, jsonArray, pointerToken } from "./json";
import { join } from "./strings";

export const enum Severity { Error = 0, Warning = 1 }

export class Diagnostic {
  constructor(public pointer: string, public code: string, public message: string, public severity: Severity) {}
  toJSON(): string {
    return new Obj()
      .str("pointer", this.pointer)
      .str("code", this.code)
      .str("message", this.message)
      .str("severity", this.severity == Severity.Error ? "error" : "warning")
      .done();
  }
}

export class Diagnostics {
  list: Diagnostic[] = [];
  error(pointer: string, code: string, message: string): void {
    this.list.push(new Diagnostic(pointer, code, message, Severity.Error));
  }
  warn(pointer: string, code: string, message: string): void {
    this.list.push(new Diagnostic(pointer, code, message, Severity.Warning));
  }
  hasErrors(): bool {
    for (let i = 0; i < this.list.length; i++) if (this.list[i].severity == Severity.Error) return true;
    return false;
  }
  toJSON(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.list.length; i++) parts.push(this.list[i].toJSON());
    return jsonArray(parts);
  }
}

/** Appends a reference token to a pointer. */
export function ptr(base: string, token: string): string { return base + "/" + pointerToken(token); }
export function ptrI(base: string, index: i32): string { return base + "/" + index.toString(); }

/**
 * Typed access with diagnostics: each getter returns the member when it has the expected type,
 * reports `<area>.type` otherwise, and returns null when it is absent or mistyped.
 */
export class Walker {
  constructor(public d: Diagnostics) {}

  /**
   * When non-empty, codes for members are `<mapArea>.<key>.<suffix>` instead of being derived
   * from the pointer: set it while walking an object that sits under a user-chosen map key
   * (rdma devices, network devices), whose key must not become part of the code.
   */
  mapArea: string = "";

  /** The code for `suffix` on member `key` of the object at `base`. */
  code(base: string, key: string, suffix: string): string {
    if (this.mapArea.length > 0) return this.mapArea + "." + key + "." + suffix;
    return area(ptr(base, key), suffix);
  }

  typed(parent: JValue, key: string, base: string, kind: Kind, required: bool): JValue | null {
    const v = parent.get(key);
    const p = ptr(base, key);
    if (v === null) {
      if (required) this.d.error(p, area(p, "required"), "\"" + key + "\" is required");
      return null;
    }
    if (v.kind != kind) {
      this.d.error(p, area(p, "type"), "must be " + article(kindName(kind)) + ", not " + article(kindName(v.kind)));
      return null;
    }
    return v;
  }
  obj(parent: JValue, key: string, base: string, required: bool = false): JValue | null { return this.typed(parent, key, base, Kind.Object, required); }
  arr(parent: JValue, key: string, base: string, required: bool = false): JValue | null { return this.typed(parent, key, base, Kind.Array, required); }
  str(parent: JValue, key: string, base: string, required: bool = false): JValue | null { return this.typed(parent, key, base, Kind.String, required); }
  bool(parent: JValue, key: string, base: string, required: bool = false): JValue | null { return this.typed(parent, key, base, Kind.Bool, required); }
  num(parent: JValue, key: string, base: string, required: bool = false): JValue | null { return this.typed(parent, key, base, Kind.Number, required); }

  /** An integer in [min, max] (i64). */
  int(parent: JValue, key: string, base: string, min: i64, max: i64, required: bool = false): JValue | null {
    const v = this.num(parent, key, base, required);
    if (v === null) return null;
    const p = ptr(base, key);
    if (!v.isIntegerText() || !v.fitsI64() || v.i64() < min || v.i64() > max) {
      this.d.error(p, area(p, "range"), "must be an integer from " + min.toString() + " to " + max.toString() + ", not " + v.str);
      return null;
    }
    return v;
  }
  /** An unsigned 64-bit integer. */
  u64(parent: JValue, key: string, base: string, required: bool = false): JValue | null {
    const v = this.num(parent, key, base, required);
    if (v === null) return null;
    if (!v.fitsU64()) {
      this.d.error(ptr(base, key), area(ptr(base, key), "range"), "must be an integer from 0 to 18446744073709551615, not " + v.str);
      return null;
    }
    return v;
  }
  /** A signed 64-bit integer. */
  i64(parent: JValue, key: string, base: string, required: bool = false): JValue | null {
    const v = this.num(parent, key, base, required);
    if (v === null) return null;
    if (!v.fitsI64()) {
      this.d.error(ptr(base, key), area(ptr(base, key), "range"), "must be an integer from -9223372036854775808 to 9223372036854775807, not " + v.str);
      return null;
    }
    return v;
  }
  /** Reports members of `o` whose keys are not in `known` (warning: the spec allows extensions). */
  unknownKeys(o: JValue, base: string, known: string[]): void {
    for (let i = 0; i < o.keys.length; i++) {
      if (!known.includes(o.keys[i])) this.d.warn(ptr(base, o.keys[i]), area(ptr(base, o.keys[i]), "unknown"), "unknown property \"" + o.keys[i] + "\" is ignored");
    }
  }

  /** Reports `v` (at pointer `p`) unless it has `kind`; `code` defaults to `<area of p>.type`. */
  is(v: JValue, p: string, kind: Kind, code: string = ""): bool {
    if (v.kind == kind) return true;
    this.d.error(p, code.length > 0 ? code : area(p, "type"), "must be " + article(kindName(kind)) + ", not " + article(kindName(v.kind)));
    return false;
  }

  /** Reports `v` (at pointer `p`) unless it is an integer in [min, max]. */
  intValue(v: JValue, p: string, min: i64, max: i64): bool {
    if (!this.is(v, p, Kind.Number)) return false;
    if (!v.isIntegerText() || !v.fitsI64() || v.i64() < min || v.i64() > max) {
      this.d.error(p, area(p, "range"), "must be an integer from " + min.toString() + " to " + max.toString() + ", not " + v.str);
      return false;
    }
    return true;
  }
}

function article(w: string): string {
  const c = w.charCodeAt(0);
  return (c == 0x61 || c == 0x6f ? "an " : "a ") + w;
}

/**
 * The diagnostic code for a pointer: its tokens without array indices, joined by dots, then the
 * rule's suffix. `/mounts/3/destination` + `type` gives `mounts.destination.type`.
 */
export function area(pointer: string, suffix: string): string {
  const toks = pointer.split("/");
  const out: string[] = [];
  for (let i = 1; i < toks.length; i++) {
    const t = toks[i];
    let digits = t.length > 0;
    for (let j = 0; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c < 0x30 || c > 0x39) { digits = false; break; }
    }
    if (!digits) out.push(t.replaceAll("~1", "/").replaceAll("~0", "~"));
  }
  out.push(suffix);
  return join(out, ".");
}
