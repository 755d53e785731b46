// The init program's instruction set: the one source of truth for opcodes, their argument
// layout and the sync protocol. `npm run build` generates native-syscalls/gen/ops.h from this
// table (through the core's `tables` export), so C and the core cannot disagree.
//
// Binary layout (little endian), documented in core/PROGRAM.md:
//   header: u32 magic "CPSA", u16 version, u16 flags, u32 op count, u32 total size
//   op:     u16 code, u16 nints, u16 nstrs, u16 reserved, u32 size (8-aligned), u32 index
//           i64 ints[nints]
//           nstrs × { u32 len, bytes, NUL }, then zero padding to 8 bytes

export const PROGRAM_MAGIC: u32 = 0x41535043; // "CPSA" read as little-endian u32
export const PROGRAM_VERSION: u16 = 1;

export class OpDef {
  constructor(
    public code: i32,
    public name: string,
    public ints: string, // comma-separated names of the integer arguments ("*" = variable)
    public strs: string, // comma-separated names of the string arguments ("*" = variable)
    public doc: string,
  ) {}
}

export const OP_NOP = 0;
export const OP_SETNS = 1;
export const OP_UNSHARE = 2;
export const OP_FORK_PIDNS = 3;
export const OP_SYNC = 4;
export const OP_SET_ROOT = 5;
export const OP_MOUNT = 6;
export const OP_MKDIR = 7;
export const OP_MKNOD = 8;
export const OP_BIND_DEV = 9;
export const OP_SYMLINK = 10;
export const OP_PIVOT_ROOT = 11;
export const OP_MOVE_ROOT = 12;
export const OP_MASK = 13;
export const OP_READONLY = 14;
export const OP_SETHOSTNAME = 15;
export const OP_SETDOMAINNAME = 16;
export const OP_WRITE_FILE = 17;
export const OP_SETRLIMIT = 18;
export const OP_PRCTL = 19;
export const OP_SETGROUPS = 20;
export const OP_SETRESGID = 21;
export const OP_SETRESUID = 22;
export const OP_UMASK = 23;
export const OP_CAP_BOUNDING = 24;
export const OP_CAPSET = 25;
export const OP_CAP_AMBIENT = 26;
export const OP_CHDIR = 27;
export const OP_OPEN_FIFO = 28;
export const OP_WAIT_FIFO = 29;
export const OP_SETSID = 30;
export const OP_SECCOMP = 31;
export const OP_EXEC = 32;
export const OP_REMOUNT_ROOT = 33;
export const OP_CONSOLE = 34;
export const OP_LOOKUP = 35;

