// Benchmarks the seccomp compiler on Docker's default profile (test/fixtures/seccomp/docker-default.json,
// architectures x86_64, x86, x32): the program's length, the instructions it executes for every
// x86_64 syscall number 0..460 (all arguments 0, and the longest path any arguments can take), and
// the median time to compile it in wasm from the config text. Fails (exit 1) when a target is
// missed: average <= 10 and worst <= 16 instructions executed, at most 1,144 instructions (what
// libseccomp emits for podman's default profile), compiled in under 1 ms.
// Runs under Node and Deno: `npm run bench:seccomp` runs both.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bytes = readFileSync(join(root, "dist/capsa-core.wasm"));
const profile = JSON.parse(readFileSync(join(root, "test/fixtures/seccomp/docker-default.json"), "utf8"));
const runtime = globalThis.Deno ? `deno ${globalThis.Deno.version.deno}` : `node ${process.version}`;

const { instance } = await WebAssembly.instantiate(bytes, {});
const x = instance.exports;
const input = new TextEncoder().encode(JSON.stringify({ seccomp: profile, arch: "x86_64" }));

function compileOnce() {
  const p = x.alloc(input.length);
  new Uint8Array(x.memory.buffer, p, input.length).set(input);
  const st = x.seccomp(p, input.length);
  x.dealloc(p);
  return st;
}

if (compileOnce() !== 0) throw new Error("the profile did not compile");
const out = JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.out_ptr(), x.out_len())));
const prog = new Uint8Array(x.memory.buffer, x.blob_ptr(), x.blob_len()).slice();
const dv = new DataView(prog.buffer);
const n = prog.length / 8;
const ins = (pc) => ({ code: dv.getUint16(pc * 8, true), jt: dv.getUint8(pc * 8 + 2), jf: dv.getUint8(pc * 8 + 3), k: dv.getUint32(pc * 8 + 4, true) });

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** Instructions executed for syscall `nr` with all arguments 0. */
function steps(nr) {
  const word = (off) => (off === 0 ? nr : off === 4 ? AUDIT_ARCH_X86_64 : 0);
  let A = 0, pc = 0, count = 0;
  for (;;) {
    const { code, jt, jf, k } = ins(pc);
    count++;
    pc++;
    if (code === 0x20) A = word(k);
    else if (code === 0x54) A = (A & k) >>> 0;
    else if (code === 0x05) pc += k;
    else if (code === 0x15) pc += A === k ? jt : jf;
    else if (code === 0x25) pc += A > k ? jt : jf;
    else if (code === 0x35) pc += A >= k ? jt : jf;
    else if (code === 0x45) pc += (A & k) !== 0 ? jt : jf;
    else if (code === 0x06) return count;
    else throw new Error("opcode " + code);
  }
}
/** The longest path for syscall `nr` over every argument value (both ways at every argument test). */
function longest(nr) {
  const memo = new Map();
  const walk = (pc, A, free) => {
    const key = free ? pc : -1;
    if (free && memo.has(key)) return memo.get(key);
    const { code, jt, jf, k } = ins(pc);
    let r;
    if (code === 0x06) r = 1;
    else if (code === 0x20) r = 1 + (k >= 16 ? walk(pc + 1, 0, true) : walk(pc + 1, k === 0 ? nr : AUDIT_ARCH_X86_64, false));
    else if (code === 0x54) r = 1 + walk(pc + 1, (A & k) >>> 0, free);
    else if (code === 0x05) r = 1 + walk(pc + 1 + k, A, free);
    else if (free) r = 1 + Math.max(walk(pc + 1 + jt, A, true), walk(pc + 1 + jf, A, true));
    else {
      const c = code === 0x15 ? A === k : code === 0x25 ? A > k : code === 0x35 ? A >= k : (A & k) !== 0;
      r = 1 + walk(pc + 1 + (c ? jt : jf), A, false);
    }
    if (free) memo.set(key, r);
    return r;
  };
  return walk(0, 0, false);
}

const MAX_NR = 460;
let sum = 0, worst = 0, worstNr = 0, anyArgs = 0, anyArgsNr = 0;
for (let nr = 0; nr <= MAX_NR; nr++) {
  const s = steps(nr);
  sum += s;
  if (s > worst) { worst = s; worstNr = nr; }
  const l = longest(nr);
  if (l > anyArgs) { anyArgs = l; anyArgsNr = nr; }
}
const avg = sum / (MAX_NR + 1);

for (let i = 0; i < 300; i++) compileOnce(); // warm-up
const samples = [];
for (let r = 0; r < 300; r++) {
  const s = performance.now();
  compileOnce();
  samples.push(performance.now() - s);
}
samples.sort((a, b) => a - b);
const med = samples[samples.length >> 1];

console.log(`${runtime}: Docker's default profile (x86_64 + x86 + x32), ${input.length} bytes of input: ` +
  `${n} instructions (libseccomp: 1,144 for podman's); ` +
  `executed for x86_64 syscalls 0..${MAX_NR} with zero arguments: average ${avg.toFixed(2)}, worst ${worst} (nr ${worstNr}); ` +
  `longest path with any arguments ${anyArgs} (nr ${anyArgsNr}); ` +
  `compile median ${(med * 1000).toFixed(0)} µs (min ${(samples[0] * 1000).toFixed(0)}, max ${(samples[samples.length - 1] * 1000).toFixed(0)}); ` +
  `diagnostics ${out.diagnostics.length}; module ${(bytes.length / 1024).toFixed(1)} KiB`);

const misses = [];
if (avg > 10) misses.push(`average ${avg.toFixed(2)} > 10`);
if (worst > 16) misses.push(`worst ${worst} > 16`);
if (n > 1144) misses.push(`${n} instructions > 1144`);
if (med >= 1) misses.push(`median compile ${med.toFixed(3)} ms >= 1 ms`);
if (n !== out.instructions) misses.push("instruction count disagrees with the program");
if (misses.length > 0) {
  console.error("missed: " + misses.join("; "));
  if (globalThis.Deno) Deno.exit(1);
  else process.exit(1);
}
