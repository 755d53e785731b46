/* capsa-init: a static, libc-free interpreter for the init program (core/PROGRAM.md).
 *
 *   capsa-init <sync-fd>
 *
 * Makes itself non-dumpable, resets signals, receives the program as one SEQPACKET message on
 * the sync socket, validates all of it, then runs the ops in order. A failing op is reported
 * as MSG_ERROR {op index, errno} and the process exits 1; a malformed program as MSG_ERROR
 * {0xfffffffe, EINVAL}. After a successful exec the socket (close-on-exec) reads end-of-file.
 *
 * In-root paths never leave the directory opened by set_root: openat2(RESOLVE_IN_ROOT), or
 * an O_PATH|O_NOFOLLOW walk that resolves symlinks inside the root when openat2 is missing.
 * Mount targets are then named through /proc/self/fd/N of the resolved descriptor. */
#include "sys.h"
#include "gen/ops.h"

#define BAD_PROGRAM 0xfffffffeu
#define PROGRAM_MAX (1u << 20)
#define PATH_BUF 4096
#define WALK_DEPTH 256
#define MAX_LINKS 40
#define MAX_GROUPS 65536

struct msg {
  u32 type, a;
  i32 b;
  u32 c;
};

struct opv {
  u16 code, nints, nstrs;
  u32 index;
  const i64 *ints;
  const u8 *strs; /* first { u32 len; bytes; NUL } record */
};

static u8 program[PROGRAM_MAX] __attribute__((aligned(16)));
static u32 groups[MAX_GROUPS];

static int sync_fd = -1;
static int root_fd = -1;            /* O_PATH of the rootfs; "/" when none was set */
static const char *root_path = 0;   /* the set_root path, re-opened for pivot/move */
static int fifo_fd = -1;
static int have_openat2 __attribute__((unused)) = 1;

/* ---- protocol --------------------------------------------------------------------------- */

static long send_msg(u32 type, u32 a, i32 b) {
  struct msg m = {type, a, b, 0};
  long r = RETRY(S6(__NR_sendto, sync_fd, &m, sizeof m, MSG_NOSIGNAL, 0, 0));
  return r < 0 ? r : 0;
}

static __attribute__((noreturn)) void fail(u32 index, long err) {
  send_msg(CAPSA_MSG_ERROR, index, (i32)err);
  x_exit(1);
}

static u32 rd32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u16 rd16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }

static const char *str_next(const u8 **p, u32 *len) {
  u32 l = rd32(*p);
  const char *s = (const char *)(*p + 4);
  *p += 4 + (usize)l + 1;
  if (len) *len = l;
  return s;
}

/* Validates the whole program before anything runs. Returns 1 when it is well formed. */
static int validate(const u8 *buf, usize n) {
  if (n < 16) return 0;
  if (rd32(buf) != CAPSA_PROGRAM_MAGIC || rd16(buf + 4) != CAPSA_PROGRAM_VERSION || rd16(buf + 6) != 0) return 0;
  u32 count = rd32(buf + 8);
  if (rd32(buf + 12) != n) return 0;
  usize off = 16;
  for (u32 i = 0; i < count; i++) {
    if (n - off < 16) return 0;
    const u8 *op = buf + off;
    u16 code = rd16(op), ni = rd16(op + 2), ns = rd16(op + 4);
    u32 size = rd32(op + 8);
    if (code >= CAPSA_OP_COUNT || rd16(op + 6) != 0) return 0;
    if (size < 16 || size % 8 || size > n - off) return 0;
    const struct capsa_opdef *d = &CAPSA_OPDEFS[code];
    if (d->ints >= 0 && ni != d->ints) return 0;
    if (d->strs >= 0 && ns != d->strs) return 0;
    usize p = 16 + (usize)ni * 8;
    if (p > size) return 0;
    for (u32 j = 0; j < ns; j++) {
      if (size - p < 5) return 0;
      u32 l = rd32(op + p);
      if (l > size - p - 5) return 0;
      if (op[p + 4 + l] != 0) return 0;
      /* Only seccomp's program is binary; every other string is a C string. */
      if (code != CAPSA_OP_SECCOMP)
        for (u32 k = 0; k < l; k++)
          if (op[p + 4 + k] == 0) return 0;
      p += 5 + (usize)l;
    }
    usize end = (p + 7) & ~(usize)7;
    if (end != size) return 0;
    for (; p < end; p++)
      if (op[p]) return 0;
    const i64 *ints = (const i64 *)(op + 16);
    switch (code) {
    case CAPSA_OP_EXEC:
      if (ints[0] < 1 || ints[1] < 0 || ints[0] > 0x100000 || ints[1] > 0x100000) return 0;
      /* file, argv, envp, and with search the directories to look in */
      if (ints[0] + ints[1] + 1 + ints[2] != ns || (ints[2] & ~1LL) || ints[3] < 0 || ints[3] > 0x10000) return 0;
      break;
    case CAPSA_OP_CAP_BOUNDING:
    case CAPSA_OP_CAP_AMBIENT:
      if (ints[2] < 0 || ints[2] > 63) return 0;
      break;
    case CAPSA_OP_CONSOLE:
      if (ints[0] < 3 || ints[0] > 0x100000 || ints[1] < 0 || ints[1] > 0xffff || ints[2] < 0 || ints[2] > 0xffff) return 0;
      if ((ints[3] & ~(i64)CAPSA_CONSOLE_MOUNT) || ints[4] < -1 || ints[4] > 0xffffffffLL) return 0;
      break;
    }
    off += size;
  }
  return off == n;
}

