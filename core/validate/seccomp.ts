// linux.seccomp: actions, architectures, flags, syscall rules and the notify listener.
import { JValue, Kind } from "../json";
import { ptr, ptrI } from "../diag";
import { Ctx } from "./index";
import { Fields, err, shape, get, objAt, absField, enumField, enumItems } from "./util";

const ACTIONS = "KILL KILL_PROCESS KILL_THREAD TRAP ERRNO TRACE ALLOW LOG NOTIFY";

/** Reports an errno return value (field i) for an action that returns no errno (only ERRNO and TRACE do). */
function errnoAction(c: Ctx, f: Fields, i: i32, act: JValue | null): void {
  if (!f.has(i) || act === null || act.str == "SCMP_ACT_ERRNO" || act.str == "SCMP_ACT_TRACE") return;
  err(c, f.p(i), "action", "only ERRNO and TRACE return an errno, not " + act.str);
}

export function seccomp(c: Ctx): void {
  const s = get(c.linux, "seccomp", Kind.Object);
  if (s === null) return;
  const f = shape(c, s, ptr("/linux", "seccomp"), "defaultAction:s! defaultErrnoRet:u32 architectures:a flags:a listenerPath:s listenerMetadata:s syscalls:a");
  const def = enumField(c, f, 0, "SCMP_ACT_", ACTIONS);
  if (def !== null && def.str == "SCMP_ACT_NOTIFY") err(c, f.p(0), "notify", "SCMP_ACT_NOTIFY cannot be the default action");
  errnoAction(c, f, 1, def);
  enumItems(c, f, 2, "SCMP_ARCH_", "X86 X86_64 X32 ARM AARCH64 LOONGARCH64 M68K MIPS MIPS64 MIPS64N32 MIPSEL MIPSEL64 MIPSEL64N32 PPC PPC64 PPC64LE S390 S390X SH SHEB PARISC PARISC64 RISCV64");
  enumItems(c, f, 3, "SECCOMP_FILTER_FLAG_", "TSYNC LOG SPEC_ALLOW WAIT_KILLABLE_RECV");
  absField(c, f, 4);
  if (f.has(5) && !f.has(4)) err(c, f.p(5), "noListener", "needs listenerPath");
  let notify = false;
  const calls = f.v[6];
  if (calls !== null) {
    const cb = f.p(6);
    for (let i = 0; i < calls.items.length; i++) {
      const e = objAt(c, calls, i, cb);
      if (e === null) continue;
      const sf = shape(c, e, ptrI(cb, i), "names:S! action:s! errnoRet:u32 args:a");
      const names = sf.v[0];
      if (names !== null) {
        if (names.items.length == 0) err(c, sf.p(0), "empty", "must not be empty");
        for (let j = 0; j < names.items.length; j++) {
          const n = names.items[j];
          if (n.kind == Kind.String && n.str.length == 0) err(c, ptrI(sf.p(0), j), "empty", "must not be empty");
        }
      }
      const act = enumField(c, sf, 1, "SCMP_ACT_", ACTIONS);
      if (act !== null && act.str == "SCMP_ACT_NOTIFY") notify = true;
      errnoAction(c, sf, 2, act);
      const args = sf.v[3];
      if (args === null) continue;
      const ab = sf.p(3);
      for (let j = 0; j < args.items.length; j++) {
        const g = objAt(c, args, j, ab);
        if (g !== null) enumField(c, shape(c, g, ptrI(ab, j), "op:s! index:0..5! value:u64! valueTwo:u64"), 0, "SCMP_CMP_", "NE LT LE EQ GE GT MASKED_EQ");
      }
    }
  }
  if (notify && !f.has(4)) err(c, f.p(4), "required", "SCMP_ACT_NOTIFY needs listenerPath");
}
