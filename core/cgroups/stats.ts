// cgroup_stats: the texts of v1 or v2 cgroup files → a Stats object shaped like `runc events
// --stats` output (runc's fs and fs2 GetStats are the model). cgroup_freezer: freezer files → the
// lifecycle's THAWED / FREEZING / FROZEN. Which layout the files come from is told by which files
// there are (memory.current is v2, memory.usage_in_bytes v1, …).
import { JValue, Obj, jsonArray } from "../json";
import { join } from "../strings";

const MAX: u64 = u64.MAX_VALUE;

/** A cgroup number: decimal, or "max"; 0 when malformed. */
function num(t: string): u64 {
  const s = t.trim();
  if (s == "max") return MAX;
  let v: u64 = 0;
  for (let i = 0; i < s.length; i++) {
    const d = <u64>(s.charCodeAt(i) - 0x30);
    if (d > 9) return 0;
    v = v * 10 + d;
  }
  return v;
}

/** The lines of a text, none for null. */
function lines(t: string | null): string[] {
  if (t === null) return [];
  return t.split("\n");
}

/** An object from space-separated keys and their values. */
function o(keys: string, vals: u64[]): string {
  const k = keys.split(" ");
  const r = new Obj();
  for (let i = 0; i < k.length; i++) r.u64(k[i], vals[i]);
  return r.done();
}

/** "key value" lines, as parallel arrays. */
class KV {
  k: string[] = [];
  v: u64[] = [];
  constructor(t: string | null) {
    const ls = lines(t);
    for (let i = 0; i < ls.length; i++) {
      const sp = ls[i].indexOf(" ");
      if (sp <= 0) continue;
      this.k.push(ls[i].substring(0, sp));
      this.v.push(num(ls[i].substring(sp + 1)));
    }
  }
  get(k: string): u64 {
    const i = this.k.indexOf(k);
    return i < 0 ? 0 : this.v[i];
  }
  json(): string {
    const r = new Obj();
    for (let i = 0; i < this.k.length; i++) r.u64(this.k[i], this.v[i]);
    return r.done();
  }
}

class Files {
  constructor(public f: JValue | null) {}
  text(name: string): string | null {
    const v: JValue | null = this.f === null ? null : this.f!.get(name);
    return v === null || !v.isString() ? null : v.str;
  }
  n(name: string): u64 {
    const t = this.text(name);
    return t === null ? 0 : num(t);
  }
  kv(name: string): KV { return new KV(this.text(name)); }
  /** limit, usage, max, failcnt from v1's <p>limit_in_bytes, usage_in_bytes, max_usage_in_bytes, failcnt. */
  v1entry(p: string): string {
    return o("limit usage max failcnt", [this.n(p + "limit_in_bytes"), this.n(p + "usage_in_bytes"), this.n(p + "max_usage_in_bytes"), this.n(p + "failcnt")]);
  }
}

const ENTRY = "limit usage max failcnt";

function cpu(f: Files): string {
  const s = f.kv("cpu.stat");
  let u: string;
  const v2 = s.k.includes("usage_usec");
  if (v2) {
    u = o("total kernel user", [s.get("usage_usec") * 1000, s.get("system_usec") * 1000, s.get("user_usec") * 1000]);
  } else {
    // cpuacct.stat counts USER_HZ (100) ticks; cpuacct.usage_all has per-cpu user and system ns.
    const st = f.kv("cpuacct.stat");
    const pu: string[] = [], pk: string[] = [], pc: string[] = [];
    const ls = lines(f.text("cpuacct.usage_all"));
    for (let i = 1; i < ls.length; i++) {
      const w = ls[i].trim().split(" ");
      if (w.length == 3) { pu.push(num(w[1]).toString()); pk.push(num(w[2]).toString()); }
    }
    const w = join(lines(f.text("cpuacct.usage_percpu")), " ").split(" ");
    for (let i = 0; i < w.length; i++) if (w[i].length > 0) pc.push(num(w[i]).toString());
    const t = o("total kernel user", [f.n("cpuacct.usage"), st.get("system") * 10000000, st.get("user") * 10000000]);
    u = t.substring(0, t.length - 1) + ",\"percpu\":" + jsonArray(pc) + ",\"percpu_kernel\":" + jsonArray(pk) + ",\"percpu_user\":" + jsonArray(pu) + "}";
  }
  const tt = v2 ? s.get("throttled_usec") * 1000 : s.get("throttled_time");
  return new Obj().raw("usage", u)
    .raw("throttling", o("periods throttledPeriods throttledTime", [s.get("nr_periods"), s.get("nr_throttled"), tt]))
    .done();
}

