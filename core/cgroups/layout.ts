// Where the cgroup hierarchies are: /proc/self/mountinfo + /proc/self/cgroup → a Layout.
import { JValue, Kind, Obj, quote, jsonArray } from "../json";
import { clean } from "../paths";

/** One hierarchy as seen by this process: `path` is its cgroup relative to the mount's root. */
export class Hier {
  constructor(public name: string, public mountpoint: string, public root: string, public path: string | null) {}
  obj(): Obj {
    const p = this.path;
    return new Obj().str("mountpoint", this.mountpoint).str("root", this.root).raw("path", p === null ? "null" : quote(p));
  }
}

export class Layout {
  mode: string = "v1";
  unified: Hier | null = null;
  /** Controllers the unified hierarchy offers. */
  uctrls: string[] = [];
  ctrls: Hier[] = [];
  get(name: string): Hier | null {
    for (let i = 0; i < this.ctrls.length; i++) if (this.ctrls[i].name == name) return this.ctrls[i];
    return null;
  }
  json(): string {
    const u = this.unified;
    const o = new Obj();
    for (let i = 0; i < this.ctrls.length; i++) o.raw(this.ctrls[i].name, this.ctrls[i].obj().done());
    const prime = this.primeFile();
    return new Obj().str("mode", this.mode)
      .raw("unified", u === null ? "null" : u.obj().raw("controllers", strList(this.uctrls)).done())
      .raw("controllers", o.done())
      .raw("prime", prime === null ? "null" : quote(prime)).done();
  }

  /**
   * The cgroup.procs file of this process's own cgroup (a v1 hierarchy first), or null.
   * Moving a process between cgroups waits for an RCU grace period (the cgroup threadgroup
   * rwsem's write side), 5 to 20 ms; the next moves within about one more grace period are
   * free. Writing "0" here moves the runtime to the cgroup it is already in, so a runtime that
   * does it on a worker thread at start-up has that wait behind it, not ahead, when the
   * container's init joins its cgroups.
   */
  primeFile(): string | null {
    for (let i = 0; i < this.ctrls.length; i++) {
      const h = this.ctrls[i];
      if (h.path !== null) return clean(h.mountpoint + "/" + h.path! + "/cgroup.procs");
    }
    const u = this.unified;
    if (u !== null && u.path !== null) return clean(u.mountpoint + "/" + u.path! + "/cgroup.procs");
    return null;
  }
}

/** A JSON array of strings. */
export function strList(a: string[]): string {
  const q: string[] = [];
  for (let i = 0; i < a.length; i++) q.push(quote(a[i]));
  return jsonArray(q);
}

/** v2 controllers assumed when the unified root's cgroup.controllers is not given. */
const V2: string[] = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

/** Decodes mountinfo's octal escapes (`\040` for a space). */
function unoct(s: string): string {
  if (s.indexOf("\\") < 0) return s;
  let o = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x5c && i + 3 < s.length) {
      let v = 0, ok = true;
      for (let k = 1; k <= 3; k++) {
        const d = s.charCodeAt(i + k) - 0x30;
        if (d < 0 || d > 7) ok = false;
        v = v * 8 + d;
      }
      if (ok && v < 256) { o += String.fromCharCode(v); i += 3; continue; }
    }
    o += String.fromCharCode(c);
  }
  return o;
}

/** True when a `..` in `p` climbs above the path's start. */
export function escapes(p: string): bool {
  const s = p.split("/");
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] == "..") { if (--depth < 0) return true; }
    else if (s[i].length > 0 && s[i] != ".") depth++;
  }
  return false;
}

/** `p` relative to `root` ("/" for root itself), or null when `p` is not under `root`. */
export function under(root: string, p: string): string | null {
  if (p == "/..") return null;
  if (root == "/") return p;
  if (p == root) return "/";
  return p.startsWith(root + "/") ? p.substring(root.length) : null;
}

class Mount {
  constructor(public root: string, public mp: string, public opts: string[], public v2: bool) {}
}

