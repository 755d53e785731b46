// Runs measured commands through a tiny C helper that forks, execs and reaps the command with
// wait4(2), so every sample carries the wall time (CLOCK_MONOTONIC around fork … wait4), the
// CPU time (ru_utime + ru_stime: the process and every descendant it reaped) and the peak RSS
// (ru_maxrss: the largest of the process and its reaped descendants) with microsecond and
// kilobyte precision, and none of the harness's own spawn cost. The helper is compiled from the
// source below into the benchmark's scratch directory; without a C compiler the harness falls
// back to GNU time (`/usr/bin/time -f`, 10 ms CPU resolution), and without that to wall time only.
import { spawnSync, spawn } from "node:child_process";
import { writeFileSync, readFileSync, existsSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";

const HELPER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* usage: rusage ERRFILE CMD [ARG...]
 * Runs CMD with stdin and stdout on /dev/null and stderr on ERRFILE (truncated), reaps it with
 * wait4 and prints "wall_us user_us sys_us maxrss_kb wait_status" on stdout. The wall time ends
 * when CMD is reaped. The helper is a child subreaper: descendants that CMD leaves behind and
 * that end within 50 ms after it (a process that frees CMD's memory after its exit, as capsa's
 * does) are reaped too, and their CPU time counts; those that live on (a created container's
 * init) do not. */
int main(int argc, char **argv) {
  if (argc < 3) { fputs("usage: rusage ERRFILE CMD [ARG...]\n", stderr); return 2; }
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int err = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (err < 0 || nul < 0) { perror("rusage: open"); return 2; }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) { perror("rusage: fork"); return 2; }
  if (pid == 0) {
    dup2(nul, 0);
    dup2(nul, 1);
    dup2(err, 2);
    execvp(argv[2], argv + 2);
    dprintf(2, "rusage: exec %s: errno %d\n", argv[2], errno);
    _exit(127);
  }
  int st = 0;
  struct rusage ru;
  while (wait4(pid, &st, 0, &ru) < 0) {
    if (errno != EINTR) { perror("rusage: wait4"); return 2; }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long wall = (long long)(b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
  for (int i = 0; i < 50; i++) {
    pid_t r;
    while ((r = waitpid(-1, NULL, WNOHANG)) > 0) {}
    if (r < 0 && errno == ECHILD) break;
    usleep(1000);
  }
  getrusage(RUSAGE_CHILDREN, &ru);
  long long user = (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec;
  long long sys = (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
  printf("%lld %lld %lld %ld %d\n", wall, user, sys, ru.ru_maxrss, st);
  return 0;
}
`;

/** A runner of measured commands: `run(argv)` → { ok, status, wallMs, cpuMs, rssKb, err }. */
export class Runner {
  /** How samples are taken: "wait4" (the C helper), "gnu-time" or "wall-only". */
  mode = "wall-only";
  helper = null;

  constructor(workDir) {
    this.workDir = workDir;
    this.errFile = join(workDir, "stderr.txt");
    this.timeFile = join(workDir, "time.txt");
    const src = join(workDir, "rusage.c");
    const bin = join(workDir, "rusage");
    writeFileSync(src, HELPER_C);
    for (const extra of [["-static"], []]) {
      const r = spawnSync("cc", ["-O2", ...extra, "-o", bin, src], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
      if (r.status === 0) {
        this.helper = bin;
        this.mode = "wait4";
        return;
      }
    }
    if (existsSync("/usr/bin/time")) this.mode = "gnu-time";
  }

  describe() {
    return {
      "wait4": "a C helper (compiled at startup) forks, execs and reaps each command with wait4(2): wall = CLOCK_MONOTONIC from fork to reap; cpu = ru_utime+ru_stime; rss = ru_maxrss",
      "gnu-time": "/usr/bin/time -f '%e %U %S %M' (CPU at 10 ms resolution); wall from the harness around spawnSync",
      "wall-only": "wall time from the harness around spawnSync; no CPU or RSS (no C compiler and no /usr/bin/time)",
    }[this.mode];
  }

  /** Runs argv synchronously; stdin and stdout on /dev/null, stderr to a scratch file. */
  run(argv) {
    if (this.mode === "wait4") {
      const r = spawnSync(this.helper, [this.errFile, ...argv], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
      const f = (r.stdout ?? "").trim().split(/\s+/).map(Number);
      if (r.status !== 0 || f.length !== 5) return { ok: false, status: -1, err: `rusage helper failed (${r.status}): ${r.stdout}` };
      const [wall, user, sys, rss, st] = f;
      const status = (st & 0x7f) === 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
      return { ok: status === 0, status, wallMs: wall / 1000, cpuMs: (user + sys) / 1000, rssKb: rss, err: status === 0 ? "" : this.readErr() };
    }
    // Never a pipe for stderr: a created container's init keeps the caller's stdio open.
    const errFd = openSync(this.errFile, "w");
    try {
      if (this.mode === "gnu-time") {
        const t0 = performance.now();
        const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", "-o", this.timeFile, ...argv], { stdio: ["ignore", "ignore", errFd] });
        const wallMs = performance.now() - t0;
        const f = readFileSync(this.timeFile, "utf8").trim().split("\n").pop().split(/\s+/).map(Number);
        const status = r.status ?? 128;
        return { ok: status === 0, status, wallMs, cpuMs: (f[1] + f[2]) * 1000, rssKb: f[3], err: status === 0 ? "" : this.readErr() };
      }
      const t0 = performance.now();
      const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", errFd] });
      const wallMs = performance.now() - t0;
      const status = r.status ?? 128;
      return { ok: status === 0, status, wallMs, cpuMs: null, rssKb: null, err: status === 0 ? "" : this.readErr() };
    } finally {
      closeSync(errFd);
    }
  }

  readErr() {
    try {
      return readFileSync(this.errFile, "utf8").trim();
    } catch {
      return "";
    }
  }
}

/** Runs argv to completion, capturing stdout (for `state`, `spec`); never for `create`/`run`. */
export function capture(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  return { status: r.status ?? 128, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * Runs argv in the background with stdin and stdout on /dev/null and stderr to errFile (a file,
 * never a pipe); resolves with { status, err } (err: the file's text when status is not 0).
 */
export function runAsync(argv, errFile) {
  return new Promise((resolve) => {
    const fd = openSync(errFile, "w");
    const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", fd] });
    const done = (status) => {
      closeSync(fd);
      resolve({ status, err: status === 0 ? "" : readFileSync(errFile, "utf8").trim() });
    };
    c.on("error", () => done(127));
    c.on("exit", (code, sig) => done(code ?? 128));
  });
}

/** Blocks for ms milliseconds without spinning. */
export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
