// The Sys interface over libcapsa's functions, for both runtimes: Deno binds them with
// Deno.dlopen (host/sys_deno.ts), Node loads the capsa.node addon (host/sys_node.ts), and both
// call them with the same arguments: numbers, BigInts, and typed arrays (strings as
// NUL-terminated bytes). Blocking calls have `_async` twins that run on a worker thread.
import type { Sys, SpawnOptions, Spawned, WaitStatus } from "./sys.ts";
import { check, decodeWait, initPath, TERMIOS_SIZE, ENOTTY, decodeSeccompNotif, encodeSeccompResp } from "./sys.ts";

const enc = new TextEncoder();
export function cstr(s: string): Uint8Array {
  const e = enc.encode(s);
  const b = new Uint8Array(e.length + 1);
  b.set(e);
  return b;
}

/**
 * libcapsa's functions in Deno.dlopen's terms. The Node addon's table is generated from this
 * one (scripts/gen-addon.mjs), so it exports the same names with the same arguments. One
 * symbol per line, in this shape: the generator reads the lines.
 */
export const SYMBOLS = {
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
  capsa_cgroup_prime_async: { name: "capsa_cgroup_prime", parameters: ["buffer", "i32", "i32", "i32"], result: "i32", nonblocking: true },
  capsa_poll: { parameters: ["i32", "i32", "i32"], result: "i32" },
  capsa_set_subreaper: { parameters: ["i32"], result: "i32" },
  capsa_exit: { parameters: ["i32"], result: "i32" },
  capsa_flock: { parameters: ["i32", "i32"], result: "i32" },
  capsa_flock_async: { name: "capsa_flock", parameters: ["i32", "i32"], result: "i32", nonblocking: true },
  capsa_pipe: { parameters: ["buffer"], result: "i32" },
  capsa_bpf_device_attach: { parameters: ["buffer", "i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
  capsa_connect_unix: { parameters: ["buffer"], result: "i32" },
  capsa_listen_unix: { parameters: ["buffer", "i32"], result: "i32" },
  capsa_accept: { parameters: ["i32"], result: "i32" },
  capsa_recv_fd: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  capsa_send_fd: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  capsa_seccomp_notif_recv: { parameters: ["i32", "buffer"], result: "i32" },
  capsa_seccomp_notif_send: { parameters: ["i32", "buffer"], result: "i32" },
  capsa_tty_raw: { parameters: ["i32", "buffer"], result: "i32" },
  capsa_tty_set: { parameters: ["i32", "buffer"], result: "i32" },
  capsa_get_winsize: { parameters: ["i32", "buffer"], result: "i32" },
  capsa_set_winsize: { parameters: ["i32", "i32", "i32"], result: "i32" },
  capsa_pump_async: { name: "capsa_pump", parameters: ["i32", "i32", "i32", "i32"], result: "i32", nonblocking: true },
} as const;

/** A function of SYMBOLS: its result, or a promise of it for the nonblocking ones. */
// deno-lint-ignore no-explicit-any
export type NativeFn = (...args: any[]) => any;

export function nativeSys(f: Record<keyof typeof SYMBOLS, NativeFn>): Sys {
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
    async cgroupPrimeAsync(p: string, stopFd: number, periodMs: number, maxMs: number) {
      return check("write", await f.capsa_cgroup_prime_async(cstr(p), stopFd, periodMs, maxMs), p);
    },
    poll(fd: number, events: number, timeoutMs: number) {
      return check("poll", f.capsa_poll(fd, events, timeoutMs), "fd " + fd);
    },
    exit(code: number): never {
      f.capsa_exit(code);
      throw new Error("exit_group returned");
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
    bpfDeviceAttach(program: Uint8Array, license: string, cgroupFd: number) {
      const log = new Uint8Array(16384);
      const r = f.capsa_bpf_device_attach(program, program.length / 8, cstr(license), cgroupFd, log, log.length);
      const text = new TextDecoder().decode(log.subarray(0, Math.max(0, log.indexOf(0)))).trim();
      check("bpf", r, text ? "device program: " + text.split("\n").slice(-3).join(" | ") : "device program");
    },
    connectUnix(p: string) {
      return check("connectUnix", f.capsa_connect_unix(cstr(p)), p);
    },
    listenUnix(p: string, backlog = 16) {
      return check("listenUnix", f.capsa_listen_unix(cstr(p), backlog), p);
    },
    accept(fd: number) {
      return check("accept", f.capsa_accept(fd), "fd " + fd);
    },
    recvFd(sock: number) {
      const name = new Uint8Array(4096);
      const len = new Int32Array(1);
      const fd = check("recvFd", f.capsa_recv_fd(sock, name, name.length, len), "fd " + sock);
      return { fd, name: new TextDecoder().decode(name.subarray(0, len[0])) };
    },
    sendFd(sock: number, data: Uint8Array, fd: number) {
      return check("sendFd", f.capsa_send_fd(sock, data, data.length, fd), "fd " + sock);
    },
    seccompNotifyRecv(fd: number) {
      const out = new Uint8Array(80);
      check("seccompNotifyRecv", f.capsa_seccomp_notif_recv(fd, out), "fd " + fd);
      return decodeSeccompNotif(out);
    },
    seccompNotifyRespond(fd: number, id: bigint, errno: number, val: bigint | number = 0) {
      check("seccompNotifyRespond", f.capsa_seccomp_notif_send(fd, encodeSeccompResp(id, errno, val)), "fd " + fd);
    },
    ttyRaw(fd: number) {
      const saved = new Uint8Array(TERMIOS_SIZE);
      const r = f.capsa_tty_raw(fd, saved);
      if (r === -ENOTTY) return null;
      check("ttyRaw", r, "fd " + fd);
      return saved;
    },
    ttyRestore(fd: number, saved: Uint8Array) {
      check("ttyRestore", f.capsa_tty_set(fd, saved), "fd " + fd);
    },
    getWinsize(fd: number) {
      const size = new Uint16Array(2);
      const r = f.capsa_get_winsize(fd, size);
      if (r === -ENOTTY) return null;
      check("getWinsize", r, "fd " + fd);
      return { rows: size[0], cols: size[1] };
    },
    setWinsize(fd: number, rows: number, cols: number) {
      check("setWinsize", f.capsa_set_winsize(fd, rows, cols), "fd " + fd);
    },
    async pumpAsync(input: number, pty: number, output: number, stop: number) {
      check("pump", await f.capsa_pump_async(input, pty, output, stop), "fd " + pty);
    },
  };
}
