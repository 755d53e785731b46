// Classic BPF for seccomp: an emitter that writes the program backwards (every jump goes forward,
// so its targets exist when it is written and every offset is known), long-jump trampolines,
// shared return instructions, and a disassembler.
//
// An instruction is one u64 laid out like struct sock_filter on a little-endian machine:
// code (u16) | jt (u8) << 16 | jf (u8) << 24 | k (u32) << 32.

export const LD_W_ABS: u32 = 0x20;
export const ALU_AND_K: u32 = 0x54;
export const JMP_JA: u32 = 0x05;
export const JMP_JEQ_K: u32 = 0x15;
export const JMP_JGT_K: u32 = 0x25;
export const JMP_JGE_K: u32 = 0x35;
export const RET_K: u32 = 0x06;

export const MAX_INSNS: i32 = 4096; // BPF_MAXINSNS
const MAX_JUMP: i32 = 255;

// struct seccomp_data
export const OFF_NR: i32 = 0;
export const OFF_ARCH: i32 = 4;
export function argLo(i: i32): i32 { return 16 + 8 * i; }
export function argHi(i: i32): i32 { return 20 + 8 * i; }

// The SCMP_ACT_ actions (the validator's list) and their SECCOMP_RET_ values; ERRNO and TRACE
// carry 16 bits of data.
export const ACTIONS = "KILL KILL_PROCESS KILL_THREAD TRAP ERRNO TRACE ALLOW LOG NOTIFY";
export const ACTION_NAMES = ACTIONS.split(" ");
export const ACTION_RETS: StaticArray<u32> = [0, 0x80000000, 0, 0x30000, 0x50000, 0x7ff00000, 0x7fff0000, 0x7ffc0000, 0x7fc00000];
export const RET_KILL_THREAD: u32 = 0;

/**
 * Where a jump can go: an instruction's position counted from the program's end (the emitter's
 * index), and for a code block that starts by loading a word, the position just after that load
 * (usable when the accumulator already holds that word). `ret` is the action of a return.
 */
export class Target {
  constructor(public pos: i32, public ret: i64 = -1, public word: i32 = -1, public loaded: i32 = -1) {}
}

export class Emitter {
  /** The program, last instruction first. */
  rev: u64[] = [];
  /** The nearest `ret` of each action: actions and positions. */
  retK: u32[] = [];
  retAt: i32[] = [];

  get n(): i32 { return this.rev.length; }

  emit(code: u32, jt: i32, jf: i32, k: u32): i32 {
    this.rev.push(<u64>code | (<u64>(jt & 0xff) << 16) | (<u64>(jf & 0xff) << 24) | (<u64>k << 32));
    return this.rev.length - 1;
  }

  /** A return of `action`: the nearest existing one, written anew when out of reach. */
  ret(action: u32): Target {
    const at = this.nearest(action);
    if (at >= 0 && this.n - at - 1 <= MAX_JUMP - 2) return new Target(at, <i64>action);
    return this.retHere(action);
  }

  private nearest(action: u32): i32 {
    const i = this.retK.indexOf(action);
    return i < 0 ? -1 : unchecked(this.retAt[i]);
  }

  private retHere(action: u32): Target {
    const at = this.emit(RET_K, 0, 0, action);
    const i = this.retK.indexOf(action);
    if (i < 0) { this.retK.push(action); this.retAt.push(at); } else this.retAt[i] = at;
    return new Target(at, <i64>action);
  }

  /**
   * The position a jump written after up to `slack` more instructions can use for `t`: its
   * loaded entry when the accumulator holds its word, a nearer return, or a trampoline.
   */
  reach(t: Target, acc: i32, slack: i32): i32 {
    let pos = acc >= 0 && t.word == acc && t.loaded >= 0 ? t.loaded : t.pos;
    if (t.ret >= 0) pos = max(pos, this.nearest(<u32>t.ret));
    if (this.n + slack - pos - 1 <= MAX_JUMP) return pos;
    if (t.ret >= 0) return this.retHere(<u32>t.ret).pos;
    return this.emit(JMP_JA, 0, 0, <u32>(this.n - pos - 1));
  }

