// The Deno backend of Sys: libcapsa.so through Deno.dlopen. Blocking calls have `nonblocking`
// twins that Deno runs on its blocking thread pool. No `node:` imports on this path.
import type { Sys, SpawnOptions, Spawned, WaitStatus } from "./sys.ts";
import { check, decodeWait, initPath } from "./sys.ts";

// deno-lint-ignore no-explicit-any
declare const Deno: any;

const enc = new TextEncoder();
function cstr(s: string): Uint8Array {
  const e = enc.encode(s);
  const b = new Uint8Array(e.length + 1);
  b.set(e);
  return b;
}

const SYMBOLS = {
  capsa_socketpair: { parameters: ["buffer"], result: "i32" },
  capsa_init_fd: { parameters: ["buffer"], result: "i32" },
  capsa_spawn: { parameters: ["i32", "u64", "i32", "i32", "i32", "i32", "buffer", "i32", "buffer"], result: "i32" },
  capsa_wait: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  capsa_wait_async: { name: "capsa_wait", parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: true },
  capsa_read: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  capsa_read_async: { name: "capsa_read", parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: true },
  capsa_write: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  capsa_close: { parameters: ["i32"], result: "i32" },
  capsa_kill: { parameters: ["i32", "i32"], result: "i32" },
  capsa_pidfd_send_signal: { parameters: ["i32", "i32"], result: "i32" },
  capsa_pidfd_open: { parameters: ["i32"], result: "i32" },
  capsa_open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  capsa_mkfifo: { parameters: ["buffer", "i32"], result: "i32" },
  capsa_poll: { parameters: ["i32", "i32", "i32"], result: "i32" },
  capsa_set_subreaper: { parameters: ["i32"], result: "i32" },
  capsa_flock: { parameters: ["i32", "i32"], result: "i32" },
  capsa_flock_async: { name: "capsa_flock", parameters: ["i32", "i32"], result: "i32", nonblocking: true },
  capsa_pipe: { parameters: ["buffer"], result: "i32" },
} as const;

export function denoSys(path: string): Sys {
  const f = Deno.dlopen(path, SYMBOLS).symbols;

  const waited = (pid: number, r: number, st: Int32Array): WaitStatus | null => {
    check("wait", r, "pid " + pid);
    return r === 0 ? null : decodeWait(r, st[0]);
  };

  return {
    socketpair() {
      const fds = new Int32Array(2);
      check("socketpair", f.capsa_socketpair(fds));
      return [fds[0], fds[1]];
    },
    initFd(p?: string) {
      const file = p ?? initPath();
      return check("initFd", f.capsa_init_fd(cstr(file)), file);
    },
    spawn(o: SpawnOptions): Spawned {
      const pre = Int32Array.from(o.preserve ?? []);
      const pidfd = new Int32Array([-1]);
      const pid = check(
        "spawn",
        f.capsa_spawn(o.initFd, BigInt(o.cloneFlags ?? 0), o.syncFd, o.stdin ?? -1, o.stdout ?? -1, o.stderr ?? -1,
          pre.length ? pre : null, pre.length, pidfd),
      );
      return { pid, pidfd: pidfd[0] };
    },
    wait(pid: number, options = 0) {
      const st = new Int32Array(1);
      return waited(pid, f.capsa_wait(pid, st, options), st);
    },
    async waitAsync(pid: number, options = 0) {
      const st = new Int32Array(1);
      return waited(pid, await f.capsa_wait_async(pid, st, options), st);
    },
    read(fd: number, buf: Uint8Array) {
      return check("read", f.capsa_read(fd, buf, buf.length), "fd " + fd);
    },
    async readAsync(fd: number, buf: Uint8Array) {
      return check("read", await f.capsa_read_async(fd, buf, buf.length), "fd " + fd);
    },
    write(fd: number, buf: Uint8Array) {
      return check("write", f.capsa_write(fd, buf, buf.length), "fd " + fd);
    },
    close(fd: number) {
      check("close", f.capsa_close(fd), "fd " + fd);
    },
    kill(pid: number, sig: number) {
      check("kill", f.capsa_kill(pid, sig), "pid " + pid);
    },
    pidfdSendSignal(pidfd: number, sig: number) {
      check("pidfdSendSignal", f.capsa_pidfd_send_signal(pidfd, sig));
    },
    pidfdOpen(pid: number) {
      return check("pidfdOpen", f.capsa_pidfd_open(pid), "pid " + pid);
    },
    open(p: string, flags: number, mode = 0o644) {
      return check("open", f.capsa_open(cstr(p), flags, mode), p);
    },
    mkfifo(p: string, mode = 0o622) {
      check("mkfifo", f.capsa_mkfifo(cstr(p), mode), p);
    },
    poll(fd: number, events: number, timeoutMs: number) {
      return check("poll", f.capsa_poll(fd, events, timeoutMs), "fd " + fd);
    },
    setSubreaper(on: boolean) {
      check("setSubreaper", f.capsa_set_subreaper(on ? 1 : 0));
    },
    flock(fd: number, op: number) {
      check("flock", f.capsa_flock(fd, op), "fd " + fd);
    },
    async flockAsync(fd: number, op: number) {
      check("flock", await f.capsa_flock_async(fd, op), "fd " + fd);
    },
    pipe() {
      const fds = new Int32Array(2);
      check("pipe", f.capsa_pipe(fds));
      return [fds[0], fds[1]];
    },
  };
}