export const OPS: OpDef[] = [
  new OpDef(OP_NOP, "nop", "", "", "does nothing"),
  new OpDef(OP_SETNS, "setns", "nstype", "path", "joins the namespace at a host path (opened before anything moves)"),
  new OpDef(OP_UNSHARE, "unshare", "flags", "", "creates new namespaces (CLONE_NEW* flags)"),
  new OpDef(OP_FORK_PIDNS, "fork_pidns", "", "", "clone(CLONE_PARENT): the child goes on as the init inside the pid namespace; the parent reports its pid and exits"),
  new OpDef(OP_SYNC, "sync", "tag", "", "sends SYNC(tag) to the runtime and waits for its ACK"),
  new OpDef(OP_SET_ROOT, "set_root", "", "path", "opens the rootfs directory: later in-root paths resolve beneath it"),
  new OpDef(OP_MOUNT, "mount", "flags,cflags,propagation,remount,attr_set,attr_clr", "source,target,fstype,data",
    "mounts source on an in-root target (resolved without leaving the rootfs), then remounts, sets propagation and mount attributes"),
  new OpDef(OP_MKDIR, "mkdir", "mode", "path", "creates an in-root directory and its parents"),
  new OpDef(OP_MKNOD, "mknod", "mode,major,minor,uid,gid", "path", "creates an in-root device node and chowns it"),
  new OpDef(OP_BIND_DEV, "bind_dev", "", "source,path", "creates an in-root file and bind-mounts a host device over it"),
  new OpDef(OP_SYMLINK, "symlink", "", "target,path", "creates an in-root symlink (EEXIST is not an error)"),
  new OpDef(OP_PIVOT_ROOT, "pivot_root", "", "", "pivot_root into the rootfs and detaches the old root"),
  new OpDef(OP_MOVE_ROOT, "move_root", "", "", "MS_MOVE the rootfs onto / and chroot (--no-pivot)"),
  new OpDef(OP_MASK, "mask", "", "path", "bind /dev/null over a file or a read-only tmpfs over a directory; a missing path is skipped"),
  new OpDef(OP_READONLY, "readonly", "", "path", "bind-remounts a path read-only; a missing path is skipped"),
  new OpDef(OP_SETHOSTNAME, "sethostname", "", "name", "sethostname(2)"),
  new OpDef(OP_SETDOMAINNAME, "setdomainname", "", "name", "setdomainname(2)"),
  new OpDef(OP_WRITE_FILE, "write_file", "flags", "path,content", "writes content to an existing file (sysctls, oom_score_adj)"),
  new OpDef(OP_SETRLIMIT, "setrlimit", "resource,soft,hard", "", "prlimit(0, resource)"),
  new OpDef(OP_PRCTL, "prctl", "option,arg2,arg3", "", "prctl(2)"),
  new OpDef(OP_SETGROUPS, "setgroups", "*", "", "setgroups(2) with every integer argument"),
  new OpDef(OP_SETRESGID, "setresgid", "gid", "", "setresgid(gid, gid, gid)"),
  new OpDef(OP_SETRESUID, "setresuid", "uid", "", "setresuid(uid, uid, uid)"),
  new OpDef(OP_UMASK, "umask", "mask", "", "umask(2)"),
  new OpDef(OP_CAP_BOUNDING, "cap_bounding", "keep_lo,keep_hi,last_cap", "", "PR_CAPBSET_DROP every capability up to last_cap not in the keep mask"),
  new OpDef(OP_CAPSET, "capset", "eff_lo,eff_hi,perm_lo,perm_hi,inh_lo,inh_hi", "", "capset(2), version 3"),
  new OpDef(OP_CAP_AMBIENT, "cap_ambient", "lo,hi,last_cap", "", "clears the ambient set, then raises each capability in the mask"),
  new OpDef(OP_CHDIR, "chdir", "", "path", "chdir(2)"),
  new OpDef(OP_OPEN_FIFO, "open_fifo", "", "path", "opens the exec fifo (O_PATH) while the host's paths are still visible"),
  new OpDef(OP_WAIT_FIFO, "wait_fifo", "", "", "reports READY, then blocks opening the exec fifo for writing until start opens it"),
  new OpDef(OP_SETSID, "setsid", "", "", "setsid(2)"),
  new OpDef(OP_SECCOMP, "seccomp", "flags", "program",
    "seccomp(SECCOMP_SET_MODE_FILTER) with the program's bytes; with SECCOMP_FILTER_FLAG_NEW_LISTENER, hands the listener to the runtime at once (SYNC_SECCOMP_FD, then the fd with SCM_RIGHTS), waits for its ACK and closes its copy"),
  new OpDef(OP_EXEC, "exec", "argc,envc,search,keep_fds", "*", "marks every fd above 2+keep_fds close-on-exec, then execve(strs[0], strs[1..argc], strs[argc+1..argc+envc]); with search, looks strs[0] up in the colon-separated directories of the string after the environment (empty = .), as lookup does"),
  new OpDef(OP_REMOUNT_ROOT, "remount_root", "flags", "", "remounts / with flags (read-only rootfs), keeping its other flags"),
  new OpDef(OP_CONSOLE, "console", "sock_fd,rows,cols,flags,uid", "",
    "opens a pty (/dev/ptmx, else /dev/pts/ptmx), unlocks it, sizes it (rows and cols both nonzero), chowns the peer to uid (-1: no), binds it over /dev/console (CONSOLE_MOUNT), sends the master over sock_fd as runc does (data \"/dev/ptmx\", SCM_RIGHTS) and closes sock_fd, then dups the peer onto 0, 1, 2 and makes it the controlling terminal"),
  new OpDef(OP_LOOKUP, "lookup", "", "file,path",
    "checks that the process's executable exists and may be executed, as the exec op will find it: a file with a slash must be an executable non-directory (ENOENT, EACCES, EISDIR...); a bare name must be one in some directory of path (colon-separated, empty = .), else ENOENT; a statx refused with EPERM or ENOSYS (a seccomp profile) counts as found, and exec decides"),
];