/** Picks the mount for `path` among those matching: one whose root holds the path wins. */
function pick(ms: Mount[], name: string, path: string, v2: bool): Hier | null {
  let best: Mount | null = null;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i];
    if (m.v2 != v2 || (!v2 && !m.opts.includes(name))) continue;
    if (best === null || (under(best.root, path) === null && under(m.root, path) !== null)) best = m;
  }
  if (best === null) return null;
  return new Hier(name, best.mp, best.root, under(best.root, path));
}

export function detectLayout(mountinfo: string, cgroup: string, controllers: string | null): Layout {
  const ms: Mount[] = [];
  const lines = mountinfo.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i].split(" ");
    const sep = f.indexOf("-");
    if (sep < 6 || sep + 3 >= f.length) continue;
    const t = f[sep + 1];
    if (t == "cgroup" || t == "cgroup2") ms.push(new Mount(unoct(f[3]), unoct(f[4]), f[sep + 3].split(","), t == "cgroup2"));
  }
  const l = new Layout();
  let v1 = false;
  const cl = cgroup.split("\n");
  for (let i = 0; i < cl.length; i++) {
    const s = cl[i];
    const a = s.indexOf(":");
    const b = a < 0 ? -1 : s.indexOf(":", a + 1);
    if (b < 0) continue;
    // Under a cgroup namespace a cgroup outside its root shows as "/../x": not reachable.
    const raw = s.substring(b + 1);
    const path = escapes(raw) ? "/.." : clean("/" + raw);
    if (b == a + 1) {
      if (s.substring(0, a) == "0" && l.unified === null) l.unified = pick(ms, "unified", path, true);
      continue;
    }
    const names = s.substring(a + 1, b).split(",");
    const h = pick(ms, names[0], path, false);
    if (h === null) continue;
    for (let j = 0; j < names.length; j++) {
      if (l.get(names[j]) !== null) continue;
      if (!names[j].startsWith("name=")) v1 = true;
      l.ctrls.push(new Hier(names[j], h.mountpoint, h.root, h.path));
    }
  }
  const u = l.unified;
  l.mode = u === null ? "v1" : v1 ? "hybrid" : "unified";
  if (u !== null) {
    if (controllers !== null) {
      const w = controllers.trim().split(" ");
      for (let i = 0; i < w.length; i++) if (w[i].length > 0) l.uctrls.push(w[i]);
    } else {
      for (let i = 0; i < V2.length; i++) {
        const n = V2[i];
        if (l.get(n) === null && (n != "io" || l.get("blkio") === null)) l.uctrls.push(n);
      }
    }
  }
  return l;
}

function hierOf(name: string, v: JValue | null): Hier | null {
  if (v === null || !v.isObject()) return null;
  const mp = v.get("mountpoint"), root = v.get("root"), p = v.get("path");
  if (mp === null || !mp.isString()) return null;
  return new Hier(name, mp.str, root !== null && root.isString() ? root.str : "/", p !== null && p.isString() ? p.str : null);
}

/** Reads a layout back from its JSON (the output of cgroup_layout); null when malformed. */
export function readLayout(v: JValue | null): Layout | null {
  if (v === null || !v.isObject()) return null;
  const l = new Layout();
  const m = v.get("mode");
  if (m === null || !m.isString()) return null;
  l.mode = m.str;
  const uv = v.get("unified");
  l.unified = hierOf("unified", uv);
  if (l.unified !== null) {
    const c = uv!.get("controllers");
    if (c !== null && c.isArray()) for (let i = 0; i < c.items.length; i++) if (c.items[i].isString()) l.uctrls.push(c.items[i].str);
  }
  const cs = v.get("controllers");
  if (cs !== null && cs.kind == Kind.Object) {
    for (let i = 0; i < cs.keys.length; i++) {
      const h = hierOf(cs.keys[i], cs.items[i]);
      if (h === null) return null;
      l.ctrls.push(h);
    }
  }
  return l;
}
