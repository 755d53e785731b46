/* libcapsa.so: the few system calls the host needs, loaded by koffi (Node) and Deno.dlopen.
 * Every function returns a value >= 0 or -errno; errno is never read across the FFI.
 *
 * capsa_spawn runs inside a multi-threaded JavaScript runtime: between clone and exec the
 * child makes raw system calls only (no allocation, no locks), on a stack of its own. */
#include "sys.h"
#include "gen/ops.h"
#include "libcapsa.h"

#define SPAWN_STACK (64 * 1024)
#define MAX_PRESERVE 1024
#define NS_FLAGS 0x7e020080ULL /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET,TIME} */

/* long capsa_clone_tramp(long nr, long a1, long a2, long a3, int (*fn)(void *), void *arg)
 * Makes the clone/clone3 syscall nr(a1, a2, a3). The child calls fn(arg) on whatever stack
 * the kernel gave it and exits with its result; the parent returns the syscall's result. */
long capsa_clone_tramp(long nr, long a1, long a2, long a3, int (*fn)(void *), void *arg);
#if defined(__x86_64__)
__asm__(".text\n"
        ".hidden capsa_clone_tramp\n"
        ".global capsa_clone_tramp\n"
        ".type capsa_clone_tramp,@function\n"
        "capsa_clone_tramp:\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  mov %rdx, %rsi\n"
        "  mov %rcx, %rdx\n"
        "  syscall\n" /* r8 = fn, r9 = arg survive; legacy clone ignores r10/r8 without SETTLS/CHILD_* */
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  xor %ebp, %ebp\n"
        "  and $-16, %rsp\n"
        "  mov %r9, %rdi\n"
        "  call *%r8\n"
        "  mov %eax, %edi\n"
        "  mov $60, %eax\n"
        "  syscall\n"
        "  hlt\n"
        "1:\n"
        "  ret\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".hidden capsa_clone_tramp\n"
        ".global capsa_clone_tramp\n"
        ".type capsa_clone_tramp,%function\n"
        "capsa_clone_tramp:\n"
        "  mov x8, x0\n"
        "  mov x0, x1\n"
        "  mov x1, x2\n"
        "  mov x2, x3\n"
        "  svc #0\n" /* x4 = fn, x5 = arg survive */
        "  cbnz x0, 1f\n"
        "  mov x29, #0\n"
        "  mov x30, #0\n"
        "  mov x0, x5\n"
        "  blr x4\n"
        "  mov x8, #93\n"
        "  svc #0\n"
        "1:\n"
        "  ret\n");
#endif

struct spawn_ctx {
  int init_fd;
  int ntargets;    /* 0,1,2 stdio; 3..3+n-1 preserved; 3+n sync */
  const int *src;  /* source fd for each target (-1: /dev/null) */
  volatile int err;
};

struct msg {
  u32 type, a;
  i32 b;
  u32 c;
};