  /** A conditional jump; `acc` is the seccomp_data offset whose word the accumulator holds, or -1. */
  jump(code: u32, k: u32, t: Target, f: Target, acc: i32): i32 {
    const tp = this.reach(t, acc, 2);
    const fp = this.reach(f, acc, 1);
    const here = this.n;
    return this.emit(code, here - tp - 1, here - fp - 1, k);
  }

  /** Makes `t` the next instruction (in program order) of what is written next. */
  fallTo(t: Target): void {
    if (t.pos == this.n - 1) return;
    if (t.ret >= 0) {
      if (this.nearest(<u32>t.ret) != this.n - 1) this.retHere(<u32>t.ret);
      return;
    }
    this.emit(JMP_JA, 0, 0, <u32>(this.n - t.pos - 1));
  }

  /** The program as struct sock_filter bytes. */
  bytes(): ArrayBuffer {
    const n = this.rev.length;
    const buf = new ArrayBuffer(n * 8);
    const base = changetype<usize>(buf);
    for (let i = 0; i < n; i++) store<u64>(base + <usize>(i * 8), this.rev[n - 1 - i]);
    return buf;
  }

  /**
   * One instruction a line, in program order; jump targets are line numbers (`L12`). With `json`,
   * as a JSON string literal (the lines need no escaping but their newlines).
   */
  text(json: bool = false): string {
    const n = this.rev.length;
    const t = new Text();
    if (json) t.add("\"");
    for (let i = 0; i < n; i++) {
      const x = this.rev[n - 1 - i];
      const code = <u32>(x & 0xffff);
      const k = <u32>(x >> 32);
      if (code == LD_W_ABS) t.add("ld [").num(k, 10).add("]");
      else if (code == ALU_AND_K) t.add("and #0x").num(k, 16);
      else if (code == RET_K) t.add("ret ").add(actionName(k));
      else if (code == JMP_JA) t.add("ja L").num(i + 1 + k, 10);
      else {
        t.add(code == JMP_JEQ_K ? "jeq #0x" : code == JMP_JGT_K ? "jgt #0x" : "jge #0x").num(k, 16);
        t.add(", L").num(i + 1 + <u32>((x >> 16) & 0xff), 10).add(", L").num(i + 1 + <u32>((x >> 24) & 0xff), 10);
      }
      t.add(json ? "\\n" : "\n");
    }
    if (json) t.add("\"");
    return t.done();
  }
}

/** Appends UTF-16 code units to one buffer: no string per piece. */
class Text {
  buf: StaticArray<u16> = new StaticArray<u16>(4096);
  n: i32 = 0;
  private room(k: i32): void {
    if (this.n + k <= this.buf.length) return;
    const b = new StaticArray<u16>(max(this.buf.length * 2, this.n + k));
    memory.copy(changetype<usize>(b), changetype<usize>(this.buf), <usize>this.n << 1);
    this.buf = b;
  }
  add(s: string): Text {
    const k = s.length;
    this.room(k);
    memory.copy(changetype<usize>(this.buf) + (<usize>this.n << 1), changetype<usize>(s), <usize>k << 1);
    this.n += k;
    return this;
  }
  num(v: u32, radix: u32): Text {
    this.room(10);
    let d = 1;
    for (let x = v; x >= radix; x /= radix) d++;
    for (let i = d - 1, x = v; i >= 0; i--, x /= radix) {
      const c = x % radix;
      unchecked(this.buf[this.n + i] = <u16>(c < 10 ? 0x30 + c : 0x57 + c));
    }
    this.n += d;
    return this;
  }
  done(): string { return String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>this.n << 1); }
}

/** `KILL_THREAD`, `ERRNO(1)`, … */
export function actionName(k: u32): string {
  for (let i = 1; i < 9; i++) {
    const v = ACTION_RETS[i];
    if (i == 4 || i == 5 ? (k & 0xffff0000) == v : k == v) {
      return i == 4 || i == 5 ? ACTION_NAMES[i] + "(" + (k & 0xffff).toString() + ")" : ACTION_NAMES[i];
    }
  }
  return "0x" + k.toString(16);
}
