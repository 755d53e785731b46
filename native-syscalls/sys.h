/* Freestanding Linux system interface for capsa-init and libcapsa.so: raw syscalls for
 * x86_64 and aarch64, the constants and kernel structures they need, and a few string
 * helpers. No libc: every function here returns a value >= 0 or -errno. */
#ifndef CAPSA_SYS_H
#define CAPSA_SYS_H

#include <asm/unistd.h> /* syscall numbers only */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed int i32;
typedef signed long long i64;
typedef unsigned long usize;

#define HIDDEN __attribute__((visibility("hidden")))
#define EXPORT __attribute__((visibility("default")))

/* ---- raw syscalls ------------------------------------------------------------------------ */
#if defined(__x86_64__)
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#error "capsa: unsupported architecture (x86_64 and aarch64 only)"
#endif

/* The result of a raw syscall expression, made again while it is interrupted (-EINTR). */
#define RETRY(e)                                                                                 \
  ({                                                                                             \
    long r_;                                                                                     \
    do r_ = (long)(e);                                                                           \
    while (r_ == -EINTR);                                                                        \
    r_;                                                                                          \
  })

#define S0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define S1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define S2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define S3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define S4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define S5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define S6(n, a, b, c, d, e, f) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Syscalls introduced after the oldest headers we build with. */
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif

/* ---- errno ---------------------------------------------------------------------------------- */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EEXIST 17
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define EMFILE 24
#define ENOSPC 28
#define EPIPE 32
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ELOOP 40
#define EPROTO 71
#define EOVERFLOW 75
#define ENOTTY 25
#define EROFS 30
#define ENOMSG 42
#define ENOTSOCK 88
#define EMSGSIZE 90
#define EISCONN 106

/* ---- files ---------------------------------------------------------------------------------- */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS 0x200
#define X_OK 1
#define AT_EMPTY_PATH 0x1000
#define AT_RECURSIVE 0x8000

#if defined(__aarch64__)
#define O_DIRECTORY 0040000
#define O_NOFOLLOW 0100000
#else
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#endif
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000
#define O_PATH 010000000

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define F_ADD_SEALS 1033
#define FD_CLOEXEC 1
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFBLK 0060000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define S_IFLNK 0120000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)

#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#define MFD_EXEC 0x0010U

#define CLOSE_RANGE_CLOEXEC (1U << 2)

#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10

struct open_how {
  u64 flags;
  u64 mode;
  u64 resolve;
};

#define STATX_TYPE 0x1U
#define STATX_MODE 0x2U
struct statx_ts {
  i64 tv_sec;
  u32 tv_nsec;
  i32 reserved;
};
struct statx {
  u32 stx_mask;
  u32 stx_blksize;
  u64 stx_attributes;
  u32 stx_nlink;
  u32 stx_uid;
  u32 stx_gid;
  u16 stx_mode;
  u16 spare0;
  u64 stx_ino;
  u64 stx_size;
  u64 stx_blocks;
  u64 stx_attributes_mask;
  struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
  u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  u64 spare2[14];
};

/* struct statfs as the fstatfs syscall fills it on 64-bit architectures. */
struct kstatfs {
  long f_type, f_bsize;
  u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int f_fsid[2];
  long f_namelen, f_frsize, f_flags, f_spare[4];
};
#define ST_RDONLY 0x0001
#define ST_NOSUID 0x0002
#define ST_NODEV 0x0004
#define ST_NOEXEC 0x0008
#define ST_SYNCHRONOUS 0x0010
#define ST_MANDLOCK 0x0040
#define ST_NOATIME 0x0400
#define ST_NODIRATIME 0x0800
#define ST_RELATIME 0x1000

struct linux_dirent64 {
  u64 d_ino;
  i64 d_off;
  u16 d_reclen;
  u8 d_type;
  char d_name[];
};

/* ---- mounts --------------------------------------------------------------------------------- */
#define MS_RDONLY 0x1
#define MS_NOSUID 0x2
#define MS_NODEV 0x4
#define MS_NOEXEC 0x8
#define MS_SYNCHRONOUS 0x10
#define MS_REMOUNT 0x20
#define MS_MANDLOCK 0x40
#define MS_NOATIME 0x400
#define MS_NODIRATIME 0x800
#define MS_BIND 0x1000
#define MS_MOVE 0x2000
#define MS_REC 0x4000
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_RELATIME (1 << 21)
#define MNT_DETACH 2

struct mount_attr {
  u64 attr_set;
  u64 attr_clr;
  u64 propagation;
  u64 userns_fd;
};

/* ---- processes ------------------------------------------------------------------------------ */
#define CLONE_VM 0x00000100ULL
#define CLONE_VFORK 0x00004000ULL
#define CLONE_PARENT 0x00008000ULL
#define CLONE_PIDFD 0x00001000ULL
#define CLONE_NEWTIME 0x00000080ULL

struct clone_args {
  u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#define SIGKILL 9
#define SIGPIPE 13
#define SIGCHLD 17
#define NSIG 64
#define SIG_SETMASK 2
#define WNOHANG 1
#define __WALL 0x40000000

struct ksigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  u64 mask;
};

#define PR_SET_PDEATHSIG 1
#define PR_SET_DUMPABLE 4
#define PR_SET_KEEPCAPS 8
#define PR_CAPBSET_DROP 24
#define PR_SET_CHILD_SUBREAPER 36
#define PR_SET_NO_NEW_PRIVS 38
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4