static int spawn_child(void *arg) {
  struct spawn_ctx *c = arg;
  int T = c->ntargets;
  int src[MAX_PRESERVE + 4];
  int init_fd = c->init_fd;
  long r = 0;

  c_reset_signals();
  for (int i = 0; i < T; i++) src[i] = c->src[i];
  for (int i = 0; i < T; i++) {
    if (src[i] >= 0) continue;
    r = x_openat(AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
    if (r < 0) goto fail;
    src[i] = (int)r;
  }
  /* Lift every source (and the init's fd) above the target range, then dup down: no dup3 can
   * clobber a source that is still needed. */
  for (int i = 0; i < T; i++) {
    if (src[i] >= T) continue;
    r = x_fcntl(src[i], F_DUPFD_CLOEXEC, T);
    if (r < 0) goto fail;
    for (int j = i + 1; j < T; j++)
      if (src[j] == src[i]) src[j] = (int)r;
    if (init_fd == src[i]) init_fd = (int)r;
    src[i] = (int)r;
  }
  if (init_fd < T) {
    r = x_fcntl(init_fd, F_DUPFD_CLOEXEC, T);
    if (r < 0) goto fail;
    init_fd = (int)r;
  }
  for (int i = 0; i < T; i++) {
    r = x_dup3(src[i], i, 0);
    if (r < 0) goto fail;
  }
  r = c_cloexec_from((unsigned)T);
  if (r < 0) goto fail;

  char fdarg[16];
  c_utoa(fdarg, (unsigned long)(T - 1));
  char *argv[] = {"capsa-init", fdarg, 0};
  char *envp[] = {0};
  r = S5(__NR_execveat, init_fd, "", argv, envp, AT_EMPTY_PATH);
fail:
  c->err = (int)-r;
  struct msg m = {CAPSA_MSG_ERROR, 0xffffffffu, (i32)-r, 0};
  S6(__NR_sendto, T - 1, &m, sizeof m, MSG_NOSIGNAL, 0, 0);
  return 127;
}

static long wait_quiet(int pid) {
  return RETRY(S4(__NR_wait4, pid, 0, __WALL, 0));
}

EXPORT int capsa_spawn(int init_fd, u64 clone_flags, int sync_fd, int in_fd, int out_fd, int err_fd,
                       const int *preserve, int npreserve, int *pidfd_out) {
  if (npreserve < 0 || npreserve > MAX_PRESERVE || (npreserve && !preserve)) return -EINVAL;
  if (clone_flags & ~NS_FLAGS) return -EINVAL;
  if (init_fd < 0 || sync_fd < 0) return -EBADF;
  int src[MAX_PRESERVE + 4];
  int T = npreserve + 4;
  src[0] = in_fd, src[1] = out_fd, src[2] = err_fd;
  for (int i = 0; i < npreserve; i++) src[3 + i] = preserve[i];
  src[T - 1] = sync_fd;
  struct spawn_ctx ctx = {init_fd, T, src, 0};

  /* Block every signal so that no handler of the runtime runs in the child before it has
   * reset them; the child unblocks after the reset. */
  u64 all = ~0ULL, old = 0;
  S4(__NR_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
  long stk = S6(__NR_mmap, 0, SPAWN_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (MAP_FAILED_P(stk)) {
    S4(__NR_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
    return (int)stk;
  }
  int pidfd = -1;
  u64 flags = clone_flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD;
  long r;
  for (;;) {
    int vm = (flags & CLONE_VM) != 0;
    struct clone_args ca __attribute__((unused)) = {0};
    ca.flags = flags;
    ca.pidfd = (u64)(usize)&pidfd;
    ca.exit_signal = SIGCHLD;
    ca.stack = vm ? (u64)stk : 0;
    ca.stack_size = vm ? SPAWN_STACK : 0;
#ifdef CAPSA_TEST_ENOSYS
    /* The test build acts like an old kernel: clone3 only for time namespaces, and those
     * refuse CLONE_VM. */
    if (flags & CLONE_NEWTIME) r = vm ? -EINVAL : capsa_clone_tramp(__NR_clone3, (long)&ca, sizeof ca, 0, spawn_child, &ctx);
    else r = -ENOSYS;
#else
    r = capsa_clone_tramp(__NR_clone3, (long)&ca, sizeof ca, 0, spawn_child, &ctx);
#endif
    if (r == -ENOSYS) {
      /* clone(2) reads CLONE_NEWTIME's bit as part of the exit signal: only clone3 has it. */
      if (flags & CLONE_NEWTIME) r = -EINVAL;
      else r = capsa_clone_tramp(__NR_clone, (long)(flags | SIGCHLD), vm ? stk + SPAWN_STACK : 0, (long)&pidfd, spawn_child, &ctx);
    }
    /* Some namespace flags (CLONE_NEWTIME) refuse a shared address space: fork instead. */
    if (r == -EINVAL && vm) {
      flags &= ~CLONE_VM;
      continue;
    }
    break;
  }
  S2(__NR_munmap, stk, SPAWN_STACK);
  S4(__NR_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
  if (r < 0) return (int)r;
  if (ctx.err) { /* seen only with CLONE_VM; otherwise the sync socket carries the error */
    wait_quiet((int)r);
    x_close(pidfd);
    return -ctx.err;
  }
  if (pidfd_out) *pidfd_out = pidfd;
  else x_close(pidfd);
  return (int)r;
}

EXPORT int capsa_socketpair(int *fds) {
  return (int)S4(__NR_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

EXPORT int capsa_init_fd(const char *path) {
  long mfd = S2(__NR_memfd_create, "capsa-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd == -EINVAL) mfd = S2(__NR_memfd_create, "capsa-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) return (int)mfd;
  long src = x_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  long r = src;
  if (src >= 0) {
    char buf[16384];
    for (;;) {
      r = x_read((int)src, buf, sizeof buf);
      if (r == -EINTR) continue;
      if (r <= 0) break;
      for (long off = 0; off < r;) {
        long w = x_write((int)mfd, buf + off, (usize)(r - off));
        if (w == -EINTR) continue;
        if (w <= 0) {
          r = w < 0 ? w : -EIO;
          goto done;
        }
        off += w;
      }
    }
  done:
    x_close((int)src);
  }
  if (r == 0) r = x_fcntl((int)mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  if (r < 0) {
    x_close((int)mfd);
    return (int)r;
  }
  return (int)mfd;
}

EXPORT int capsa_wait(int pid, int *status, int options) {
  int st = 0;
  long r = RETRY(S4(__NR_wait4, pid, &st, options | __WALL, 0));
  if (r >= 0 && status) *status = st;
  return (int)r;
}

EXPORT int capsa_read(int fd, void *buf, int len) {
  if (len < 0) return -EINVAL;
  return (int)RETRY(x_read(fd, buf, (usize)len));
}

EXPORT int capsa_write(int fd, const void *buf, int len) {
  long r;
  if (len < 0) return -EINVAL;
  r = RETRY(S6(__NR_sendto, fd, buf, len, MSG_NOSIGNAL, 0, 0));
  if (r == -ENOTSOCK) {
    r = RETRY(x_write(fd, buf, (usize)len));
  }
  return (int)r;
}

EXPORT int capsa_close(int fd) { return (int)x_close(fd); }

EXPORT int capsa_kill(int pid, int sig) { return (int)S2(__NR_kill, pid, sig); }

EXPORT int capsa_pidfd_send_signal(int pidfd, int sig) { return (int)S4(__NR_pidfd_send_signal, pidfd, sig, 0, 0); }

EXPORT int capsa_pidfd_open(int pid) { return (int)S2(__NR_pidfd_open, pid, 0); }

/* Every descriptor is opened close-on-exec: capsa_spawn passes the ones the container needs. */
EXPORT int capsa_open(const char *path, int flags, int mode) {
  return (int)RETRY(x_openat(AT_FDCWD, path, flags | O_CLOEXEC, mode));
}

/* The mode is exact (the umask does not apply): the exec fifo must be writable by the
 * container's user, which may not be root. */
EXPORT int capsa_mkfifo(const char *path, int mode) {
  long r = S4(__NR_mknodat, AT_FDCWD, path, S_IFIFO | (mode & 07777), 0);
  if (r < 0) return (int)r;
  return (int)S4(__NR_fchmodat, AT_FDCWD, path, mode & 07777, 0);
}

/* Waits until fd is ready for `events` (POLLIN 1, POLLOUT 4) or timeout_ms passes (-1: no
 * limit). Returns the revents, 0 on timeout. */
EXPORT int capsa_poll(int fd, int events, int timeout_ms) {
  struct pollfd p = {fd, (short)events, 0};
  struct timespec64 ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
  long r = RETRY(S5(__NR_ppoll, &p, 1, timeout_ms < 0 ? 0 : &ts, 0, 8));
  return r <= 0 ? (int)r : p.revents;
}

/* Keeps cgroup moves cheap while a container is being set up: writes "0" (the calling process,
 * into the cgroup it is already in: nothing moves) to `procs`, a cgroup.procs file, at once and
 * then every period_ms, until stop_fd is readable or hung up, or max_ms have passed. The first
 * write waits out the RCU grace period that a cgroup move needs; the later ones, each within
 * the window the previous one leaves, keep that window open, so the container's init joins its
 * cgroups without the wait. Runs on a worker thread. Returns the number of writes, or -errno
 * of the first one. */
EXPORT int capsa_cgroup_prime(const char *procs, int stop_fd, int period_ms, int max_ms) {
  for (int n = 0, waited = 0;; n++, waited += period_ms) {
    long fd = RETRY(x_openat(AT_FDCWD, procs, O_WRONLY | O_CLOEXEC, 0));
    if (fd < 0) return n ? n : (int)fd;
    long r = RETRY(x_write((int)fd, "0", 1));
    x_close((int)fd);
    if (r < 0) return n ? n : (int)r;
    if (waited >= max_ms || capsa_poll(stop_fd, POLLIN, period_ms) != 0) return n + 1;
  }
}

/* exit_group(2) at once: the runtime's work is done and its output written (synchronously), so
 * the JavaScript engine's own teardown, a millisecond or two, is skipped. */
/* The keeper of an exiting runtime's address space (see capsa_exit): it holds no descriptor,
 * runs no handler (every signal blocked), and dies with the runtime (PR_SET_PDEATHSIG). */
static char keeper_stack[4096] __attribute__((aligned(16)));

static int exit_keeper(void *arg) {
  long runtime = (long)(usize)arg;
  if (S3(__NR_close_range, 0, ~0U, 0) < 0) return 0;
  S5(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (S0(__NR_getppid) != runtime) return 0; /* the runtime is gone already */
  for (;;) S5(__NR_ppoll, 0, 0, 0, 0, 8);
  return 0;
}

/* exit_group(code). The kernel frees an address space when its last user exits, before the
 * parent can see the exit: for an engine's tens of MB that is 2.5-3 ms. A child that shares the
 * address space (CLONE_VM) and dies with the runtime takes that work after the runtime's exit
 * has been seen; it closes every descriptor first, so no pipe stays open behind the runtime. */
EXPORT int capsa_exit(int code) {
  u64 all = ~0ULL;
  S4(__NR_rt_sigprocmask, SIG_SETMASK, &all, 0, 8);
  long self = S0(__NR_getpid);
  capsa_clone_tramp(__NR_clone, (long)CLONE_VM, (long)(keeper_stack + sizeof keeper_stack), 0, exit_keeper, (void *)(usize)self);
  S1(__NR_exit_group, code);
  return -1; /* not reached */
}

EXPORT int capsa_set_subreaper(int on) { return (int)S5(__NR_prctl, PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0); }

/* flock(2) with op LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8; retried on EINTR. */
EXPORT int capsa_flock(int fd, int op) {
  return (int)RETRY(S2(__NR_flock, fd, op));
}

/* A close-on-exec pipe: fds[0] reads, fds[1] writes. */
EXPORT int capsa_pipe(int *fds) { return (int)S2(__NR_pipe2, fds, O_CLOEXEC); }

/* ---- console sockets and terminals ---------------------------------------------------------- */

/* Fills a sockaddr_un for path. A path too long for sun_path is reached through its directory:
 * /proc/self/fd/<dir>/<name>, with the directory opened O_PATH into *dirfd (to close after). */
static long unix_addr(const char *path, struct sockaddr_un *a, long *dirfd) {
  usize n = c_strlen(path);
  *dirfd = -1;
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (n == 0) return -ENOENT;
  if (n < sizeof a->sun_path) {
    memcpy(a->sun_path, path, n + 1);
    return (long)(2 + n + 1);
  }
  const char *slash = 0;
  for (const char *c = path; *c; c++)
    if (*c == '/') slash = c;
  if (!slash || slash == path || (usize)(slash - path) >= 4096) return -ENAMETOOLONG;
  char dir[4096];
  memcpy(dir, path, (usize)(slash - path));
  dir[slash - path] = 0;
  long fd = x_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return fd;
  char *p = a->sun_path;
  c_fdpath(p, (int)fd);
  p += c_strlen(p);
  usize base = c_strlen(slash);
  if ((usize)(p - a->sun_path) + base >= sizeof a->sun_path) {
    x_close((int)fd);
    return -ENAMETOOLONG;
  }
  memcpy(p, slash, base + 1);
  *dirfd = fd;
  return (long)(2 + (usize)(p - a->sun_path) + base + 1);
}

/* A close-on-exec SOCK_STREAM socket connected to the unix socket at path (a console socket). */
EXPORT int capsa_connect_unix(const char *path) {
  struct sockaddr_un a;
  long dirfd, len = unix_addr(path, &a, &dirfd);
  if (len < 0) return (int)len;
  long fd = S3(__NR_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  long r = fd;
  if (fd >= 0) {
    r = RETRY(S3(__NR_connect, fd, &a, len));
    if (r == -EISCONN) r = 0;
    if (r < 0) x_close((int)fd);
    else r = fd;
  }
  if (dirfd >= 0) x_close((int)dirfd);
  return (int)r;
}

/* A close-on-exec SOCK_STREAM socket bound to path and listening. */
EXPORT int capsa_listen_unix(const char *path, int backlog) {
  struct sockaddr_un a;
  long dirfd, len = unix_addr(path, &a, &dirfd);
  if (len < 0) return (int)len;
  long fd = S3(__NR_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  long r = fd;
  if (fd >= 0) {
    r = S3(__NR_bind, fd, &a, len);
    if (r == 0) r = S2(__NR_listen, fd, backlog);
    if (r < 0) x_close((int)fd);
    else r = fd;
  }
  if (dirfd >= 0) x_close((int)dirfd);
  return (int)r;
}

EXPORT int capsa_accept(int fd) {
  return (int)RETRY(S4(__NR_accept4, fd, 0, 0, SOCK_CLOEXEC));
}

/* Receives one descriptor sent as runc's utils.SendFile does: the data (at most cap - 1 bytes,
 * NUL-terminated into name, its length in *namelen) is the file's name, the control message one
 * SCM_RIGHTS descriptor, received close-on-exec. Returns the descriptor; -EPIPE at end of file,
 * -ENOMSG for a message without exactly one descriptor (any received are closed), -EMSGSIZE
 * when the name or the control data did not fit. */
EXPORT int capsa_recv_fd(int sock, char *name, int cap, int *namelen) {
  if (cap < 1) return -EINVAL;
  union {
    struct cmsghdr h;
    u8 buf[256];
  } ctl;
  struct iovec iov = {name, (usize)cap - 1};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  memset(&ctl, 0, sizeof ctl);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = &ctl;
  m.msg_controllen = sizeof ctl;
  long n = RETRY(S3(__NR_recvmsg, sock, &m, MSG_CMSG_CLOEXEC));
  if (n < 0) return (int)n;
  name[n] = 0;
  if (namelen) *namelen = (int)n;
  int fd = -1, extra = 0;
  usize off = 0;
  while (off + sizeof(struct cmsghdr) <= m.msg_controllen) {
    struct cmsghdr *h = (struct cmsghdr *)(ctl.buf + off);
    if (h->cmsg_len < sizeof(struct cmsghdr) || off + h->cmsg_len > m.msg_controllen) break;
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      usize k = (h->cmsg_len - sizeof(struct cmsghdr)) / sizeof(int);
      for (usize i = 0; i < k; i++) {
        int f;
        memcpy(&f, ctl.buf + off + sizeof(struct cmsghdr) + i * sizeof(int), sizeof f);
        if (fd < 0) fd = f;
        else {
          x_close(f);
          extra = 1;
        }
      }
    }
    off += (h->cmsg_len + 7) & ~(usize)7;
  }
  if (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
    if (fd >= 0) x_close(fd);
    return -EMSGSIZE;
  }
  if (fd < 0 || extra) {
    if (fd >= 0) x_close(fd);
    return n == 0 ? -EPIPE : -ENOMSG;
  }
  return fd;
}

/* Sends data with one SCM_RIGHTS descriptor in a single sendmsg (the container process state to
 * a seccomp agent; the rest of the data, if the stream takes only part of it, goes with
 * capsa_write). Returns the bytes sent. */
EXPORT int capsa_send_fd(int sock, const void *data, int len, int fd) {
  if (len < 1) return -EINVAL;
  return (int)c_send_fd(sock, data, (usize)len, fd);
}

/* SECCOMP_IOCTL_NOTIF_RECV: blocks for the next notification on a listener and copies the
 * kernel's struct seccomp_notif (80 bytes: u64 id, u32 pid, u32 flags, then seccomp_data:
 * i32 nr, u32 arch, u64 ip, u64 args[6]) into out. */
EXPORT int capsa_seccomp_notif_recv(int fd, void *out) {
  u8 n[80];
  long r;
  do {
    memset(n, 0, sizeof n); /* the kernel wants it zeroed */
    r = S3(__NR_ioctl, fd, SECCOMP_IOCTL_NOTIF_RECV, n);
  } while (r == -EINTR);
  if (r < 0) return (int)r;
  memcpy(out, n, sizeof n);
  return 0;
}

/* SECCOMP_IOCTL_NOTIF_SEND with a struct seccomp_notif_resp (24 bytes: u64 id, i64 val,
 * i32 error (a negative errno, or 0 for val), u32 flags). */
EXPORT int capsa_seccomp_notif_send(int fd, const void *resp) {
  u8 r24[24];
  memcpy(r24, resp, sizeof r24);
  return (int)RETRY(S3(__NR_ioctl, fd, SECCOMP_IOCTL_NOTIF_SEND, r24));
}

/* Puts the terminal at fd in raw mode (cfmakeraw), saving its settings into saved (36 bytes,
 * for capsa_tty_set). -ENOTTY when fd is no terminal. */
EXPORT int capsa_tty_raw(int fd, void *saved) {
  struct ktermios t;
  long r = S3(__NR_ioctl, fd, TCGETS, &t);
  if (r < 0) return (int)r;
  memcpy(saved, &t, sizeof t);
  t.c_iflag &= ~(u32)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_oflag &= ~(u32)OPOST;
  t.c_lflag &= ~(u32)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~(u32)(CSIZE | PARENB);
  t.c_cflag |= CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  return (int)RETRY(S3(__NR_ioctl, fd, TCSETS, &t));
}

/* Restores settings saved by capsa_tty_raw. */
EXPORT int capsa_tty_set(int fd, const void *saved) {
  return (int)RETRY(S3(__NR_ioctl, fd, TCSETS, saved));
}

/* The window size of the terminal at fd: size[0] rows, size[1] columns. */
EXPORT int capsa_get_winsize(int fd, u16 *size) {
  struct winsize ws;
  long r = S3(__NR_ioctl, fd, TIOCGWINSZ, &ws);
  if (r < 0) return (int)r;
  size[0] = ws.ws_row;
  size[1] = ws.ws_col;
  return 0;
}

EXPORT int capsa_set_winsize(int fd, int rows, int cols) {
  struct winsize ws = {(u16)rows, (u16)cols, 0, 0};
  return (int)S3(__NR_ioctl, fd, TIOCSWINSZ, &ws);
}

/* Writes all of buf to fd, waiting for POLLOUT when it is non-blocking. */
static long write_all(int fd, const u8 *buf, usize len) {
  while (len) {
    long w = x_write(fd, buf, len);
    if (w == -EINTR) continue;
    if (w == -EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      long r = S5(__NR_ppoll, &p, 1, 0, 0, 8);
      if (r < 0 && r != -EINTR) return r;
      continue;
    }
    if (w < 0) return w;
    buf += w;
    len -= (usize)w;
  }
  return 0;
}

/* Copies until stop (nonblocking reads of pty, until nothing is left): what is still buffered
 * after the process has gone. */
static void drain(int pty, int out, int *out_ok, u8 *buf, usize cap) {
  for (;;) {
    long n = x_read(pty, buf, cap);
    if (n == -EINTR) continue;
    if (n <= 0) return;
    if (*out_ok && write_all(out, buf, (usize)n) < 0) *out_ok = 0;
  }
}

/* The terminal proxy of a foreground process: copies in -> pty and pty -> out until the pty
 * reports end of file or EIO (every peer closed) or stop becomes readable (then whatever the
 * pty still holds is copied first). The pty is made non-blocking, so a process that does not
 * read its input never blocks its output; in is only read when poll says it can be, and end
 * of file on it ends the copying of input only. Output that cannot be written is dropped, so
 * the process never blocks on a terminal nobody reads. Runs on a worker thread. */
EXPORT int capsa_pump(int in, int pty, int out, int stop) {
  u8 ibuf[4096], obuf[16384];
  usize ilen = 0, ioff = 0;
  int in_ok = in >= 0, out_ok = out >= 0;
  long fl = x_fcntl(pty, F_GETFL, 0);
  if (fl < 0) return (int)fl;
  if (!(fl & O_NONBLOCK) && (fl = x_fcntl(pty, F_SETFL, fl | O_NONBLOCK)) < 0) return (int)fl;
  for (;;) {
    struct pollfd p[3] = {
      {in_ok && !ilen ? in : -1, POLLIN, 0},
      {pty, (short)(POLLIN | (ilen ? POLLOUT : 0)), 0},
      {stop, POLLIN, 0},
    };
    long r = S5(__NR_ppoll, p, 3, 0, 0, 8);
    if (r == -EINTR) continue;
    if (r < 0) return (int)r;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      long n = x_read(pty, obuf, sizeof obuf);
      if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR)) return 0;
      if (n > 0 && out_ok && write_all(out, obuf, (usize)n) < 0) out_ok = 0;
    }
    if (p[1].revents & POLLNVAL) return -EBADF;
    if (p[0].revents) {
      long n = x_read(in, ibuf, sizeof ibuf);
      if (n > 0) {
        ilen = (usize)n;
        ioff = 0;
      } else if (n != -EINTR && n != -EAGAIN) {
        in_ok = 0;
      }
    }
    if (ilen) {
      long w = x_write(pty, ibuf + ioff, ilen);
      if (w > 0) {
        ioff += (usize)w;
        ilen -= (usize)w;
      } else if (w != -EAGAIN && w != -EINTR) {
        ilen = 0; /* the pty refuses input: drop it */
      }
    }
    if (p[2].revents) {
      drain(pty, out, &out_ok, obuf, sizeof obuf);
      return 0;
    }
  }
}

/* cgroup v2 device control: loads a BPF_PROG_TYPE_CGROUP_DEVICE program (the core's bytes, 8
 * bytes an instruction) and attaches it to the cgroup directory `cgroup_fd` with
 * BPF_F_ALLOW_MULTI. The cgroup holds the program; the fd is closed here. Returns 0 or -errno;
 * the verifier's complaint, if any, lands in `log`. */
struct capsa_bpf_load {
  u32 prog_type, insn_cnt;
  u64 insns, license;
  u32 log_level, log_size;
  u64 log_buf;
  u32 kern_version, prog_flags;
  char prog_name[16];
  u32 prog_ifindex, expected_attach_type;
};
struct capsa_bpf_attach {
  u32 target_fd, attach_bpf_fd, attach_type, attach_flags, replace_bpf_fd;
};
#define CAPSA_BPF_PROG_LOAD 5
#define CAPSA_BPF_PROG_ATTACH 8
#define CAPSA_BPF_PROG_TYPE_CGROUP_DEVICE 15
#define CAPSA_BPF_CGROUP_DEVICE 6
#define CAPSA_BPF_F_ALLOW_MULTI 2

EXPORT int capsa_bpf_device_attach(const void *insns, int n, const char *license, int cgroup_fd, char *log, int log_len) {
  struct capsa_bpf_load l;
  char *p = (char *)&l;
  for (usize i = 0; i < sizeof l; i++) p[i] = 0;
  l.prog_type = CAPSA_BPF_PROG_TYPE_CGROUP_DEVICE;
  l.insn_cnt = (u32)n;
  l.insns = (u64)(usize)insns;
  l.license = (u64)(usize)license;
  l.expected_attach_type = CAPSA_BPF_CGROUP_DEVICE;
  if (log && log_len > 0) {
    l.log_level = 1;
    l.log_size = (u32)log_len;
    l.log_buf = (u64)(usize)log;
    log[0] = 0;
  }
  long prog = S3(__NR_bpf, CAPSA_BPF_PROG_LOAD, &l, sizeof l);
  if (prog < 0 && log && log_len > 0) {
    /* Retry without a log: some kernels refuse small log buffers (ENOSPC). */
    if (prog == -ENOSPC) { l.log_level = 0; l.log_size = 0; l.log_buf = 0; prog = S3(__NR_bpf, CAPSA_BPF_PROG_LOAD, &l, sizeof l); }
  }
  if (prog < 0) return (int)prog;
  struct capsa_bpf_attach a = {(u32)cgroup_fd, (u32)prog, CAPSA_BPF_CGROUP_DEVICE, CAPSA_BPF_F_ALLOW_MULTI, 0};
  long r = S3(__NR_bpf, CAPSA_BPF_PROG_ATTACH, &a, sizeof a);
  x_close((int)prog);
  return r < 0 ? (int)r : 0;
}
