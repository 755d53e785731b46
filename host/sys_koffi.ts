// The Node backend of Sys: libcapsa.so through koffi. Blocking calls have `.async` twins that
// run on koffi's worker threads.
import type { Sys, SpawnOptions, Spawned, WaitStatus } from "./sys.ts";
import { check, decodeWait, initPath, lazyBindings, TERMIOS_SIZE, ENOTTY, decodeSeccompNotif, encodeSeccompResp } from "./sys.ts";

type Fn = ((...args: any[]) => any) & { async: (...args: any[]) => void };

function callAsync(fn: Fn, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, res: number) => (err ? reject(err) : resolve(res)));
  });
}

export async function koffiSys(path: string): Promise<Sys> {
  const mod: any = await import("koffi");
  const koffi = mod.default ?? mod;
  const lib = koffi.load(path);
  // Each function is declared on first use.
  const f = lazyBindings({
    socketpair: "int capsa_socketpair(int *fds)",
    initFd: "int capsa_init_fd(const char *path)",
    spawn: "int capsa_spawn(int init_fd, uint64_t clone_flags, int sync_fd, int in_fd, int out_fd, int err_fd, const int *preserve, int npreserve, int *pidfd_out)",
    wait: "int capsa_wait(int pid, int *status, int options)",
    read: "int capsa_read(int fd, void *buf, int len)",
    write: "int capsa_write(int fd, const void *buf, int len)",
    close: "int capsa_close(int fd)",
    kill: "int capsa_kill(int pid, int sig)",
    pidfdSendSignal: "int capsa_pidfd_send_signal(int pidfd, int sig)",
    pidfdOpen: "int capsa_pidfd_open(int pid)",
    open: "int capsa_open(const char *path, int flags, int mode)",
    mkfifo: "int capsa_mkfifo(const char *path, int mode)",
    cgroupPrime: "int capsa_cgroup_prime(const char *procs, int stop_fd, int period_ms)",
    poll: "int capsa_poll(int fd, int events, int timeout_ms)",
    setSubreaper: "int capsa_set_subreaper(int on)",
    flock: "int capsa_flock(int fd, int op)",
    pipe: "int capsa_pipe(int *fds)",
    bpfDeviceAttach: "int capsa_bpf_device_attach(const void *insns, int n, const char *license, int cgroup_fd, uint8_t *log, int log_len)",
    connectUnix: "int capsa_connect_unix(const char *path)",
    listenUnix: "int capsa_listen_unix(const char *path, int backlog)",
    accept: "int capsa_accept(int fd)",
    recvFd: "int capsa_recv_fd(int sock, void *name, int cap, int *namelen)",
    sendFd: "int capsa_send_fd(int sock, const void *data, int len, int fd)",
    notifRecv: "int capsa_seccomp_notif_recv(int fd, void *out)",
    notifSend: "int capsa_seccomp_notif_send(int fd, const void *resp)",
    ttyRaw: "int capsa_tty_raw(int fd, void *saved)",
    ttySet: "int capsa_tty_set(int fd, const void *saved)",
    getWinsize: "int capsa_get_winsize(int fd, uint16_t *size)",
    setWinsize: "int capsa_set_winsize(int fd, int rows, int cols)",
    pump: "int capsa_pump(int in_fd, int pty, int out_fd, int stop_fd)",
  }, (_name, decl) => lib.func(decl) as Fn);

  const waited = (pid: number, r: number, st: Int32Array): WaitStatus | null => {
    check("wait", r, "pid " + pid);
    return r === 0 ? null : decodeWait(r, st[0]);
  };

  const sys: Sys = {
    socketpair() {
      const fds = new Int32Array(2);
      check("socketpair", f.socketpair(fds));
      return [fds[0], fds[1]];
    },
    initFd(p?: string) {
      const file = p ?? initPath();
      return check("initFd", f.initFd(file), file);
    },
    spawn(o: SpawnOptions): Spawned {
      const pre = Int32Array.from(o.preserve ?? []);
      const pidfd = new Int32Array([-1]);
      const pid = check(
        "spawn",
        f.spawn(o.initFd, BigInt(o.cloneFlags ?? 0), o.syncFd, o.stdin ?? -1, o.stdout ?? -1, o.stderr ?? -1,
          pre.length ? pre : null, pre.length, pidfd),
      );
      return { pid, pidfd: pidfd[0] };
    },
    wait(pid: number, options = 0) {
      const st = new Int32Array(1);
      return waited(pid, f.wait(pid, st, options), st);
    },
    async waitAsync(pid: number, options = 0) {
      const st = new Int32Array(1);
      return waited(pid, await callAsync(f.wait, pid, st, options), st);
    },
    read(fd: number, buf: Uint8Array) {
      return check("read", f.read(fd, buf, buf.length), "fd " + fd);
    },
    async readAsync(fd: number, buf: Uint8Array) {
      return check("read", await callAsync(f.read, fd, buf, buf.length), "fd " + fd);
    },
    write(fd: number, buf: Uint8Array) {
      return check("write", f.write(fd, buf, buf.length), "fd " + fd);
    },
    close(fd: number) {
      check("close", f.close(fd), "fd " + fd);
    },
    kill(pid: number, sig: number) {
      check("kill", f.kill(pid, sig), "pid " + pid);
    },
    pidfdSendSignal(pidfd: number, sig: number) {
      check("pidfdSendSignal", f.pidfdSendSignal(pidfd, sig));
    },
    pidfdOpen(pid: number) {
      return check("pidfdOpen", f.pidfdOpen(pid), "pid " + pid);
    },
    open(p: string, flags: number, mode = 0o644) {
      return check("open", f.open(p, flags, mode), p);
    },
    mkfifo(p: string, mode = 0o622) {
      check("mkfifo", f.mkfifo(p, mode), p);
    },
    async cgroupPrimeAsync(p: string, stopFd: number, periodMs: number) {
      return check("write", await callAsync(f.cgroupPrime, p, stopFd, periodMs), p);
    },
    poll(fd: number, events: number, timeoutMs: number) {
      return check("poll", f.poll(fd, events, timeoutMs), "fd " + fd);
    },
    setSubreaper(on: boolean) {
      check("setSubreaper", f.setSubreaper(on ? 1 : 0));
    },
    flock(fd: number, op: number) {
      check("flock", f.flock(fd, op), "fd " + fd);
    },
    async flockAsync(fd: number, op: number) {
      check("flock", await callAsync(f.flock, fd, op), "fd " + fd);
    },
    pipe() {
      const fds = new Int32Array(2);
      check("pipe", f.pipe(fds));
      return [fds[0], fds[1]];
    },
    bpfDeviceAttach(program: Uint8Array, license: string, cgroupFd: number) {
      const log = new Uint8Array(16384);
      const r = f.bpfDeviceAttach(program, program.length / 8, license, cgroupFd, log, log.length);
      const text = new TextDecoder().decode(log.subarray(0, Math.max(0, log.indexOf(0)))).trim();
      check("bpf", r, text ? "device program: " + text.split("\n").slice(-3).join(" | ") : "device program");
    },
    connectUnix(p: string) {
      return check("connectUnix", f.connectUnix(p), p);
    },
    listenUnix(p: string, backlog = 16) {
      return check("listenUnix", f.listenUnix(p, backlog), p);
    },
    accept(fd: number) {
      return check("accept", f.accept(fd), "fd " + fd);
    },
    recvFd(sock: number) {
      const name = new Uint8Array(4096);
      const len = new Int32Array(1);
      const fd = check("recvFd", f.recvFd(sock, name, name.length, len), "fd " + sock);
      return { fd, name: new TextDecoder().decode(name.subarray(0, len[0])) };
    },
    sendFd(sock: number, data: Uint8Array, fd: number) {
      return check("sendFd", f.sendFd(sock, data, data.length, fd), "fd " + sock);
    },
    seccompNotifyRecv(fd: number) {
      const out = new Uint8Array(80);
      check("seccompNotifyRecv", f.notifRecv(fd, out), "fd " + fd);
      return decodeSeccompNotif(out);
    },
    seccompNotifyRespond(fd: number, id: bigint, errno: number, val: bigint | number = 0) {
      check("seccompNotifyRespond", f.notifSend(fd, encodeSeccompResp(id, errno, val)), "fd " + fd);
    },
    ttyRaw(fd: number) {
      const saved = new Uint8Array(TERMIOS_SIZE);
      const r = f.ttyRaw(fd, saved);
      if (r === -ENOTTY) return null;
      check("ttyRaw", r, "fd " + fd);
      return saved;
    },
    ttyRestore(fd: number, saved: Uint8Array) {
      check("ttyRestore", f.ttySet(fd, saved), "fd " + fd);
    },
    getWinsize(fd: number) {
      const size = new Uint16Array(2);
      const r = f.getWinsize(fd, size);
      if (r === -ENOTTY) return null;
      check("getWinsize", r, "fd " + fd);
      return { rows: size[0], cols: size[1] };
    },
    setWinsize(fd: number, rows: number, cols: number) {
      check("setWinsize", f.setWinsize(fd, rows, cols), "fd " + fd);
    },
    async pumpAsync(input: number, pty: number, output: number, stop: number) {
      check("pump", await callAsync(f.pump, input, pty, output, stop), "fd " + pty);
    },
  };
  return sys;
}