/* ---- path resolution -------------------------------------------------------------------- */

static long get_root(void) {
  if (root_fd < 0) {
    long fd = x_openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    root_fd = (int)fd;
  }
  return root_fd;
}

static long file_type(int fd) {
  struct statx sx;
  long r = x_statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx);
  return r < 0 ? r : (long)(sx.stx_mode & S_IFMT);
}

/* The O_PATH walk used where openat2 is missing: every component is opened O_NOFOLLOW under
 * its parent; symlinks are expanded textually, absolute ones from the root, and ".." never
 * climbs above the root (the same semantics as RESOLVE_IN_ROOT). */
static long walk_in_root(int root, const char *path) {
  char rest[2 * PATH_BUF];
  char target[PATH_BUF];
  int st[WALK_DEPTH];
  int depth = 0, links = 0;
  long err = 0;
  usize len = c_strlen(path);
  if (len >= sizeof rest) return -ENAMETOOLONG;
  memcpy(rest, path, len + 1);
  char *p = rest;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *c = p;
    while (*p && *p != '/') p++;
    usize clen = (usize)(p - c);
    if (clen == 1 && c[0] == '.') continue;
    if (clen == 2 && c[0] == '.' && c[1] == '.') {
      if (depth > 0) x_close(st[depth--]);
      continue;
    }
    char save = *p;
    *p = 0;
    long fd = x_openat(depth ? st[depth] : root, c, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
    *p = save;
    if (fd < 0) {
      err = fd;
      goto out;
    }
    long type = file_type((int)fd);
    if (type < 0) {
      x_close((int)fd);
      err = type;
      goto out;
    }
    if (type == S_IFLNK) {
      long n = S4(__NR_readlinkat, fd, "", target, sizeof target - 1);
      x_close((int)fd);
      if (n < 0) {
        err = n;
        goto out;
      }
      if (++links > MAX_LINKS) {
        err = -ELOOP;
        goto out;
      }
      usize rl = c_strlen(p);
      if ((usize)n + 1 + rl + 1 > sizeof rest) {
        err = -ENAMETOOLONG;
        goto out;
      }
      memmove(rest + n + 1, p, rl + 1);
      memcpy(rest, target, (usize)n);
      rest[n] = '/';
      p = rest;
      if (target[0] == '/')
        while (depth > 0) x_close(st[depth--]);
      continue;
    }
    if (depth + 1 >= WALK_DEPTH) {
      x_close((int)fd);
      err = -ENAMETOOLONG;
      goto out;
    }
    st[++depth] = (int)fd;
  }
  if (depth == 0) return x_fcntl(root, F_DUPFD_CLOEXEC, 0);
  err = st[depth--];
out:
  while (depth > 0) x_close(st[depth--]);
  return err;
}

