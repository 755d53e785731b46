// Syscall name → number, per ABI, decoded once from the compact tables in syscalls.ts (their
// format is described in scripts/gen-syscalls.mjs): the sorted names end to end, and a number per
// name and ABI. Names are found by binary search.
import { NAME_COUNT, NUMBERS_END, COMMON_FROM, X32_OWN_FROM, NAME_PAIRS, NAME_BYTES, NAME_BYTES_LEN, NUMBERS, NUMBERS_LEN } from "./syscalls";

export const enum Abi { X86_64 = 0, I386 = 1, X32 = 2, AARCH64 = 3 }
export const X32_BIT: u32 = 0x40000000;

let names: StaticArray<u8> | null = null; // the names end to end
let starts = new StaticArray<i32>(NAME_COUNT + 1);
let numbers = new StaticArray<i32>(NAME_COUNT * 4); // -1: the ABI has no such syscall
let flatLen: i32 = 0;

function expand(out: StaticArray<u8>, b: i32): void {
  if (b < 128) {
    if (flatLen < out.length) unchecked(out[flatLen++] = <u8>b);
    return;
  }
  const p = NAME_PAIRS + <usize>((b - 128) << 1);
  expand(out, <i32>load<u8>(p));
  expand(out, <i32>load<u8>(p + 1));
}

function decode(): StaticArray<u8> {
  const flat = new StaticArray<u8>(NAME_BYTES_LEN * 8);
  flatLen = 0;
  for (let i = 0; i < NAME_BYTES_LEN; i++) expand(flat, <i32>load<u8>(NAME_BYTES + <usize>i));
  // Front coding: a byte < 32 starts a name sharing that many bytes with the previous one.
  const out = new StaticArray<u8>(NAME_BYTES_LEN * 12);
  let len = 0;
  let prev = 0;
  let n = 0;
  for (let i = 0; i < flatLen && len < out.length; i++) {
    const b = unchecked(flat[i]);
    if (b < 32) {
      if (n >= NAME_COUNT) break;
      const start = len;
      unchecked(starts[n++] = start);
      for (let j = 0; j < <i32>b && len < out.length; j++) unchecked(out[len++] = out[prev + j]);
      prev = start;
    } else {
      unchecked(out[len++] = b);
    }
  }
  while (n <= NAME_COUNT) unchecked(starts[n++] = len);

  const nums = numbers;
  for (let i = 0; i < nums.length; i++) unchecked(nums[i] = -1);
  // The 9-bit stream: sections x86_64, i386, aarch64 (from 0), shared (from 424), x32's own
  // (from 512), x32's missing names.
  let bit = 0;
  let section = 0;
  let nr = 0;
  const total = NUMBERS_LEN * 8;
  while (bit + 9 <= total && section < 6) {
    const at = NUMBERS + <usize>(bit >> 3);
    const v = <i32>((<u32>load<u8>(at) | (<u32>load<u8>(at + 1) << 8)) >> <u32>(bit & 7)) & 0x1ff;
    bit += 9;
    if (v == NUMBERS_END) {
      section++;
      nr = section == 3 ? COMMON_FROM : section == 4 ? X32_OWN_FROM : 0;
      // x32 starts as x86_64 with its bit; the last two sections correct that.
      if (section == 3) for (let k = 0; k < NAME_COUNT; k++) if (nums[k] >= 0) nums[Abi.X32 * NAME_COUNT + k] = nums[k] | <i32>X32_BIT;
      continue;
    }
    if (v >= NAME_COUNT) { nr += v - NAME_COUNT + 1; continue; }
    if (section == 0) nums[v] = nr;
    else if (section == 1) nums[Abi.I386 * NAME_COUNT + v] = nr;
    else if (section == 2) nums[Abi.AARCH64 * NAME_COUNT + v] = nr;
    else if (section == 3) for (let a = 0; a < 4; a++) nums[a * NAME_COUNT + v] = a == Abi.X32 ? nr | <i32>X32_BIT : nr;
    else if (section == 4) nums[Abi.X32 * NAME_COUNT + v] = nr | <i32>X32_BIT;
    else if (nums[Abi.X32 * NAME_COUNT + v] == (nums[v] | <i32>X32_BIT)) nums[Abi.X32 * NAME_COUNT + v] = -1;
    nr++;
  }
  return out;
}

/** The index of a syscall name, or -1. */
export function syscallIndex(name: string): i32 {
  let s = names;
  if (s === null) { s = decode(); names = s; }
  let lo = 0, hi = NAME_COUNT - 1;
  const len = name.length;
  const p = changetype<usize>(name);
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const a = unchecked(starts[mid]), b = unchecked(starts[mid + 1]);
    let c = 0;
    for (let i = 0; c == 0; i++) {
      const x = i < len ? <i32>load<u16>(p + (<usize>i << 1)) : -1;
      const y = a + i < b ? <i32>unchecked(s[a + i]) : -1;
      if (x < 0 && y < 0) break;
      c = x - y;
    }
    if (c == 0) return mid;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return -1;
}

/** The number of syscall `index` on `abi` (x32's carry its bit), or -1 when it has none. */
export function syscallNumber(index: i32, abi: Abi): i32 {
  return index < 0 || index >= NAME_COUNT ? -1 : unchecked(numbers[<i32>abi * NAME_COUNT + index]);
}

/** The highest syscall number of `abi`, without x32's bit. */
export function maxNumber(abi: Abi): i32 {
  if (names === null) names = decode();
  let max = 0;
  for (let i = 0; i < NAME_COUNT; i++) {
    const n = unchecked(numbers[<i32>abi * NAME_COUNT + i]) & ~<i32>X32_BIT;
    if (n > max) max = n;
  }
  return max;
}
