// Sys: the one interface through which the host touches native code (libcapsa). One
// implementation (sys_native.ts) over two loaders, Deno.dlopen of libcapsa.so under Deno and
// the capsa.node addon under Node, plus a recording fake for unit tests (sys_fake.ts). Every call either returns its typed result or throws a
// SysError carrying the call's name and the errno.
import { isDeno, distFile } from "./rt.ts";
import { loadCore } from "./core.ts";

/** Flags for `open` (the same numbers on x86_64 and aarch64). Descriptors are always O_CLOEXEC. */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;

/** `wait` options. */
export const WNOHANG = 1;
export const WALL = 0x40000000;

/** `poll` events. */
export const POLLIN = 1;
export const POLLOUT = 4;
export const POLLERR = 8;
export const POLLHUP = 0x10;

/** Namespace flags accepted by `spawn`. */
export const CLONE_NEWTIME = 0x80;
export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWCGROUP = 0x2000000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

export interface SpawnOptions {
  /** The sealed memfd holding capsa-init (from `initFd`). */
  initFd: number;
  /** CLONE_NEW* flags for the new process. */
  cloneFlags?: number | bigint;
  /** The child's end of the sync socketpair; it becomes fd 3 + preserve.length. */
  syncFd: number;
  /** Descriptors for 0, 1, 2; -1 (the default) means /dev/null. */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** Descriptors passed on as 3, 4, … in this order. */
  preserve?: number[];
}

export interface Spawned {
  pid: number;
  /** A pidfd for the child (close-on-exec), for signalling without pid-reuse races. */
  pidfd: number;
}

export interface WaitStatus {
  pid: number;
  /** The raw wait status. */
  status: number;
  /** The exit code when the process exited, else null. */
  code: number | null;
  /** The signal that killed the process, else null. */
  signal: number | null;
}

export interface Sys {
  /** A SOCK_SEQPACKET|SOCK_CLOEXEC socketpair. */
  socketpair(): [number, number];
  /** A sealed memfd holding a copy of capsa-init (default: dist/capsa-init). */
  initFd(path?: string): number;
  /** Clones a process into new namespaces that execs capsa-init on the sync socket. */
  spawn(opts: SpawnOptions): Spawned;
  /** waitpid; null when WNOHANG finds nothing to reap. */
  wait(pid: number, options?: number): WaitStatus | null;
  /** waitpid on a worker thread, so the event loop goes on. */
  waitAsync(pid: number, options?: number): Promise<WaitStatus | null>;
  /** read(2) (recv for sockets); 0 at end of file. */
  read(fd: number, buf: Uint8Array): number;
  /** read(2) on a worker thread. */
  readAsync(fd: number, buf: Uint8Array): Promise<number>;
  /** write(2) (send with MSG_NOSIGNAL for sockets); returns the bytes written. */
  write(fd: number, buf: Uint8Array): number;
  close(fd: number): void;
  kill(pid: number, sig: number): void;
  pidfdSendSignal(pidfd: number, sig: number): void;
  pidfdOpen(pid: number): number;
  /** open(2), always close-on-exec. */
  open(path: string, flags: number, mode?: number): number;
  mkfifo(path: string, mode?: number): void;
  /** On a worker thread: writes "0" to the cgroup.procs file `procs` now and every periodMs
   * until stopFd is readable or hung up, or maxMs have passed (see capsa_cgroup_prime); returns
   * the writes made. */
  cgroupPrimeAsync(procs: string, stopFd: number, periodMs: number, maxMs: number): Promise<number>;
  /** Waits up to timeoutMs (-1: forever) for events on fd; returns revents, 0 on timeout. */
  poll(fd: number, events: number, timeoutMs: number): number;
  /** exit_group(2) now, without the JavaScript engine's teardown (output must be written). */
  exit(code: number): never;
  /** prctl(PR_SET_CHILD_SUBREAPER). */
  setSubreaper(on: boolean): void;
  /** flock(2): LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN. Blocks unless LOCK_NB. */
  flock(fd: number, op: number): void;
  /** flock(2) on a worker thread. */
  flockAsync(fd: number, op: number): Promise<void>;
  /** A close-on-exec pipe: [read end, write end]. */
  pipe(): [number, number];
  /**
   * Loads a cgroup v2 device program (8-byte instructions) and attaches it to the cgroup
   * directory open as `cgroupFd` (BPF_F_ALLOW_MULTI). Throws with the verifier's log.
   */
  bpfDeviceAttach(program: Uint8Array, license: string, cgroupFd: number): void;
  /** A close-on-exec SOCK_STREAM socket connected to the unix socket at path (a console socket). */
  connectUnix(path: string): number;
  /** A close-on-exec SOCK_STREAM socket bound to path and listening. */
  listenUnix(path: string, backlog?: number): number;
  /** accept4(2), close-on-exec; blocks. */
  accept(fd: number): number;
  /** Receives one descriptor sent as runc's utils.SendFile does (data: its name; control: one
   * SCM_RIGHTS fd), close-on-exec. Blocks. EPIPE at end of file, ENOMSG without exactly one fd. */
  recvFd(sock: number): { fd: number; name: string };
  /** Sends data with one SCM_RIGHTS descriptor in one sendmsg; returns the bytes sent (a stream
   * may take fewer: write the rest). */
  sendFd(sock: number, data: Uint8Array, fd: number): number;
  /** SECCOMP_IOCTL_NOTIF_RECV on a seccomp listener: the next notification. Blocks. */
  seccompNotifyRecv(fd: number): SeccompNotif;
  /** SECCOMP_IOCTL_NOTIF_SEND: the notified syscall fails with `errno` (> 0), or returns `val`
   * when errno is 0. */
  seccompNotifyRespond(fd: number, id: bigint, errno: number, val?: bigint | number): void;
  /** Puts the terminal at fd in raw mode; returns its previous settings, or null when fd is no terminal. */
  ttyRaw(fd: number): Uint8Array | null;
  /** Restores settings from ttyRaw. */
  ttyRestore(fd: number, saved: Uint8Array): void;
  /** TIOCGWINSZ; null when fd is no terminal. */
  getWinsize(fd: number): { rows: number; cols: number } | null;
  /** TIOCSWINSZ. */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** On a worker thread: copies input → pty and pty → output until the pty has no peer left or
   * `stop` becomes readable (then what the pty still holds is copied first). -1: no input. */
  pumpAsync(input: number, pty: number, output: number, stop: number): Promise<void>;
}

