// capsa-core: the policy module. Pure: no imports, JSON in and out through linear memory.
// The ABI is documented in core/ABI.md.
import { JValue, parse, lastError, Obj, quote, jsonArray, stringify } from "./json";
import { Diagnostics } from "./diag";
import { validateConfig } from "./validate/index";
import { deriveStatus, checkOperation, parseProcStat, STATUSES } from "./lifecycle";
import { ERRNOS, CAPS, SIGNALS, RLIMITS, signalNumber } from "./tables";
import { OPS, CONSTS } from "./ops";
import { featuresJSON } from "./features";
import { assemble as assembleProgram, assembleError } from "./program";
import { buildPlan } from "./plan/index";
import { hookProgram, hookError } from "./plan/hooks";
import { buildSpec } from "./spec";
import { detectLayout } from "./cgroups/layout";
import { cgroupPlan } from "./cgroups/plan";
import { cgroupStats, freezerState } from "./cgroups/stats";
import { seccompCall } from "./seccomp/index";

// `abort` is routed here (asconfig `use`): trap, import nothing.
export function coreAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  unreachable();
}

export const ABI_VERSION: i32 = 1;
export const STATUS_OK: i32 = 0;
export const STATUS_REJECTED: i32 = 1;

let out: ArrayBuffer = new ArrayBuffer(0);
let blob: ArrayBuffer = new ArrayBuffer(0);

export function abi_version(): i32 { return ABI_VERSION; }
export function alloc(len: usize): usize { return heap.alloc(len); }
export function dealloc(ptr: usize): void { heap.free(ptr); }
export function out_ptr(): usize { return changetype<usize>(out); }
export function out_len(): i32 { return out.byteLength; }
export function blob_ptr(): usize { return changetype<usize>(blob); }
export function blob_len(): i32 { return blob.byteLength; }

function finish(json: string, status: i32): i32 {
  out = String.UTF8.encode(json);
  __collect();
  return status;
}

/** Sets the binary side output (programs, BPF); read with blob_ptr/blob_len. */
export function setBlob(b: ArrayBuffer): void { blob = b; }

function syntaxResult(): string {
  const e = lastError!;
  return new Obj()
    .bool("valid", false)
    .raw("diagnostics", jsonArray([new Obj()
      .str("pointer", "")
      .str("code", "json.syntax")
      .str("message", "invalid JSON at byte " + e.offset.toString() + ": " + e.message)
      .str("severity", "error")
      .i64("offset", e.offset)
      .done()]))
    .done();
}

/** validate(config.json text) → {valid, diagnostics}. */
export function validate(ptr: usize, len: i32): i32 {
  const cfg = parse(ptr, len);
  if (cfg === null) return finish(syntaxResult(), STATUS_REJECTED);
  const d = new Diagnostics();
  validateConfig(cfg, d);
  const valid = !d.hasErrors();
  return finish(new Obj().bool("valid", valid).raw("diagnostics", d.toJSON()).done(), valid ? STATUS_OK : STATUS_REJECTED);
}

function badInput(message: string): i32 {
  return finish(new Obj().str("error", message).done(), STATUS_REJECTED);
}

/** status({stat, startTime, fifo, freezer}) → {status, reason}. */
export function status(ptr: usize, len: i32): i32 {
  const obs = parse(ptr, len);
  if (obs === null) return badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  if (!obs.isObject()) return badInput("observations must be an object");
  const d = deriveStatus(obs);
  const o = new Obj().str("status", d.status).str("reason", d.reason);
  const stat = obs.get("stat");
  if (stat !== null && stat.isString()) {
    const ps = parseProcStat(stat.str);
    if (ps !== null) o.str("startTime", ps.startTime).str("procState", ps.state);
  }
  return finish(o.done(), STATUS_OK);
}

/** check({op, status, force}) → {allowed, code, message}. */
export function check(ptr: usize, len: i32): i32 {
  const q = parse(ptr, len);
  if (q === null) return badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  const op = q.get("op");
  const st = q.get("status");
  if (op === null || !op.isString() || st === null || !st.isString()) return badInput("check needs string \"op\" and \"status\"");
  const f = q.get("force");
  const v = checkOperation(op.str, st.str, f !== null && f.isBool() && f.bool);
  const o = new Obj().bool("allowed", v.allowed);
  if (!v.allowed) o.str("code", v.code).str("message", v.message);
  return finish(o.done(), v.allowed ? STATUS_OK : STATUS_REJECTED);
}

