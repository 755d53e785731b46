// Device rules: the cgroup v1 semantics (an allow-all or deny-all default plus exceptions, as the
// kernel's devices controller keeps them and runc's emulator models them), written as v1
// devices.allow/devices.deny lines or compiled to a BPF_PROG_TYPE_CGROUP_DEVICE program for v2.

/** Access bits as the kernel's bpf_cgroup_dev_ctx has them. */
export const ACC_MKNOD: i32 = 1, ACC_READ: i32 = 2, ACC_WRITE: i32 = 4, ACC_ALL: i32 = 7;

export class Rule {
  constructor(public type: i32, public major: i64, public minor: i64, public acc: i32, public allow: bool, public ptr: string) {}
  /** `c 1:3 rwm` */
  line(): string {
    return String.fromCharCode(this.type) + " " + num(this.major) + ":" + num(this.minor) + " " + accText(this.acc);
  }
  same(t: i32, ma: i64, mi: i64): bool { return this.type == t && this.major == ma && this.minor == mi; }
}

/** A decimal u63, or -1 when `s` is not one. */
export function parseNum(s: string): i64 {
  if (s.length == 0 || s.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function num(n: i64): string { return n < 0 ? "*" : n.toString(); }

export function accText(a: i32): string {
  return ((a & ACC_READ) ? "r" : "") + ((a & ACC_WRITE) ? "w" : "") + ((a & ACC_MKNOD) ? "m" : "");
}

/** "rwm" → bits; -1 for a character that is not r, w or m. */
export function accBits(s: string): i32 {
  let a = 0;
  for (let i = 0; i < s.length; i++) {
    const k = "mrw".indexOf(s.charAt(i));
    if (k < 0) return -1;
    a |= 1 << k;
  }
  return a == 0 ? ACC_ALL : a;
}

/** The state of a devices cgroup: a default and the exceptions to it (runc's emulator). */
export class Emu {
  allow: bool = false;
  rules: Rule[] = [];

  find(t: i32, ma: i64, mi: i64): i32 {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].same(t, ma, mi)) return i;
    return -1;
  }

  /** Applies one rule; returns an error message, or "" on success. */
  apply(r: Rule): string {
    if (r.type == 0x61) { // 'a' resets, whatever its numbers and access
      this.allow = r.allow;
      this.rules = [];
      return "";
    }
    const i = this.find(r.type, r.major, r.minor);
    if (r.allow != this.allow) { // a new exception, or more access for one
      if (i >= 0) this.rules[i].acc |= r.acc;
      else this.rules.push(new Rule(r.type, r.major, r.minor, r.acc, r.allow, r.ptr));
      return "";
    }
    // Removing access from an exception. The kernel only removes exact matches and silently
    // ignores the rest; a wildcard exception overlapping this rule would keep the access.
    for (let k = 0; k < 3; k++) {
      const ma = k == 1 ? r.major : -1, mi = k == 0 ? r.minor : -1;
      if (ma == r.major && mi == r.minor) continue;
      const j = this.find(r.type, ma, mi);
      if (j >= 0 && (this.rules[j].acc & r.acc) != 0) {
        return "this rule would be ignored: the earlier rule \"" + this.rules[j].line() + "\" still grants it (cgroup v1 only removes exact matches)";
      }
    }
    if (i >= 0) {
      this.rules[i].acc &= ~r.acc;
      if (this.rules[i].acc == 0) this.rules.splice(i, 1);
    }
    return "";
  }

  /**
   * The v1 lines that turn `from` (the current devices.list, or null: start over) into this
   * state; each is [file, line, pointer]. runc's transition: a disruptive "a" rule only when the
   * default changes or the current state is allow-all, then removals, then additions.
   */
  lines(from: Emu | null): string[][] {
    const out: string[][] = [];
    const ex = this.allow ? "devices.deny" : "devices.allow", un = this.allow ? "devices.allow" : "devices.deny";
    let old: Rule[] = [];
    if (from === null || from.allow || from.allow != this.allow) out.push([this.allow ? "devices.allow" : "devices.deny", "a *:* rwm", ""]);
    else old = from.rules;
    for (let i = 0; i < old.length; i++) {
      const o = old[i];
      const j = this.find(o.type, o.major, o.minor);
      const drop = o.acc & ~(j >= 0 ? this.rules[j].acc : 0);
      if (drop != 0) out.push([un, new Rule(o.type, o.major, o.minor, drop, false, "").line(), ""]);
    }
    for (let i = 0; i < this.rules.length; i++) {
      const n = this.rules[i];
      let had = 0;
      for (let j = 0; j < old.length; j++) if (old[j].same(n.type, n.major, n.minor)) had = old[j].acc;
      const gain = n.acc & ~had;
      if (gain != 0) out.push([ex, new Rule(n.type, n.major, n.minor, gain, false, "").line(), n.ptr]);
    }
    return out;
  }
}

