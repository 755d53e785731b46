// A recording fake of Sys for unit tests: every call is appended to `calls`; results come from
// a per-call script (values, SysErrors to throw, or functions of the arguments), falling back
// to harmless defaults (fresh fd numbers, pids, end of file, exit code 0).
import type { Sys, SpawnOptions, Spawned, WaitStatus, SeccompNotif } from "./sys.ts";
import { SysError, decodeWait } from "./sys.ts";

export interface Call {
  call: keyof Sys;
  args: unknown[];
}

type Scripted = unknown | SysError | ((...args: any[]) => unknown);

export class FakeSys implements Sys {
  readonly calls: Call[] = [];
  private readonly scripts = new Map<string, Scripted[]>();
  private nextFd = 100;
  private nextPid = 1000;

  /** Queues results for `call`, consumed in order. A SysError is thrown; a function is called
   * with the call's arguments and its result used. For `read`, a Uint8Array is copied into
   * the caller's buffer and its length returned. */
  script(call: keyof Sys, ...results: Scripted[]): this {
    const q = this.scripts.get(call) ?? [];
    q.push(...results);
    this.scripts.set(call, q);
    return this;
  }

  /** Makes the next `call` throw SysError(call, errno). */
  fail(call: keyof Sys, errno: number): this {
    return this.script(call, new SysError(call, errno));
  }

  /** The calls made to one function, in order. */
  callsOf(call: keyof Sys): unknown[][] {
    return this.calls.filter((c) => c.call === call).map((c) => c.args);
  }

  /** The names of the calls made, in order. */
  names(): string[] {
    return this.calls.map((c) => c.call);
  }

  private run<T>(call: keyof Sys, args: unknown[], dflt: () => T): T {
    this.calls.push({ call, args });
    const q = this.scripts.get(call);
    if (q && q.length) {
      const r = q.shift();
      if (r instanceof SysError) throw r;
      if (typeof r === "function") return r(...args) as T;
      return r as T;
    }
    return dflt();
  }

  socketpair(): [number, number] {
    return this.run("socketpair", [], () => [this.nextFd++, this.nextFd++]);
  }
  initFd(path?: string): number {
    return this.run("initFd", [path], () => this.nextFd++);
  }
  spawn(opts: SpawnOptions): Spawned {
    return this.run("spawn", [opts], () => ({ pid: this.nextPid++, pidfd: this.nextFd++ }));
  }
  wait(pid: number, options = 0): WaitStatus | null {
    return this.run("wait", [pid, options], () => decodeWait(pid, 0));
  }
  waitAsync(pid: number, options = 0): Promise<WaitStatus | null> {
    try {
      return Promise.resolve(this.run("waitAsync", [pid, options], () => decodeWait(pid, 0)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  read(fd: number, buf: Uint8Array): number {
    return this.fill(buf, this.run<unknown>("read", [fd, buf], () => 0));
  }
  readAsync(fd: number, buf: Uint8Array): Promise<number> {
    try {
      return Promise.resolve(this.fill(buf, this.run<unknown>("readAsync", [fd, buf], () => 0)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  private fill(buf: Uint8Array, r: unknown): number {
    if (r instanceof Uint8Array) {
      const n = Math.min(r.length, buf.length);
      buf.set(r.subarray(0, n));
      return n;
    }
    return r as number;
  }
  write(fd: number, buf: Uint8Array): number {
    return this.run("write", [fd, buf.slice()], () => buf.length);
  }
  close(fd: number): void {
    this.run("close", [fd], () => undefined);
  }
  kill(pid: number, sig: number): void {
    this.run("kill", [pid, sig], () => undefined);
  }
  pidfdSendSignal(pidfd: number, sig: number): void {
    this.run("pidfdSendSignal", [pidfd, sig], () => undefined);
  }
  pidfdOpen(pid: number): number {
    return this.run("pidfdOpen", [pid], () => this.nextFd++);
  }
  open(path: string, flags: number, mode = 0o644): number {
    return this.run("open", [path, flags, mode], () => this.nextFd++);
  }
  mkfifo(path: string, mode = 0o622): void {
    this.run("mkfifo", [path, mode], () => undefined);
  }
  cgroupPrimeAsync(procs: string, stopFd: number, periodMs: number, maxMs: number): Promise<number> {
    return Promise.resolve(this.run("cgroupPrimeAsync", [procs, stopFd, periodMs, maxMs], () => 1));
  }
  poll(fd: number, events: number, timeoutMs: number): number {
    return this.run("poll", [fd, events, timeoutMs], () => events);
  }
  exit(code: number): never {
    this.run("exit", [code], () => undefined);
    throw new Error(`exit(${code})`);
  }
  setSubreaper(on: boolean): void {
    this.run("setSubreaper", [on], () => undefined);
  }
  flock(fd: number, op: number): void {
    this.run("flock", [fd, op], () => undefined);
  }
  flockAsync(fd: number, op: number): Promise<void> {
    return Promise.resolve(this.run("flockAsync", [fd, op], () => undefined));
  }
  pipe(): [number, number] {
    return this.run("pipe", [], () => [this.nextFd++, this.nextFd++] as [number, number]);
  }
  connectUnix(path: string): number {
    return this.run("connectUnix", [path], () => this.nextFd++);
  }
  listenUnix(path: string, backlog = 16): number {
    return this.run("listenUnix", [path, backlog], () => this.nextFd++);
  }
  accept(fd: number): number {
    return this.run("accept", [fd], () => this.nextFd++);
  }
  recvFd(sock: number): { fd: number; name: string } {
    return this.run("recvFd", [sock], () => ({ fd: this.nextFd++, name: "/dev/ptmx" }));
  }
  sendFd(sock: number, data: Uint8Array, fd: number): number {
    return this.run("sendFd", [sock, data, fd], () => data.length);
  }
  seccompNotifyRecv(fd: number): SeccompNotif {
    return this.run("seccompNotifyRecv", [fd], () => ({ id: 0n, pid: 0, nr: 0, arch: 0, args: [0n, 0n, 0n, 0n, 0n, 0n] }));
  }
  seccompNotifyRespond(fd: number, id: bigint, errno: number, val: bigint | number = 0): void {
    this.run("seccompNotifyRespond", [fd, id, errno, val], () => undefined);
  }
  ttyRaw(fd: number): Uint8Array | null {
    return this.run("ttyRaw", [fd], () => null);
  }
  ttyRestore(fd: number, saved: Uint8Array): void {
    this.run("ttyRestore", [fd, saved], () => undefined);
  }
  getWinsize(fd: number): { rows: number; cols: number } | null {
    return this.run("getWinsize", [fd], () => null);
  }
  setWinsize(fd: number, rows: number, cols: number): void {
    this.run("setWinsize", [fd, rows, cols], () => undefined);
  }
  pumpAsync(input: number, pty: number, output: number, stop: number): Promise<void> {
    try {
      return Promise.resolve(this.run("pumpAsync", [input, pty, output, stop], () => undefined));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  bpfDeviceAttach(program: Uint8Array, license: string, cgroupFd: number): void {
    this.run("bpfDeviceAttach", [program.length, license, cgroupFd], () => undefined);
  }
}
