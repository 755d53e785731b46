/* Helpers shared by capsa-init and libcapsa.so. The compiler may emit calls to memcpy and
 * memset even in freestanding code, so they are defined here (hidden: the shared library
 * must not interpose on the process's libc). */
#include "sys.h"

HIDDEN void *memcpy(void *d, const void *s, usize n) {
  u8 *dp = d;
  const u8 *sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}

HIDDEN void *memmove(void *d, const void *s, usize n) {
  u8 *dp = d;
  const u8 *sp = s;
  if (dp < sp) {
    while (n--) *dp++ = *sp++;
  } else {
    while (n--) dp[n] = sp[n];
  }
  return d;
}

HIDDEN void *memset(void *d, int c, usize n) {
  u8 *dp = d;
  while (n--) *dp++ = (u8)c;
  return d;
}

HIDDEN int memcmp(const void *a, const void *b, usize n) {
  const u8 *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

HIDDEN usize c_strlen(const char *s) {
  usize n = 0;
  while (s[n]) n++;
  return n;
}

HIDDEN int c_streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

HIDDEN char *c_utoa(char *out, unsigned long v) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10), v /= 10;
  while (v);
  while (n) *out++ = tmp[--n];
  *out = 0;
  return out;
}

HIDDEN int c_fdpath(char *out, int fd) {
  static const char pre[] = "/proc/self/fd/";
  for (usize i = 0; i < sizeof pre - 1; i++) out[i] = pre[i];
  c_utoa(out + sizeof pre - 1, (unsigned long)fd);
  return 0;
}

HIDDEN long c_reset_signals(void) {
  struct ksigaction dfl = {0};
  for (int sig = 1; sig <= NSIG; sig++) S4(__NR_rt_sigaction, sig, &dfl, 0, 8); /* SIGKILL/STOP: EINVAL */
  u64 empty = 0;
  return S4(__NR_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
}

/* Marks every fd >= lowfd close-on-exec. close_range(CLOSE_RANGE_CLOEXEC) needs Linux 5.11;
 * older kernels answer ENOSYS (no close_range) or EINVAL (no CLOEXEC flag). */
HIDDEN long c_cloexec_from(unsigned lowfd) {
  long r = S3(__NR_close_range, lowfd, ~0U, CLOSE_RANGE_CLOEXEC);
#ifdef CAPSA_TEST_ENOSYS
  r = -ENOSYS;
#endif
  if (r != -ENOSYS && r != -EINVAL) return r;
  long dfd = x_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd < 0) return dfd;
  char buf[1024] __attribute__((aligned(8)));
  for (;;) {
    long n = S3(__NR_getdents64, dfd, buf, sizeof buf);
    if (n <= 0) {
      x_close((int)dfd);
      return n;
    }
    for (long off = 0; off < n;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      off += d->d_reclen;
      unsigned long fd = 0;
      const char *p = d->d_name;
      if (*p < '0' || *p > '9') continue;
      while (*p >= '0' && *p <= '9') fd = fd * 10 + (unsigned long)(*p++ - '0');
      if (fd < lowfd || fd == (unsigned long)dfd) continue;
      long fl = x_fcntl((int)fd, F_GETFD, 0);
      if (fl >= 0 && !(fl & FD_CLOEXEC)) x_fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
    }
  }
}

long c_send_fd(int sock, const void *data, usize len, int fd) {
  union {
    struct cmsghdr h;
    u8 buf[CMSG_FD_SPACE];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  ctl.h.cmsg_len = CMSG_FD_LEN;
  ctl.h.cmsg_level = SOL_SOCKET;
  ctl.h.cmsg_type = SCM_RIGHTS;
  memcpy(ctl.buf + sizeof(struct cmsghdr), &fd, sizeof fd);
  struct iovec iov = {(void *)data, len};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = &ctl;
  m.msg_controllen = sizeof ctl;
  return RETRY(S3(__NR_sendmsg, sock, &m, MSG_NOSIGNAL));
}