/* An O_PATH descriptor for an in-root path (the last component is followed, inside the root). */
static long open_in_root(const char *path) {
  long root = get_root();
  if (root < 0) return root;
  if (!*path) return -ENOENT;
#ifndef CAPSA_TEST_ENOSYS
  if (have_openat2) {
    struct open_how how = {O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    for (int i = 0; i < 64; i++) {
      long r = S4(__NR_openat2, root, path, &how, sizeof how);
      if (r == -EAGAIN || r == -EINTR) continue;
      if (r != -ENOSYS) return r;
      have_openat2 = 0;
      break;
    }
  }
#endif
  return walk_in_root((int)root, path);
}

/* An O_PATH descriptor for an in-root or a host path. */
static long open_path(int inroot, const char *path) {
  if (inroot) return open_in_root(path);
  return x_openat(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
}

/* Splits a path into its parent ("." or "/" when there is none) and its last component. */
static long split_path(const char *path, char *buf, const char **parent, const char **base) {
  usize n = c_strlen(path);
  if (n >= PATH_BUF) return -ENAMETOOLONG;
  memcpy(buf, path, n + 1);
  while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
  char *s = 0;
  for (usize i = 0; i < n; i++)
    if (buf[i] == '/') s = buf + i;
  if (!s) {
    *parent = ".";
    *base = buf;
  } else {
    *s = 0;
    *parent = s == buf ? "/" : buf;
    *base = s + 1;
  }
  if (!**base || c_streq(*base, ".") || c_streq(*base, "..")) return -EEXIST;
  return 0;
}

/* mkdir -p, every directory created with mkdirat under its resolved parent. */
static long mkdir_p(int inroot, const char *path, long mode) {
  long fd = open_path(inroot, path);
  if (fd >= 0) {
    long t = file_type((int)fd);
    x_close((int)fd);
    return t < 0 ? t : t == S_IFDIR ? 0 : -ENOTDIR;
  }
  if (fd != -ENOENT) return fd;
  char buf[PATH_BUF], parent[PATH_BUF];
  usize n = c_strlen(path);
  if (n >= sizeof buf) return -ENAMETOOLONG;
  memcpy(buf, path, n + 1);
  usize i = 0;
  while (buf[i] == '/') i++;
  while (buf[i]) {
    usize start = i;
    while (buf[i] && buf[i] != '/') i++;
    char save = buf[i];
    buf[i] = 0;
    long r = open_path(inroot, buf);
    if (r == -ENOENT) {
      if (start == 0) {
        parent[0] = '.', parent[1] = 0;
      } else {
        memcpy(parent, buf, start);
        parent[start] = 0;
      }
      long pfd = open_path(inroot, parent);
      if (pfd < 0) return pfd;
      r = S3(__NR_mkdirat, pfd, buf + start, mode);
      x_close((int)pfd);
      if (r < 0 && r != -EEXIST) return r;
      r = open_path(inroot, buf); /* a dangling symlink stays ENOENT */
    }
    if (r < 0) return r;
    x_close((int)r);
    buf[i] = save;
    while (buf[i] == '/') i++;
  }
  return 0;
}

/* Creates an empty file (and its parent directories) unless the path exists. */
static long mkfile_p(int inroot, const char *path) {
  long fd = open_path(inroot, path);
  if (fd >= 0) return x_close((int)fd);
  if (fd != -ENOENT) return fd;
  char buf[PATH_BUF];
  const char *parent, *base;
  long r = split_path(path, buf, &parent, &base);
  if (r < 0) return r;
  r = mkdir_p(inroot, parent, 0755);
  if (r < 0) return r;
  long pfd = open_path(inroot, parent);
  if (pfd < 0) return pfd;
  r = x_openat((int)pfd, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_NOCTTY | O_CLOEXEC, 0644);
  x_close((int)pfd);
  if (r >= 0) x_close((int)r);
  return r == -EEXIST ? 0 : r < 0 ? r : 0;
}

/* Resolves the parent of an in-root path (creating it), for *at() calls on the last component. */
static long open_parent_in_root(const char *path, char *buf, const char **base) {
  const char *parent;
  long r = split_path(path, buf, &parent, base);
  if (r < 0) return r;
  r = mkdir_p(1, parent, 0755);
  if (r < 0) return r;
  return open_in_root(parent);
}

/* ---- mounts ----------------------------------------------------------------------------- */

static long x_mount(const char *src, const char *tgt, const char *fs, unsigned long flags, const char *data) {
  return S5(__NR_mount, src, tgt, fs, flags, data);
}

/* The per-mount flags of the filesystem at fd, as MS_* flags. */
static long mount_flags(int fd) {
  struct kstatfs s;
  long r = S2(__NR_fstatfs, fd, &s);
  if (r < 0) return r;
  long f = 0;
  if (s.f_flags & ST_RDONLY) f |= MS_RDONLY;
  if (s.f_flags & ST_NOSUID) f |= MS_NOSUID;
  if (s.f_flags & ST_NODEV) f |= MS_NODEV;
  if (s.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
  if (s.f_flags & ST_SYNCHRONOUS) f |= MS_SYNCHRONOUS;
  if (s.f_flags & ST_MANDLOCK) f |= MS_MANDLOCK;
  if (s.f_flags & ST_NOATIME) f |= MS_NOATIME;
  if (s.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (s.f_flags & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

#define KEPT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

/* A name for a target the mount syscalls can use: the host path itself, or /proc/self/fd/N of
 * the in-root target resolved now (so a mount made on it before is seen). */
struct target {
  char path[32];
  const char *name;
  long fd;
};

static long target_open(struct target *t, int inroot, const char *path) {
  t->fd = open_path(inroot, path);
  if (t->fd < 0) return t->fd;
  if (inroot) {
    c_fdpath(t->path, (int)t->fd);
    t->name = t->path;
  } else {
    t->name = path;
  }
  return 0;
}

static void target_close(struct target *t) {
  if (t->fd >= 0) x_close((int)t->fd);
  t->fd = -1;
}

static long op_mount(const i64 *ints, const char *const *s) {
  unsigned long flags = (unsigned long)ints[0], remount = (unsigned long)ints[3], prop = (unsigned long)ints[2];
  i64 cflags = ints[1];
  u64 aset = (u64)ints[4], aclr = (u64)ints[5];
  const char *src = *s[0] ? s[0] : 0, *tgt = s[1], *fstype = *s[2] ? s[2] : 0, *data = *s[3] ? s[3] : 0;
  int inroot = !(cflags & CAPSA_MNT_TARGET_HOST);
  char srcname[32];
  long srcfd = -1, r = 0;
  struct target t;

  if (cflags & ~(i64)(CAPSA_MNT_TARGET_HOST | CAPSA_MNT_MKDIR | CAPSA_MNT_MKFILE_IF_FILE | CAPSA_MNT_SOURCE_IN_ROOT))
    return -EINVAL;
  if (cflags & CAPSA_MNT_SOURCE_IN_ROOT) {
    if (!src) return -EINVAL;
    srcfd = open_in_root(src);
    if (srcfd < 0) return srcfd;
    c_fdpath(srcname, (int)srcfd);
    src = srcname;
  }
  if (cflags & (CAPSA_MNT_MKDIR | CAPSA_MNT_MKFILE_IF_FILE)) {
    int dir = 1;
    if ((cflags & CAPSA_MNT_MKFILE_IF_FILE) && src) {
      struct statx sx;
      r = srcfd >= 0 ? x_statx((int)srcfd, "", AT_EMPTY_PATH, STATX_TYPE, &sx) : x_statx(AT_FDCWD, src, 0, STATX_TYPE, &sx);
      if (r < 0) goto out;
      dir = S_ISDIR(sx.stx_mode);
    }
    if (!dir) r = mkfile_p(inroot, tgt);
    else if (cflags & CAPSA_MNT_MKDIR) r = mkdir_p(inroot, tgt, 0755);
    if (r < 0) goto out;
  }
  /* A propagation- or attribute-only op has no source, no fstype and no flags. */
  if (flags || src || fstype) {
    if ((r = target_open(&t, inroot, tgt)) < 0) goto out;
    r = x_mount(src, t.name, fstype, flags, data);
    target_close(&t);
    if (r < 0) goto out;
  }
  if (remount) {
    if ((r = target_open(&t, inroot, tgt)) < 0) goto out;
    r = x_mount(0, t.name, 0, MS_REMOUNT | MS_BIND | remount, 0);
    if (r == -EPERM) {
      /* Locked flags (a mount from another user namespace) must be kept. */
      long cur = mount_flags((int)t.fd);
      if (cur >= 0) r = x_mount(0, t.name, 0, MS_REMOUNT | MS_BIND | remount | ((unsigned long)cur & KEPT_FLAGS), 0);
    }
    target_close(&t);
    if (r < 0) goto out;
  }
  if (prop) {
    if ((r = target_open(&t, inroot, tgt)) < 0) goto out;
    r = x_mount(0, t.name, 0, prop, 0);
    target_close(&t);
    if (r < 0) goto out;
  }
  if (aset || aclr) {
    if ((r = target_open(&t, inroot, tgt)) < 0) goto out;
    struct mount_attr attr = {aset, aclr, 0, 0};
    r = S5(__NR_mount_setattr, t.fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
    target_close(&t);
  }
out:
  if (srcfd >= 0) x_close((int)srcfd);
  return r;
}

static u32 encode_dev(u64 major, u64 minor) {
  return (u32)((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffULL) << 12));
}

static long op_mknod(const i64 *ints, const char *path) {
  char buf[PATH_BUF];
  const char *base;
  long pfd = open_parent_in_root(path, buf, &base);
  if (pfd < 0) return pfd;
  u32 mode = (u32)ints[0];
  long r = S4(__NR_mknodat, pfd, base, mode, encode_dev((u64)ints[1], (u64)ints[2]));
  if (r == 0) r = S4(__NR_fchmodat, pfd, base, mode & 07777, 0);
  if (r == 0) r = S5(__NR_fchownat, pfd, base, (u32)ints[3], (u32)ints[4], AT_SYMLINK_NOFOLLOW);
  x_close((int)pfd);
  return r;
}

static long op_bind_dev(const char *src, const char *path) {
  long r = mkfile_p(1, path);
  if (r < 0) return r;
  struct target t;
  if ((r = target_open(&t, 1, path)) < 0) return r;
  r = x_mount(src, t.name, 0, MS_BIND, 0);
  target_close(&t);
  return r;
}

static long op_symlink(const char *target, const char *path) {
  char buf[PATH_BUF];
  const char *base;
  long pfd = open_parent_in_root(path, buf, &base);
  if (pfd == -EEXIST) return 0;
  if (pfd < 0) return pfd;
  long r = S3(__NR_symlinkat, target, pfd, base);
  x_close((int)pfd);
  return r == -EEXIST ? 0 : r;
}

static long reset_root_to_slash(void) {
  if (root_fd >= 0) x_close(root_fd);
  root_fd = -1;
  root_path = "/";
  return get_root();
}

static long op_pivot_root(void) {
  if (!root_path) return -EINVAL;
  long r, newroot, oldroot;
  newroot = x_openat(AT_FDCWD, root_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0);
  if (newroot < 0) return newroot;
  oldroot = x_openat(AT_FDCWD, "/", O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0);
  if (oldroot < 0) {
    x_close((int)newroot);
    return oldroot;
  }
  if ((r = S1(__NR_fchdir, newroot)) < 0) goto out;
  if ((r = S2(__NR_pivot_root, ".", ".")) < 0) goto out;
  /* The old root is now stacked under the new one, both at ".". */
  if ((r = S1(__NR_fchdir, oldroot)) < 0) goto out;
  if ((r = x_mount(0, ".", 0, MS_SLAVE | MS_REC, 0)) < 0) goto out;
  if ((r = S2(__NR_umount2, ".", MNT_DETACH)) < 0) goto out;
  if ((r = S1(__NR_chdir, "/")) < 0) goto out;
  r = reset_root_to_slash();
out:
  x_close((int)newroot);
  x_close((int)oldroot);
  return r < 0 ? r : 0;
}

static long op_move_root(void) {
  if (!root_path) return -EINVAL;
  long r, newroot = x_openat(AT_FDCWD, root_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0);
  if (newroot < 0) return newroot;
  if ((r = S1(__NR_fchdir, newroot)) < 0) goto out;
  if ((r = x_mount(".", "/", 0, MS_MOVE, 0)) < 0) goto out;
  if ((r = S1(__NR_chroot, ".")) < 0) goto out;
  if ((r = S1(__NR_chdir, "/")) < 0) goto out;
  r = reset_root_to_slash();
out:
  x_close((int)newroot);
  return r < 0 ? r : 0;
}

static long op_mask(const char *path) {
  struct target t;
  long r = target_open(&t, 1, path);
  if (r == -ENOENT) return 0;
  if (r < 0) return r;
  long type = file_type((int)t.fd);
  if (type < 0) r = type;
  else if (type == S_IFDIR) r = x_mount("tmpfs", t.name, "tmpfs", MS_RDONLY, 0);
  else r = x_mount("/dev/null", t.name, 0, MS_BIND, 0);
  target_close(&t);
  return r;
}

static long op_readonly(const char *path) {
  struct target t;
  long r = target_open(&t, 1, path);
  if (r == -ENOENT) return 0;
  if (r < 0) return r;
  r = x_mount(t.name, t.name, 0, MS_BIND | MS_REC, 0);
  target_close(&t);
  if (r < 0) return r;
  if ((r = target_open(&t, 1, path)) < 0) return r;
  long cur = mount_flags((int)t.fd);
  if (cur < 0) r = cur;
  else r = x_mount(0, t.name, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | ((unsigned long)cur & KEPT_FLAGS), 0);
  target_close(&t);
  return r;
}

static long op_remount_root(unsigned long flags) {
  long fd = x_openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return fd;
  long cur = mount_flags((int)fd);
  x_close((int)fd);
  if (cur < 0) return cur;
  return x_mount(0, "/", 0, MS_BIND | MS_REMOUNT | flags | ((unsigned long)cur & KEPT_FLAGS), 0);
}

/* ---- process state ---------------------------------------------------------------------- */

static long op_write_file(i64 flags, const char *path, const char *content, u32 len) {
  long fd = x_openat(AT_FDCWD, path, O_WRONLY | O_NOCTTY | O_CLOEXEC, 0);
  if (fd == -ENOENT && (flags & CAPSA_WF_IGNORE_ENOENT)) return 0;
  if (fd < 0) return fd;
  long r;
  u32 done = 0;
  do {
    r = x_write((int)fd, content + done, len - done);
    if (r == -EINTR) {
      r = 0;
      continue;
    }
    if (r < 0) break;
    if (r == 0 && len) {
      r = -EIO;
      break;
    }
    done += (u32)r;
  } while (done < len);
  x_close((int)fd);
  return r < 0 ? r : 0;
}

static long op_cap_bounding(u64 keep, i64 last) {
  for (i64 c = 0; c <= last; c++) {
    if (keep >> c & 1) continue;
    long r = S5(__NR_prctl, PR_CAPBSET_DROP, c, 0, 0, 0);
    if (r < 0 && r != -EINVAL) return r; /* EINVAL: a capability this kernel does not know */
  }
  return 0;
}

static long op_capset(const i64 *v) {
  struct cap_header h = {LINUX_CAPABILITY_VERSION_3, 0};
  struct cap_data d[2] = {
    {(u32)v[0], (u32)v[2], (u32)v[4]},
    {(u32)v[1], (u32)v[3], (u32)v[5]},
  };
  return S2(__NR_capset, &h, d);
}

static long op_cap_ambient(u64 mask, i64 last) {
  long r = S5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (r < 0) return r;
  for (i64 c = 0; c <= last; c++) {
    if (!(mask >> c & 1)) continue;
    r = S5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
    if (r < 0) return r;
  }
  return 0;
}

static long op_fork_pidns(void) {
  int p[2];
  long r = S2(__NR_pipe2, p, O_CLOEXEC);
  if (r < 0) return r;
  long pid = S5(__NR_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    x_close(p[0]);
    x_close(p[1]);
    return pid;
  }
  if (pid > 0) {
    /* The runtime must learn the new pid before the child sends anything: the child waits
     * for this process to exit (end of file on the pipe). */
    send_msg(CAPSA_MSG_PID, (u32)pid, 0);
    x_exit(0);
  }
  x_close(p[1]);
  char c;
  do r = x_read(p[0], &c, 1);
  while (r == -EINTR || r > 0);
  x_close(p[0]);
  return 0;
}

/* Waits for the runtime's MSG_ACK: 0 to go on, or -errno. */
static long wait_ack(void) {
  struct msg m;
  long r = RETRY(S6(__NR_recvfrom, sync_fd, &m, sizeof m, 0, 0, 0));
  if (r < 0) return r;
  if (r == 0) return -EPIPE;
  if (r != sizeof m || m.type != CAPSA_MSG_ACK) return -EPROTO;
  if (m.b) return m.b > 0 ? -(long)m.b : (long)m.b;
  return 0;
}

static long op_sync(u32 tag) {
  long r = send_msg(CAPSA_MSG_SYNC, tag, 0);
  if (r < 0) return r;
  return wait_ack();
}

static long op_wait_fifo(void) {
  if (fifo_fd < 0) return -EBADF;
  char path[32];
  c_fdpath(path, fifo_fd);
  /* Probe first, while the runtime still listens: with no reader yet a non-blocking open for
   * writing fails ENXIO after the permission checks, so EACCES and friends are reported now
   * rather than after `create` has returned. */
  long fd = x_openat(AT_FDCWD, path, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd >= 0) x_close((int)fd);
  else if (fd != -ENXIO) return fd;
  long r = send_msg(CAPSA_MSG_READY, 0, 0);
  if (r < 0) return r;
  fd = RETRY(x_openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0));
  if (fd < 0) return fd;
  /* A reader that opened and closed at once still meant "start": no SIGPIPE, EPIPE is fine. */
  struct ksigaction ign = {(void *)1 /* SIG_IGN */, 0, 0, 0}, dfl = {0};
  S4(__NR_rt_sigaction, SIGPIPE, &ign, 0, 8);
  r = RETRY(x_write((int)fd, "0", 1));
  S4(__NR_rt_sigaction, SIGPIPE, &dfl, 0, 8);
  x_close((int)fd);
  x_close(fifo_fd);
  fifo_fd = -1;
  return r < 0 && r != -EPIPE ? r : 0;
}

/* runc's utils.SendFile framing: one message whose data is the file's name and whose control
 * carries the descriptor (SCM_RIGHTS). */
static long send_fd(int sock, const char *name, int fd) {
  long r = c_send_fd(sock, name, c_strlen(name), fd);
  return r < 0 ? r : 0;
}

/* The console (runc's setupConsole, then Setctty), in the container's mount namespace and
 * root: a pty from the container's devpts; the master goes to the runtime over the console
 * socket, the peer becomes stdio and the controlling terminal of this (new) session. */
static long op_console(const i64 *v) {
  int sock = (int)v[0];
  long r, master, peer = -1;
  master = x_openat(AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  if (master == -ENOENT) master = x_openat(AT_FDCWD, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  if (master < 0) return master;
  int unlock = 0;
  u32 n = 0;
  if ((r = S3(__NR_ioctl, master, TIOCSPTLCK, &unlock)) < 0) goto out;
  if ((r = S3(__NR_ioctl, master, TIOCGPTN, &n)) < 0) goto out;
  char name[32] = "/dev/pts/";
  c_utoa(name + 9, n);
  /* TIOCGPTPEER (Linux 4.13) opens the peer of this very master, without a path lookup. */
  peer = S3(__NR_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer == -EINVAL || peer == -ENOTTY) peer = x_openat(AT_FDCWD, name, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  if (peer < 0) {
    r = peer;
    goto out;
  }
  if (v[1] && v[2]) {
    struct winsize ws = {(u16)v[1], (u16)v[2], 0, 0};
    if ((r = S3(__NR_ioctl, peer, TIOCSWINSZ, &ws)) < 0) goto out;
  }
  if (v[4] >= 0) {
    /* The process's user owns its terminal; the gid stays the devpts mount's (runc's
     * fixStdioPermissions). An owner this namespace cannot map is left alone. */
    r = S3(__NR_fchown, peer, (u32)v[4], -1);
    if (r < 0 && r != -EINVAL && r != -EPERM && r != -EROFS) goto out;
  }
  if (v[3] & CAPSA_CONSOLE_MOUNT) {
    struct target t;
    if ((r = mkfile_p(1, "/dev/console")) < 0) goto out;
    if ((r = target_open(&t, 1, "/dev/console")) < 0) goto out;
    r = x_mount(name, t.name, 0, MS_BIND, 0);
    target_close(&t);
    if (r < 0) goto out;
  }
  if ((r = send_fd(sock, "/dev/ptmx", (int)master)) < 0) goto out;
  x_close(sock);
  for (int i = 0; i < 3; i++)
    if (peer != i && (r = x_dup3((int)peer, i, 0)) < 0) goto out;
  r = S3(__NR_ioctl, 0, TIOCSCTTY, 0);
out:
  if (peer > 2) x_close((int)peer);
  x_close((int)master);
  return r < 0 ? r : 0;
}

/* Loads the filter. With SECCOMP_FILTER_FLAG_NEW_LISTENER the kernel returns the notify fd:
 * it goes to the runtime at once (MSG_SYNC SYNC_SECCOMP_FD, then a message with data
 * "seccompFd" and the fd as SCM_RIGHTS), which passes it to linux.seccomp.listenerPath before
 * its ACK. Until the ACK no one can answer a notification, so the only syscalls made here after
 * the filter is in place are sendto, sendmsg and recvfrom (the plan refuses NOTIFY for them);
 * the close of this copy comes after the ACK. */
static long op_seccomp(i64 flags, const char *prog, u32 len) {
  if (len == 0 || len % 8 || len / 8 > 4096) return -EINVAL;
  struct sock_fprog fp = {(u16)(len / 8), prog};
  long r = S3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
  if (r < 0) return r;
  if (!((u64)flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return 0;
  int fd = (int)r;
  r = send_msg(CAPSA_MSG_SYNC, CAPSA_SYNC_SECCOMP_FD, 0);
  if (r >= 0) r = send_fd(sync_fd, "seccompFd", fd);
  if (r >= 0) r = wait_ack();
  x_close(fd);
  return r < 0 ? r : 0;
}

/* Tries dir/file for each directory of path (colon-separated; an empty entry is ".") until
 * try() returns something other than a "not here" error (ENOENT, ENOTDIR, ENAMETOOLONG,
 * ELOOP, EACCES, EISDIR). Returns that, else -EACCES when some candidate was refused
 * (execvp's rule) and eacces is set, else -ENOENT. */
static long path_search(const char *path, const char *file, int eacces_wins,
                        long (*try)(const char *cand, void *arg), void *arg) {
  char buf[PATH_BUF];
  usize flen = c_strlen(file);
  int eacces = 0;
  for (const char *seg = path;;) {
    const char *end = seg;
    while (*end && *end != ':') end++;
    usize dlen = (usize)(end - seg);
    if (dlen + 1 + flen + 1 <= sizeof buf) {
      usize k = 0;
      if (dlen == 0) buf[k++] = '.';
      memcpy(buf + k, seg, dlen);
      k += dlen;
      buf[k++] = '/';
      memcpy(buf + k, file, flen + 1);
      long r = try(buf, arg);
      if (r == -EACCES || r == -EISDIR) eacces = 1;
      else if (r != -ENOENT && r != -ENOTDIR && r != -ENAMETOOLONG && r != -ELOOP) return r;
    }
    if (!*end) break;
    seg = end + 1;
  }
  return eacces && eacces_wins ? -EACCES : -ENOENT;
}

/* An executable file for the process's user: not a directory, and execute permission as
 * faccessat2(AT_EACCESS) sees it (the checks of Go's exec.LookPath, which runc uses). */
static long check_executable(const char *p, void *unused) {
  (void)unused;
  struct statx sx;
  long r = x_statx(AT_FDCWD, p, 0, STATX_TYPE | STATX_MODE, &sx);
  /* A seccomp profile loaded before the lookup (without noNewPrivileges) may refuse statx:
   * then nothing is known here, and the exec op's own execve decides. */
  if (r == -ENOSYS || r == -EPERM) return 0;
  if (r < 0) return r;
  if (S_ISDIR(sx.stx_mode)) return -EISDIR;
  r = S4(__NR_faccessat2, AT_FDCWD, p, X_OK, AT_EACCESS);
  if (r == -ENOSYS || r == -EPERM) return sx.stx_mode & 0111 ? 0 : -EACCES;
  return r;
}

static long op_lookup(const char *file, const char *path) {
  int slash = 0;
  for (const char *c = file; *c; c++) slash |= *c == '/';
  if (slash) return check_executable(file, 0);
  if (!*file) return -ENOENT;
  /* Like Go's LookPath: a bare name that is nowhere executable is "not found". */
  return path_search(path, file, 0, check_executable, 0);
}

struct exec_args {
  char **argv, **envp;
};

static long try_execve(const char *cand, void *arg) {
  const struct exec_args *a = (const struct exec_args *)arg;
  return S3(__NR_execve, cand, a->argv, a->envp);
}

static long op_exec(const struct opv *o) {
  i64 argc = o->ints[0], envc = o->ints[1], search = o->ints[2], keep = o->ints[3];
  usize bytes = ((usize)argc + (usize)envc + 2) * sizeof(char *);
  long m = S6(__NR_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (MAP_FAILED_P(m)) return m;
  char **argv = (char **)m, **envp = argv + argc + 1;
  const u8 *p = o->strs;
  const char *file = str_next(&p, 0);
  for (i64 i = 0; i < argc; i++) argv[i] = (char *)str_next(&p, 0);
  argv[argc] = 0;
  for (i64 i = 0; i < envc; i++) envp[i] = (char *)str_next(&p, 0);
  envp[envc] = 0;
  const char *path = search ? str_next(&p, 0) : "";

  long r = c_cloexec_from((unsigned)(3 + keep));
  if (r < 0) return r;
  int slash = 0;
  for (const char *c = file; *c; c++) slash |= *c == '/';
  if (!search || slash || !*file) return S3(__NR_execve, file, argv, envp);
  struct exec_args a = {argv, envp};
  return path_search(path, file, 1, try_execve, &a);
}

/* ---- the interpreter -------------------------------------------------------------------- */

static long run_op(const struct opv *o) {
  const i64 *v = o->ints;
  const char *s[4] = {"", "", "", ""};
  u32 slen[4] = {0, 0, 0, 0};
  const u8 *p = o->strs;
  for (u32 j = 0; j < o->nstrs && j < 4; j++) s[j] = str_next(&p, &slen[j]);

  switch (o->code) {
  case CAPSA_OP_NOP:
    return 0;
  case CAPSA_OP_SETNS: {
    long fd = x_openat(AT_FDCWD, s[0], O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    long r = S2(__NR_setns, fd, v[0]);
    x_close((int)fd);
    return r;
  }
  case CAPSA_OP_UNSHARE:
    return S1(__NR_unshare, v[0]);
  case CAPSA_OP_FORK_PIDNS:
    return op_fork_pidns();
  case CAPSA_OP_SYNC:
    return op_sync((u32)v[0]);
  case CAPSA_OP_SET_ROOT: {
    long fd = x_openat(AT_FDCWD, s[0], O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    if (root_fd >= 0) x_close(root_fd);
    root_fd = (int)fd;
    root_path = s[0];
    return 0;
  }
  case CAPSA_OP_MOUNT:
    return op_mount(v, s);
  case CAPSA_OP_MKDIR:
    return mkdir_p(1, s[0], v[0]);
  case CAPSA_OP_MKNOD:
    return op_mknod(v, s[0]);
  case CAPSA_OP_BIND_DEV:
    return op_bind_dev(s[0], s[1]);
  case CAPSA_OP_SYMLINK:
    return op_symlink(s[0], s[1]);
  case CAPSA_OP_PIVOT_ROOT:
    return op_pivot_root();
  case CAPSA_OP_MOVE_ROOT:
    return op_move_root();
  case CAPSA_OP_MASK:
    return op_mask(s[0]);
  case CAPSA_OP_READONLY:
    return op_readonly(s[0]);
  case CAPSA_OP_SETHOSTNAME:
    return S2(__NR_sethostname, s[0], slen[0]);
  case CAPSA_OP_SETDOMAINNAME:
    return S2(__NR_setdomainname, s[0], slen[0]);
  case CAPSA_OP_WRITE_FILE:
    return op_write_file(v[0], s[0], s[1], slen[1]);
  case CAPSA_OP_SETRLIMIT: {
    struct rlimit64 rl = {(u64)v[1], (u64)v[2]};
    return S4(__NR_prlimit64, 0, v[0], &rl, 0);
  }
  case CAPSA_OP_PRCTL: {
    long r = S5(__NR_prctl, v[0], v[1], v[2], 0, 0);
    return r < 0 ? r : 0;
  }
  case CAPSA_OP_SETGROUPS:
    for (u32 i = 0; i < o->nints; i++) groups[i] = (u32)v[i];
    return S2(__NR_setgroups, o->nints, groups);
  case CAPSA_OP_SETRESGID:
    return S3(__NR_setresgid, v[0], v[0], v[0]);
  case CAPSA_OP_SETRESUID:
    return S3(__NR_setresuid, v[0], v[0], v[0]);
  case CAPSA_OP_UMASK: {
    S1(__NR_umask, v[0] & 0777);
    return 0;
  }
  case CAPSA_OP_CAP_BOUNDING:
    return op_cap_bounding((u64)(u32)v[0] | (u64)(u32)v[1] << 32, v[2]);
  case CAPSA_OP_CAPSET:
    return op_capset(v);
  case CAPSA_OP_CAP_AMBIENT:
    return op_cap_ambient((u64)(u32)v[0] | (u64)(u32)v[1] << 32, v[2]);
  case CAPSA_OP_CHDIR:
    return S1(__NR_chdir, s[0]);
  case CAPSA_OP_OPEN_FIFO: {
    long fd = x_openat(AT_FDCWD, s[0], O_PATH | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    if (fifo_fd >= 0) x_close(fifo_fd);
    fifo_fd = (int)fd;
    return 0;
  }
  case CAPSA_OP_WAIT_FIFO:
    return op_wait_fifo();
  case CAPSA_OP_SETSID: {
    long r = S0(__NR_setsid);
    return r < 0 ? r : 0;
  }
  case CAPSA_OP_SECCOMP:
    return op_seccomp(v[0], s[0], slen[0]);
  case CAPSA_OP_EXEC:
    return op_exec(o);
  case CAPSA_OP_LOOKUP:
    return op_lookup(s[0], s[1]);
  case CAPSA_OP_REMOUNT_ROOT:
    return op_remount_root((unsigned long)v[0]);
  case CAPSA_OP_CONSOLE:
    return op_console(v);
  }
  return -EINVAL;
}

__attribute__((used)) HIDDEN int init_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  S5(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  c_reset_signals();
  if (argc < 2 || !argv[1][0]) return 2;
  long fd = 0;
  for (const char *c = argv[1]; *c; c++) {
    if (*c < '0' || *c > '9' || fd > 1000000) return 2;
    fd = fd * 10 + (*c - '0');
  }
  sync_fd = (int)fd;
  if (x_fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) return 2;

  long n = RETRY(S6(__NR_recvfrom, sync_fd, program, sizeof program, MSG_TRUNC, 0, 0));
  if (n == 0) return 1;
  if (n < 0) fail(BAD_PROGRAM, -n);
  if ((usize)n > sizeof program || !validate(program, (usize)n)) fail(BAD_PROGRAM, EINVAL);

  u32 count = rd32(program + 8);
  const u8 *op = program + 16;
  for (u32 i = 0; i < count; i++) {
    struct opv o;
    o.code = rd16(op);
    o.nints = rd16(op + 2);
    o.nstrs = rd16(op + 4);
    o.index = rd32(op + 12);
    o.ints = (const i64 *)(op + 16);
    o.strs = op + 16 + (usize)o.nints * 8;
    long r = run_op(&o);
    if (r < 0) fail(o.index, -r);
    op += rd32(op + 8);
  }
  return 0;
}

#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call init_main\n"
        "  mov %eax, %edi\n"
        "  mov $231, %eax\n"
        "  syscall\n"
        "  hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        ".type _start,%function\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x30, #0\n"
        "  mov x0, sp\n"
        "  bl init_main\n"
        "  mov x8, #94\n"
        "  svc #0\n");
#endif