/** signal({"name": "TERM"}) → {"signal": 15}, for names with or without SIG, and numbers. */
export function signal(ptr: usize, len: i32): i32 {
  const q = parse(ptr, len);
  if (q === null) return badInput("invalid JSON");
  const n = q.get("name");
  if (n === null || !(n.isString() || n.isNumber())) return badInput("signal needs \"name\"");
  const s = signalNumber(n.str);
  if (s < 0) return finish(new Obj().str("error", "unknown signal \"" + n.str + "\"").done(), STATUS_REJECTED);
  return finish(new Obj().i64("signal", s).done(), STATUS_OK);
}

/** tables() → the shared tables: errno, capabilities, signals, rlimits, statuses, ops, constants. */
export function tables(ptr: usize, len: i32): i32 {
  const errnos: string[] = [];
  for (let i = 0; i < ERRNOS.length; i++) {
    errnos.push(new Obj().i64("n", ERRNOS[i].n).str("name", ERRNOS[i].name).str("text", ERRNOS[i].text).done());
  }
  const caps: string[] = [];
  for (let i = 0; i < CAPS.length; i++) caps.push(quote("CAP_" + CAPS[i]));
  const sigs: string[] = [];
  for (let i = 0; i < SIGNALS.length; i++) sigs.push(quote("SIG" + SIGNALS[i]));
  const rl: string[] = [];
  for (let i = 0; i < RLIMITS.length; i++) rl.push(quote(RLIMITS[i]));
  const st: string[] = [];
  for (let i = 0; i < STATUSES.length; i++) st.push(quote(STATUSES[i]));
  const ops: string[] = [];
  for (let i = 0; i < OPS.length; i++) {
    const o = OPS[i];
    ops.push(new Obj().i64("code", o.code).str("name", o.name).str("ints", o.ints).str("strs", o.strs).str("doc", o.doc).done());
  }
  const consts: string[] = [];
  for (let i = 0; i < CONSTS.length; i++) consts.push(new Obj().str("name", CONSTS[i].name).i64("value", CONSTS[i].value).done());
  return finish(new Obj()
    .i64("abi", ABI_VERSION)
    .raw("errno", jsonArray(errnos))
    .raw("capabilities", jsonArray(caps))
    .raw("signals", jsonArray(sigs))
    .raw("rlimits", jsonArray(rl))
    .raw("statuses", jsonArray(st))
    .raw("ops", jsonArray(ops))
    .raw("constants", jsonArray(consts))
    .done(), STATUS_OK);
}

/** echo(json) → the same value re-serialised by the strict writer (tests the reader/writer). */
export function echo(ptr: usize, len: i32): i32 {
  const v = parse(ptr, len);
  if (v === null) return badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  return finish(stringify(v), STATUS_OK);
}

/**
 * assemble([{op, ints, strs, pointer, what}]) → {ops, text}; the program bytes at blob_ptr/blob_len.
 * For tests and tools that run a hand-written init program.
 */
export function assemble(ptr: usize, len: i32): i32 {
  const v = parse(ptr, len);
  if (v === null) return badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  const prog = assembleProgram(v);
  if (prog === null) return badInput(assembleError);
  blob = prog.encode();
  return finish(new Obj().raw("ops", prog.describeJSON()).str("text", prog.text()).done(), STATUS_OK);
}

/**
 * hook({path, args, env, what, pid, differ}) → {ops, text}; the hook's program in the blob: the
 * setns ops for the namespaces of `pid` named in `differ` (/proc/PID/ns names), then its exec.
 */
export function hook(ptr: usize, len: i32): i32 {
  blob = new ArrayBuffer(0);
  const q = parsedObject(ptr, len);
  if (q === null) return STATUS_REJECTED;
  const prog = hookProgram(q);
  if (prog === null) return badInput(hookError);
  blob = prog.encode();
  return finish(new Obj().raw("ops", prog.describeJSON()).str("text", prog.text()).done(), STATUS_OK);
}

/**
 * plan(facts line, "\n", config.json) → {valid, diagnostics, spawn, userns, rootfs, readonly,
 * process, hooks, ops, text}; the init program's bytes at blob_ptr/blob_len.
 */