#define LINUX_CAPABILITY_VERSION_3 0x20080522
struct cap_header {
  u32 version;
  int pid;
};
struct cap_data {
  u32 effective, permitted, inheritable;
};

struct rlimit64 {
  u64 cur, max;
};

#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
/* Notify ioctls (asm-generic encoding, the same on x86_64 and aarch64):
 * _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp). */
#define SECCOMP_IOCTL_NOTIF_RECV 0xc0502100u
#define SECCOMP_IOCTL_NOTIF_SEND 0xc0182101u
struct sock_fprog {
  u16 len;
  const void *filter;
};

/* ---- sockets -------------------------------------------------------------------------------- */
#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_SEQPACKET 5
#define SOCK_CLOEXEC O_CLOEXEC
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define SOL_SOCKET 1
#define SCM_RIGHTS 1

struct iovec {
  void *iov_base;
  usize iov_len;
};
struct msghdr {
  void *msg_name;
  int msg_namelen;
  struct iovec *msg_iov;
  usize msg_iovlen;
  void *msg_control;
  usize msg_controllen;
  int msg_flags;
};
struct cmsghdr {
  usize cmsg_len;
  int cmsg_level;
  int cmsg_type;
};
/* One descriptor's control message, as CMSG_LEN(4) and CMSG_SPACE(4) compute on 64-bit. */
#define CMSG_FD_LEN (sizeof(struct cmsghdr) + sizeof(int))
#define CMSG_FD_SPACE (sizeof(struct cmsghdr) + 8)

struct sockaddr_un {
  u16 sun_family;
  char sun_path[108];
};

/* ---- terminals (asm-generic ioctls: the same on x86_64 and aarch64) -------------------------- */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TIOCSCTTY 0x540E
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCGPTN 0x80045430u
#define TIOCSPTLCK 0x40045431u
#define TIOCGPTPEER 0x5441

struct winsize {
  u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* struct termios as the TCGETS/TCSETS ioctls use it (the kernel's, not glibc's). */
#define KNCCS 19
struct ktermios {
  u32 c_iflag, c_oflag, c_cflag, c_lflag;
  u8 c_line;
  u8 c_cc[KNCCS];
};
#define IGNBRK 0000001
#define BRKINT 0000002
#define PARMRK 0000010
#define ISTRIP 0000040
#define INLCR 0000100
#define IGNCR 0000200
#define ICRNL 0000400
#define IXON 0002000
#define OPOST 0000001
#define CSIZE 0000060
#define CS8 0000060
#define PARENB 0000400
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHONL 0000100
#define IEXTEN 0100000
#define VTIME 5
#define VMIN 6

struct pollfd {
  int fd;
  short events, revents;
};
#define POLLIN 0x1
#define POLLOUT 0x4
#define POLLERR 0x8
#define POLLHUP 0x10
#define POLLNVAL 0x20
struct timespec64 {
  long tv_sec, tv_nsec;
};

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_STACK 0x20000
#define MAP_FAILED_P(p) ((unsigned long)(p) > -4096UL)

/* ---- thin wrappers -------------------------------------------------------------------------- */
static inline long x_read(int fd, void *b, usize n) { return S3(__NR_read, fd, b, n); }
static inline long x_write(int fd, const void *b, usize n) { return S3(__NR_write, fd, b, n); }
static inline long x_close(int fd) { return S1(__NR_close, fd); }
static inline long x_openat(int dfd, const char *p, long flags, long mode) { return S4(__NR_openat, dfd, p, flags, mode); }
static inline long x_fcntl(int fd, int cmd, long arg) { return S3(__NR_fcntl, fd, cmd, arg); }
static inline long x_dup3(int a, int b, int flags) { return S3(__NR_dup3, a, b, flags); }
static inline long x_statx(int dfd, const char *p, int flags, unsigned mask, struct statx *st) {
  return S5(__NR_statx, dfd, p, flags, mask, st);
}
static inline __attribute__((noreturn)) void x_exit(int code) {
  for (;;) S1(__NR_exit_group, code);
}

/* ---- string helpers (util.c) ---------------------------------------------------------------- */
HIDDEN void *memcpy(void *d, const void *s, usize n);
HIDDEN void *memmove(void *d, const void *s, usize n);
HIDDEN void *memset(void *d, int c, usize n);
HIDDEN int memcmp(const void *a, const void *b, usize n);
HIDDEN usize c_strlen(const char *s);
HIDDEN int c_streq(const char *a, const char *b);
HIDDEN char *c_utoa(char *out, unsigned long v); /* writes digits + NUL, returns the NUL */
HIDDEN int c_fdpath(char *out, int fd);           /* "/proc/self/fd/N" */
HIDDEN long c_reset_signals(void);                /* every disposition SIG_DFL, mask empty */
HIDDEN long c_cloexec_from(unsigned lowfd);       /* close_range(CLOEXEC) with a /proc fallback */
/* One sendmsg of data with one SCM_RIGHTS descriptor (runc's utils.SendFile framing when the
 * data is a name); MSG_NOSIGNAL, retried on EINTR. Returns the bytes sent or -errno. */
HIDDEN long c_send_fd(int sock, const void *data, usize len, int fd);

#endif
