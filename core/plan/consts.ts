// Linux constants the plan writes into the init program (x86_64 and aarch64 agree on all of
// them). Values from the kernel's uapi headers.

// clone(2) / unshare(2) / setns(2)
export const CLONE_NEWTIME: i64 = 0x00000080;
export const CLONE_NEWNS: i64 = 0x00020000;
export const CLONE_NEWCGROUP: i64 = 0x02000000;
export const CLONE_NEWUTS: i64 = 0x04000000;
export const CLONE_NEWIPC: i64 = 0x08000000;
export const CLONE_NEWUSER: i64 = 0x10000000;
export const CLONE_NEWPID: i64 = 0x20000000;
export const CLONE_NEWNET: i64 = 0x40000000;

// mount(2)
export const MS_RDONLY: i64 = 1;
export const MS_NOSUID: i64 = 2;
export const MS_NODEV: i64 = 4;
export const MS_NOEXEC: i64 = 8;
export const MS_SYNCHRONOUS: i64 = 16;
export const MS_REMOUNT: i64 = 32;
export const MS_MANDLOCK: i64 = 64;
export const MS_DIRSYNC: i64 = 128;
export const MS_NOSYMFOLLOW: i64 = 256;
export const MS_NOATIME: i64 = 1024;
export const MS_NODIRATIME: i64 = 2048;
export const MS_BIND: i64 = 4096;
export const MS_REC: i64 = 16384;
export const MS_SILENT: i64 = 32768;
export const MS_POSIXACL: i64 = 1 << 16;
export const MS_UNBINDABLE: i64 = 1 << 17;
export const MS_PRIVATE: i64 = 1 << 18;
export const MS_SLAVE: i64 = 1 << 19;
export const MS_SHARED: i64 = 1 << 20;
export const MS_RELATIME: i64 = 1 << 21;
export const MS_I_VERSION: i64 = 1 << 23;
export const MS_STRICTATIME: i64 = 1 << 24;
export const MS_LAZYTIME: i64 = 1 << 25;

// mount_setattr(2)
export const MOUNT_ATTR_RDONLY: i64 = 0x1;
export const MOUNT_ATTR_NOSUID: i64 = 0x2;
export const MOUNT_ATTR_NODEV: i64 = 0x4;
export const MOUNT_ATTR_NOEXEC: i64 = 0x8;
export const MOUNT_ATTR__ATIME: i64 = 0x70;
export const MOUNT_ATTR_RELATIME: i64 = 0x0;
export const MOUNT_ATTR_NOATIME: i64 = 0x10;
export const MOUNT_ATTR_STRICTATIME: i64 = 0x20;
export const MOUNT_ATTR_NODIRATIME: i64 = 0x80;
export const MOUNT_ATTR_NOSYMFOLLOW: i64 = 0x200000;

// prctl(2)
export const PR_SET_KEEPCAPS: i64 = 8;
export const PR_SET_NO_NEW_PRIVS: i64 = 38;

// stat(2) file types for mknod(2)
export const S_IFIFO: i64 = 0o010000;
export const S_IFCHR: i64 = 0o020000;
export const S_IFBLK: i64 = 0o060000;