export function plan(ptr: usize, len: i32): i32 {
  blob = new ArrayBuffer(0);
  let nl = -1;
  for (let i = 0; i < len; i++) {
    if (load<u8>(ptr + <usize>i) == 0x0a) { nl = i; break; }
  }
  if (nl < 0) return badInput("plan needs the facts (one line), a newline, then config.json");
  const facts = parse(ptr, nl);
  if (facts === null) return badInput("facts: invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  // Parsed on its own so syntax error offsets count from config.json's first byte.
  const cfg = parse(ptr + <usize>nl + 1, len - nl - 1);
  if (cfg === null) return finish(syntaxResult(), STATUS_REJECTED);
  const r = buildPlan(facts, cfg);
  if (r.blob !== null) blob = r.blob!;
  return finish(r.json, r.status);
}

/** spec({rootless, uid, gid, args, terminal}) → the default config.json text. */
export function spec(ptr: usize, len: i32): i32 {
  const q = parse(ptr, len);
  if (q === null) return badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  const r = buildSpec(q);
  return finish(r.json, r.status);
}

function parsedObject(ptr: usize, len: i32): JValue | null {
  const q = parse(ptr, len);
  if (q === null) { badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message); return null; }
  if (!q.isObject()) { badInput("the input must be an object"); return null; }
  return q;
}

/** cgroup_layout({mountinfo, cgroup, controllers?}) → {mode, unified, controllers}. */
export function cgroup_layout(ptr: usize, len: i32): i32 {
  const q = parsedObject(ptr, len);
  if (q === null) return STATUS_REJECTED;
  const mi = q.get("mountinfo"), cg = q.get("cgroup"), ct = q.get("controllers");
  if (mi === null || !mi.isString() || cg === null || !cg.isString()) return badInput("cgroup_layout needs the texts \"mountinfo\" and \"cgroup\"");
  return finish(detectLayout(mi.str, cg.str, ct !== null && ct.isString() ? ct.str : null).json(), STATUS_OK);
}

/**
 * cgroup_plan({layout, id, cgroupsPath, resources, update, …}) → {valid, diagnostics, paths, create,
 * enable, writes, bpf, statFiles}; a v2 device program's bytes at blob_ptr/blob_len.
 */
export function cgroup_plan(ptr: usize, len: i32): i32 {
  blob = new ArrayBuffer(0);
  const q = parsedObject(ptr, len);
  if (q === null) return STATUS_REJECTED;
  const r = cgroupPlan(q);
  if (r.blob !== null) blob = r.blob!;
  return finish(r.json, r.status);
}

/** cgroup_stats({id, files: {name: text}}) → {type: "stats", id, data}. */
export function cgroup_stats(ptr: usize, len: i32): i32 {
  const q = parsedObject(ptr, len);
  if (q === null) return STATUS_REJECTED;
  return finish(cgroupStats(q), STATUS_OK);
}

/** cgroup_freezer({files: {"freezer.state"} or {"cgroup.events", "cgroup.freeze"}}) → {freezer}. */
export function cgroup_freezer(ptr: usize, len: i32): i32 {
  const q = parsedObject(ptr, len);
  if (q === null) return STATUS_REJECTED;
  const s = freezerState(q);
  return finish(new Obj().raw("freezer", s === null ? "null" : quote(s)).done(), STATUS_OK);
}

/**
 * seccomp({"seccomp": linux.seccomp, "arch": "x86_64"|"aarch64"}) → {diagnostics, instructions,
 * flags, text}; the BPF program (struct sock_filter[]) at blob_ptr/blob_len.
 */
export function seccomp(ptr: usize, len: i32): i32 {
  blob = new ArrayBuffer(0);
  const q = parse(ptr, len);
  if (q === null) return badInput("invalid JSON at byte " + lastError!.offset.toString() + ": " + lastError!.message);
  if (!q.isObject()) return badInput("the input must be an object");
  const r = seccompCall(q);
  if (r.blob !== null) blob = r.blob!;
  return finish(r.json, r.status);
}

/** features() → the runtime-spec features document for this build. */
export function features(ptr: usize, len: i32): i32 {
  const q = (l: string[]): string => { const o: string[] = []; for (let i = 0; i < l.length; i++) o.push(quote(l[i])); return jsonArray(o); };
  const seccomp = new Obj()
    .bool("enabled", true)
    .raw("actions", q(["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"]))
    .raw("operators", q(["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"]))
    .raw("archs", q(["SCMP_ARCH_AARCH64", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"]))
    .raw("knownFlags", q(["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))
    .raw("supportedFlags", q(["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))
    .done();
  return finish(featuresJSON(seccomp), STATUS_OK);
}

/** constants() → {"NAME": value, …}: the protocol constants alone (cheaper than tables). */
export function constants(ptr: usize, len: i32): i32 {
  const o = new Obj();
  for (let i = 0; i < CONSTS.length; i++) o.i64(CONSTS[i].name, CONSTS[i].value);
  return finish(o.done(), STATUS_OK);
}