/** A seccomp user notification (struct seccomp_notif). */
export interface SeccompNotif {
  id: bigint;
  pid: number;
  /** The syscall number (for `arch`). */
  nr: number;
  arch: number;
  args: bigint[];
}

/** Decodes the kernel's 80-byte struct seccomp_notif. */
export function decodeSeccompNotif(b: Uint8Array): SeccompNotif {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(v.getBigUint64(32 + 8 * i, true));
  return { id: v.getBigUint64(0, true), pid: v.getUint32(8, true), nr: v.getInt32(16, true), arch: v.getUint32(20, true), args };
}

/** Encodes a struct seccomp_notif_resp (24 bytes). */
export function encodeSeccompResp(id: bigint, errno: number, val: bigint | number = 0): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, id, true);
  v.setBigInt64(8, BigInt(val), true);
  v.setInt32(16, errno ? -Math.abs(errno) : 0, true);
  return b;
}

/** Bytes of the saved terminal settings (the kernel's struct termios). */
export const TERMIOS_SIZE = 36;
export const ENOTTY = 25;

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
export const O_DIRECTORY = 0o200000;

let errnoNames: Map<number, { name: string; text: string }> | null = null;

/** The errno's symbolic name and text from the core's tables ("ENOENT", "No such file or directory"). */
export function errnoInfo(errno: number): { name: string; text: string } {
  if (!errnoNames) {
    errnoNames = new Map();
    try {
      const rows = loadCore().json<{ errno: { n: number; name: string; text: string }[] }>("tables", "{}").value.errno;
      for (const r of rows) errnoNames.set(r.n, { name: r.name, text: r.text });
    } catch {
      // No core: numbers only.
    }
  }
  return errnoNames.get(errno) ?? { name: "errno " + errno, text: "" };
}

export class SysError extends Error {
  readonly code: string;
  constructor(readonly call: string, readonly errno: number, readonly detail?: string) {
    const e = errnoInfo(errno);
    super(`${call}${detail ? " " + detail : ""}: ${e.name}${e.text ? " (" + e.text + ")" : ""}`);
    this.name = "SysError";
    this.code = e.name;
  }
}

/** Throws a SysError when a native call returned -errno; returns the value otherwise. */
export function check(call: string, r: number, detail?: string): number {
  if (r < 0) throw new SysError(call, -r, detail);
  return r;
}

/** Decodes a raw wait status. */
export function decodeWait(pid: number, status: number): WaitStatus {
  const sig = status & 0x7f;
  return {
    pid,
    status,
    code: sig === 0 ? (status >> 8) & 0xff : null,
    signal: sig !== 0 && sig !== 0x7f ? sig : null,
  };
}

/** A native file of dist/ (see distFile). */
export function nativePath(name: string): string {
  return distFile(name, "run `make -C native-syscalls`");
}

/** The native library of this runtime: libcapsa.so for Deno.dlopen, the capsa.node addon for Node. */
export function libPath(): string {
  return nativePath(isDeno ? "libcapsa.so" : "capsa.node");
}

export function initPath(): string {
  return nativePath("capsa-init");
}

const loaded = new Map<string, Promise<Sys>>();
let first: Sys | null = null;

/** The default backend if this process has loaded it, else null (nothing is loaded for it). */
export function loadedSys(): Sys | null {
  return first;
}

/** The native backend for this runtime, once per library (libPath(), or a test's variant of it). */
export function loadSys(lib?: string): Promise<Sys> {
  const path = lib ?? libPath();
  let p = loaded.get(path);
  if (!p) {
    p = isDeno
      ? import("./sys_deno.ts").then((m) => m.denoSys(path))
      : import("./sys_node.ts").then((m) => m.nodeSys(path));
    if (!lib) p.then((s) => { first = s; }, () => {});
    loaded.set(path, p);
  }
  return p;
}