// OP_MOUNT cflags: how the interpreter treats source and target.
export const MNT_TARGET_HOST: i64 = 1; // target is an absolute host path, not in-root
export const MNT_MKDIR: i64 = 2; // create the target directory if missing
export const MNT_MKFILE_IF_FILE: i64 = 4; // bind mount: create a file target when the source is not a directory
export const MNT_SOURCE_IN_ROOT: i64 = 8; // source is in-root too (resolved like the target)

// OP_WRITE_FILE flags
export const WF_IGNORE_ENOENT: i64 = 1;

// OP_CONSOLE flags
export const CONSOLE_MOUNT: i64 = 1; // bind the pty over /dev/console (the container's init, not exec)

// Sync protocol: 16-byte messages {u32 type, u32 a, i32 b, u32 c} on the sync socket.
export const MSG_SYNC = 1; // init → runtime: a = tag; the runtime answers MSG_ACK
export const MSG_ERROR = 2; // init → runtime: a = op index, b = errno; the init then exits
export const MSG_PID = 3; // init → runtime: a = pid of the init inside a new pid namespace
export const MSG_READY = 4; // init → runtime: about to wait on the exec fifo
export const MSG_ACK = 5; // runtime → init: b = 0 to go on, or an errno to fail the sync op

export const SYNC_USERMAP = 1; // the runtime writes uid_map/gid_map/setgroups
export const SYNC_CREATE_RUNTIME = 2; // createRuntime hooks (runtime namespace)
export const SYNC_CREATE_CONTAINER = 3; // createContainer hooks (container namespaces, before pivot)
// The seccomp op's notify listener: right after this MSG_SYNC the init sends one more message,
// data "seccompFd" and one SCM_RIGHTS descriptor (the listener). The runtime passes it on to
// linux.seccomp.listenerPath before its ACK.
export const SYNC_SECCOMP_FD = 4;

// seccomp(2) filter flags the plan sets itself.
export const SECCOMP_FILTER_FLAG_TSYNC: i64 = 1;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER: i64 = 8;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH: i64 = 16;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: i64 = 32;

export class ConstDef {
  constructor(public name: string, public value: i64) {}
}

export const CONSTS: ConstDef[] = [
  new ConstDef("PROGRAM_MAGIC", <i64>PROGRAM_MAGIC),
  new ConstDef("PROGRAM_VERSION", <i64>PROGRAM_VERSION),
  new ConstDef("MNT_TARGET_HOST", MNT_TARGET_HOST),
  new ConstDef("MNT_MKDIR", MNT_MKDIR),
  new ConstDef("MNT_MKFILE_IF_FILE", MNT_MKFILE_IF_FILE),
  new ConstDef("MNT_SOURCE_IN_ROOT", MNT_SOURCE_IN_ROOT),
  new ConstDef("WF_IGNORE_ENOENT", WF_IGNORE_ENOENT),
  new ConstDef("CONSOLE_MOUNT", CONSOLE_MOUNT),
  new ConstDef("MSG_SYNC", MSG_SYNC),
  new ConstDef("MSG_ERROR", MSG_ERROR),
  new ConstDef("MSG_PID", MSG_PID),
  new ConstDef("MSG_READY", MSG_READY),
  new ConstDef("MSG_ACK", MSG_ACK),
  new ConstDef("SYNC_USERMAP", SYNC_USERMAP),
  new ConstDef("SYNC_CREATE_RUNTIME", SYNC_CREATE_RUNTIME),
  new ConstDef("SYNC_CREATE_CONTAINER", SYNC_CREATE_CONTAINER),
  new ConstDef("SYNC_SECCOMP_FD", SYNC_SECCOMP_FD),
];