function memory(f: Files): string {
  const st = f.kv("memory.stat");
  const r = new Obj();
  let ev: KV;
  if (f.text("memory.current") !== null) {
    ev = f.kv("memory.events");
    const use = f.n("memory.current"), lim = f.n("memory.max"), sl = f.n("memory.swap.max");
    r.u64("cache", st.get("file"))
      .raw("usage", o(ENTRY, [lim, use, f.n("memory.peak"), ev.get("max")]))
      // memory+swap, as v1 reports it (runc does the same).
      .raw("swap", o(ENTRY, [sl == MAX || lim == MAX ? MAX : sl + lim, f.n("memory.swap.current") + use, 0, 0]));
  } else {
    ev = f.kv("memory.oom_control");
    r.u64("cache", st.get("cache")).raw("usage", f.v1entry("memory.")).raw("swap", f.v1entry("memory.memsw."))
      .raw("kernel", f.v1entry("memory.kmem.")).raw("kernelTCP", f.v1entry("memory.kmem.tcp."));
  }
  return r.raw("raw", st.json()).raw("events", ev.json()).done();
}

/** One blkio entry. */
function be(dev: string, op: string, v: u64): string {
  const c = dev.indexOf(":");
  return new Obj().u64("major", num(dev.substring(0, c))).u64("minor", num(dev.substring(c + 1))).str("op", op).u64("value", v).done();
}

/** v1 "8:0 Read 4096" lines, or v2 io.stat "8:0 rbytes=… wbytes=… rios=… wios=…" lines. */
function blkio(f: Files): string {
  const bytes: string[] = [], ios: string[] = [];
  const st = f.text("io.stat");
  if (st !== null) {
    const ls = st.split("\n");
    const keys = "rbytes wbytes rios wios".split(" ");
    for (let i = 0; i < ls.length; i++) {
      const w = ls[i].trim().split(" ");
      if (!w[0].includes(":")) continue;
      for (let j = 1; j < w.length; j++) {
        const eq = w[j].indexOf("=");
        const k = eq < 0 ? -1 : keys.indexOf(w[j].substring(0, eq));
        if (k >= 0) (k < 2 ? bytes : ios).push(be(w[0], k % 2 == 0 ? "Read" : "Write", num(w[j].substring(eq + 1))));
      }
    }
  } else {
    // CFQ's files, else BFQ's, else the throttle ones (runc's order).
    const pre = "blkio. blkio.bfq. blkio.throttle.".split(" ");
    for (let t = 0; t < 2; t++) {
      let text: string | null = null;
      for (let i = 0; i < 3 && text === null; i++) text = f.text(pre[i] + (t == 0 ? "io_service_bytes_recursive" : "io_serviced_recursive"));
      const ls = lines(text);
      for (let i = 0; i < ls.length; i++) {
        const w = ls[i].trim().split(" ");
        if (w.length == 3 && w[0].includes(":")) (t == 0 ? bytes : ios).push(be(w[0], w[1], num(w[2])));
      }
    }
  }
  return new Obj().raw("ioServiceBytesRecursive", jsonArray(bytes)).raw("ioServicedRecursive", jsonArray(ios)).done();
}

/** Per page size, from the hugetlb.<size>.* files given. */
function hugetlb(f: Files): string {
  const r = new Obj();
  const fo = f.f;
  if (fo === null) return r.done();
  const seen: string[] = [];
  for (let i = 0; i < fo.keys.length; i++) {
    const key = fo.keys[i];
    const d = key.indexOf(".", 8);
    if (!key.startsWith("hugetlb.") || d < 0 || seen.includes(key.substring(8, d))) continue;
    const size = key.substring(8, d);
    seen.push(size);
    const p = "hugetlb." + size + ".";
    const v2 = f.text(p + "current") !== null;
    r.raw(size, o("usage max failcnt", v2
      ? [f.n(p + "current"), 0, f.kv(p + "events").get("max")]
      : [f.n(p + "usage_in_bytes"), f.n(p + "max_usage_in_bytes"), f.n(p + "failcnt")]));
  }
  return r.done();
}

/** {"id", "files": {name: text}} → {"type": "stats", "id", "data": {cpu, memory, pids, blkio, hugetlb}}. */
export function cgroupStats(q: JValue): string {
  const f = new Files(q.get("files"));
  const id = q.get("id");
  const pm = f.n("pids.max");
  return new Obj().str("type", "stats").str("id", id !== null && id.isString() ? id.str : "")
    .raw("data", new Obj()
      .raw("cpu", cpu(f))
      .raw("memory", memory(f))
      .raw("pids", o("current limit", [f.n("pids.current"), pm == MAX ? 0 : pm]))
      .raw("blkio", blkio(f))
      .raw("hugetlb", hugetlb(f))
      .done())
    .done();
}

/** v1 freezer.state, or v2 cgroup.events ("frozen 0|1") with cgroup.freeze → the freezer state. */
export function freezerState(q: JValue): string | null {
  const f = new Files(q.get("files"));
  const s = f.text("freezer.state");
  if (s !== null) return s.trim();
  if (f.text("cgroup.events") === null) return null;
  if (f.kv("cgroup.events").get("frozen") == 1) return "FROZEN";
  return f.n("cgroup.freeze") == 1 ? "FREEZING" : "THAWED";
}
