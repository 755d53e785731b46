// Validation: a flat list of small rule functions over the parsed config, in the style of
// runc's configs/validate. Each rule reads the config and reports diagnostics; none throws.
import { JValue, Kind } from "../json";
import { Diagnostics, Walker } from "../diag";
import { RULES } from "./rules";

/** The namespaces the config asks for: each type once (the first entry wins), with its path. */
export class Namespaces {
  types: string[] = [];
  paths: string[] = [];
  index: i32[] = [];

  /** Reads linux.namespaces, silently skipping malformed entries (the namespaces rule reports them). */
  read(linux: JValue): void {
    const list = linux.get("namespaces");
    if (list === null || list.kind != Kind.Array) return;
    for (let i = 0; i < list.items.length; i++) {
      const e = list.items[i];
      if (e.kind != Kind.Object) continue;
      const t = e.get("type");
      if (t === null || t.kind != Kind.String || this.types.includes(t.str)) continue;
      const p = e.get("path");
      this.types.push(t.str);
      this.paths.push(p !== null && p.kind == Kind.String ? p.str : "");
      this.index.push(i);
    }
  }

  /** The container has a namespace of this type (new or joined). */
  has(t: string): bool { return this.types.includes(t); }
  /** The container gets a new namespace of this type (listed without a path). */
  isNew(t: string): bool {
    const i = this.types.indexOf(t);
    return i >= 0 && this.paths[i].length == 0;
  }
  /** The path of a joined namespace, or "" for a new one or an absent one. */
  path(t: string): string {
    const i = this.types.indexOf(t);
    return i >= 0 ? this.paths[i] : "";
  }
  /** The index of the entry in linux.namespaces, or -1. */
  at(t: string): i32 {
    const i = this.types.indexOf(t);
    return i >= 0 ? this.index[i] : -1;
  }
}

function objectOrNull(v: JValue | null): JValue | null {
  return v !== null && v.kind == Kind.Object ? v : null;
}

export class Ctx {
  w: Walker;
  /** `process`, `linux` and `linux.resources` when they are objects (their type is checked once, by a rule). */
  process: JValue | null;
  linux: JValue | null;
  resources: JValue | null;
  ns: Namespaces;

  constructor(public config: JValue, public d: Diagnostics) {
    this.w = new Walker(d);
    this.process = objectOrNull(config.get("process"));
    const linux = objectOrNull(config.get("linux"));
    this.linux = linux;
    this.resources = linux !== null ? objectOrNull(linux.get("resources")) : null;
    this.ns = new Namespaces();
    if (linux !== null) this.ns.read(linux);
  }
}

export type Rule = (c: Ctx) => void;

export function validateConfig(config: JValue, d: Diagnostics): void {
  if (!config.isObject()) {
    d.error("", "config.type", "config.json must hold a JSON object");
    return;
  }
  const c = new Ctx(config, d);
  for (let i = 0; i < RULES.length; i++) RULES[i](c);
}