/** One "c 1:3 rwm" line as a rule; null when malformed. */
export function parseRule(line: string, allow: bool): Rule | null {
  const f = line.trim().split(" ");
  const c = f.length == 3 ? f[1].indexOf(":") : -1;
  if (c < 0) return null;
  const ma = f[1].substring(0, c), mi = f[1].substring(c + 1);
  return new Rule(f[0].charCodeAt(0), ma == "*" ? -1 : parseNum(ma), mi == "*" ? -1 : parseNum(mi), accBits(f[2]), allow, "");
}

/** Reads a v1 devices.list: "a *:* rwm" means allow-all, other lines are allowed exceptions. */
export function fromList(text: string): Emu {
  const e = new Emu();
  const ls = text.split("\n");
  for (let i = 0; i < ls.length; i++) {
    const r = parseRule(ls[i], true);
    if (r !== null) e.apply(r);
  }
  return e;
}

// ---- eBPF ---------------------------------------------------------------------------------------

class Asm {
  buf: u8[] = [];
  n: i32 = 0;
  /** One instruction: opcode, dst and src registers, offset, immediate. */
  i(code: i32, dst: i32, src: i32, off: i32, imm: i32): void {
    const b = this.buf;
    b.push(<u8>code);
    b.push(<u8>(dst | (src << 4)));
    b.push(<u8>off); b.push(<u8>(off >> 8));
    b.push(<u8>imm); b.push(<u8>(imm >> 8)); b.push(<u8>(imm >> 16)); b.push(<u8>(imm >> 24));
    this.n++;
  }
}

const LDXW: i32 = 0x61, AND32K: i32 = 0x54, RSH32K: i32 = 0x74, MOV32K: i32 = 0xb4, MOV32X: i32 = 0xbc;
const JEQK: i32 = 0x15, JNEK: i32 = 0x55, JNEX: i32 = 0x5d, EXIT: i32 = 0x95;

/**
 * The program for the emulated state (runc's devicefilter): r2 = type, r3 = access, r4 = major,
 * r5 = minor; one block per exception, each jumping to the next on a mismatch and returning the
 * exception's verdict on a match; the default verdict at the end.
 */
export function deviceProgram(e: Emu): Asm {
  const a = new Asm();
  a.i(LDXW, 2, 1, 0, 0);
  a.i(AND32K, 2, 0, 0, 0xffff);
  a.i(LDXW, 3, 1, 0, 0);
  a.i(RSH32K, 3, 0, 0, 16);
  a.i(LDXW, 4, 1, 4, 0);
  a.i(LDXW, 5, 1, 8, 0);
  for (let k = 0; k < e.rules.length; k++) {
    const r = e.rules[k];
    const acc = r.acc != ACC_ALL, ma = r.major >= 0, mi = r.minor >= 0;
    let left = 2 + (acc ? 3 : 0) + (ma ? 1 : 0) + (mi ? 1 : 0); // instructions after the first
    a.i(JNEK, 2, 0, left, r.type == 0x62 ? 1 : 2);
    if (acc) {
      // An allow exception must cover every requested access; a deny exception applies when it
      // covers any (the kernel's partial match: a read-write open of a write-denied device fails).
      a.i(MOV32X, 1, 3, 0, 0);
      a.i(AND32K, 1, 0, 0, r.acc);
      left -= 2;
      if (e.allow) a.i(JEQK, 1, 0, --left, 0);
      else a.i(JNEX, 1, 3, --left, 0);
    }
    if (ma) a.i(JNEK, 4, 0, --left, <i32>r.major);
    if (mi) a.i(JNEK, 5, 0, --left, <i32>r.minor);
    a.i(MOV32K, 0, 0, 0, e.allow ? 0 : 1);
    a.i(EXIT, 0, 0, 0, 0);
  }
  a.i(MOV32K, 0, 0, 0, e.allow ? 1 : 0);
  a.i(EXIT, 0, 0, 0, 0);
  return a;
}

/** The bytes of an assembled program. */
export function programBytes(a: Asm): ArrayBuffer {
  const out = new ArrayBuffer(a.buf.length);
  for (let i = 0; i < a.buf.length; i++) store<u8>(changetype<usize>(out) + <usize>i, a.buf[i]);
  return out;
}
