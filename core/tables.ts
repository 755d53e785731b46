// Shared tables: errno names, capability names, signal names, rlimit names. One source of
// truth for the core, the host (through the `tables` export) and the generated C header.

export class ErrnoDef {
  constructor(public n: i32, public name: string, public text: string) {}
}

export const ERRNOS: ErrnoDef[] = [
  new ErrnoDef(1, "EPERM", "Operation not permitted"),
  new ErrnoDef(2, "ENOENT", "No such file or directory"),
  new ErrnoDef(3, "ESRCH", "No such process"),
  new ErrnoDef(4, "EINTR", "Interrupted system call"),
  new ErrnoDef(5, "EIO", "Input/output error"),
  new ErrnoDef(6, "ENXIO", "No such device or address"),
  new ErrnoDef(7, "E2BIG", "Argument list too long"),
  new ErrnoDef(8, "ENOEXEC", "Exec format error"),
  new ErrnoDef(9, "EBADF", "Bad file descriptor"),
  new ErrnoDef(10, "ECHILD", "No child processes"),
  new ErrnoDef(11, "EAGAIN", "Resource temporarily unavailable"),
  new ErrnoDef(12, "ENOMEM", "Cannot allocate memory"),
  new ErrnoDef(13, "EACCES", "Permission denied"),
  new ErrnoDef(14, "EFAULT", "Bad address"),
  new ErrnoDef(15, "ENOTBLK", "Block device required"),
  new ErrnoDef(16, "EBUSY", "Device or resource busy"),
  new ErrnoDef(17, "EEXIST", "File exists"),
  new ErrnoDef(18, "EXDEV", "Invalid cross-device link"),
  new ErrnoDef(19, "ENODEV", "No such device"),
  new ErrnoDef(20, "ENOTDIR", "Not a directory"),
  new ErrnoDef(21, "EISDIR", "Is a directory"),
  new ErrnoDef(22, "EINVAL", "Invalid argument"),
  new ErrnoDef(23, "ENFILE", "Too many open files in system"),
  new ErrnoDef(24, "EMFILE", "Too many open files"),
  new ErrnoDef(25, "ENOTTY", "Inappropriate ioctl for device"),
  new ErrnoDef(26, "ETXTBSY", "Text file busy"),
  new ErrnoDef(27, "EFBIG", "File too large"),
  new ErrnoDef(28, "ENOSPC", "No space left on device"),
  new ErrnoDef(29, "ESPIPE", "Illegal seek"),
  new ErrnoDef(30, "EROFS", "Read-only file system"),
  new ErrnoDef(31, "EMLINK", "Too many links"),
  new ErrnoDef(32, "EPIPE", "Broken pipe"),
  new ErrnoDef(33, "EDOM", "Numerical argument out of domain"),
  new ErrnoDef(34, "ERANGE", "Numerical result out of range"),
  new ErrnoDef(35, "EDEADLK", "Resource deadlock avoided"),
  new ErrnoDef(36, "ENAMETOOLONG", "File name too long"),
  new ErrnoDef(37, "ENOLCK", "No locks available"),
  new ErrnoDef(38, "ENOSYS", "Function not implemented"),
  new ErrnoDef(39, "ENOTEMPTY", "Directory not empty"),
  new ErrnoDef(40, "ELOOP", "Too many levels of symbolic links"),
  new ErrnoDef(42, "ENOMSG", "No message of desired type"),
  new ErrnoDef(43, "EIDRM", "Identifier removed"),
  new ErrnoDef(44, "ECHRNG", "Channel number out of range"),
  new ErrnoDef(45, "EL2NSYNC", "Level 2 not synchronized"),
  new ErrnoDef(46, "EL3HLT", "Level 3 halted"),
  new ErrnoDef(47, "EL3RST", "Level 3 reset"),
  new ErrnoDef(48, "ELNRNG", "Link number out of range"),
  new ErrnoDef(49, "EUNATCH", "Protocol driver not attached"),
  new ErrnoDef(50, "ENOCSI", "No CSI structure available"),
  new ErrnoDef(51, "EL2HLT", "Level 2 halted"),
  new ErrnoDef(52, "EBADE", "Invalid exchange"),
  new ErrnoDef(53, "EBADR", "Invalid request descriptor"),
  new ErrnoDef(54, "EXFULL", "Exchange full"),
  new ErrnoDef(55, "ENOANO", "No anode"),
  new ErrnoDef(56, "EBADRQC", "Invalid request code"),
  new ErrnoDef(57, "EBADSLT", "Invalid slot"),
  new ErrnoDef(59, "EBFONT", "Bad font file format"),
  new ErrnoDef(60, "ENOSTR", "Device not a stream"),
  new ErrnoDef(61, "ENODATA", "No data available"),
  new ErrnoDef(62, "ETIME", "Timer expired"),
  new ErrnoDef(63, "ENOSR", "Out of streams resources"),
  new ErrnoDef(64, "ENONET", "Machine is not on the network"),
  new ErrnoDef(65, "ENOPKG", "Package not installed"),
  new ErrnoDef(66, "EREMOTE", "Object is remote"),
  new ErrnoDef(67, "ENOLINK", "Link has been severed"),
  new ErrnoDef(68, "EADV", "Advertise error"),
  new ErrnoDef(69, "ESRMNT", "Srmount error"),
  new ErrnoDef(70, "ECOMM", "Communication error on send"),
  new ErrnoDef(71, "EPROTO", "Protocol error"),
  new ErrnoDef(72, "EMULTIHOP", "Multihop attempted"),
  new ErrnoDef(73, "EDOTDOT", "RFS specific error"),
  new ErrnoDef(74, "EBADMSG", "Bad message"),
  new ErrnoDef(75, "EOVERFLOW", "Value too large for defined data type"),
  new ErrnoDef(76, "ENOTUNIQ", "Name not unique on network"),
  new ErrnoDef(77, "EBADFD", "File descriptor in bad state"),
  new ErrnoDef(78, "EREMCHG", "Remote address changed"),
  new ErrnoDef(79, "ELIBACC", "Can not access a needed shared library"),
  new ErrnoDef(80, "ELIBBAD", "Accessing a corrupted shared library"),
  new ErrnoDef(81, "ELIBSCN", ".lib section in a.out corrupted"),
  new ErrnoDef(82, "ELIBMAX", "Attempting to link in too many shared libraries"),
  new ErrnoDef(83, "ELIBEXEC", "Cannot exec a shared library directly"),
  new ErrnoDef(84, "EILSEQ", "Invalid or incomplete multibyte or wide character"),
  new ErrnoDef(85, "ERESTART", "Interrupted system call should be restarted"),
  new ErrnoDef(86, "ESTRPIPE", "Streams pipe error"),
  new ErrnoDef(87, "EUSERS", "Too many users"),
  new ErrnoDef(88, "ENOTSOCK", "Socket operation on non-socket"),
  new ErrnoDef(89, "EDESTADDRREQ", "Destination address required"),
  new ErrnoDef(90, "EMSGSIZE", "Message too long"),
  new ErrnoDef(91, "EPROTOTYPE", "Protocol wrong type for socket"),
  new ErrnoDef(92, "ENOPROTOOPT", "Protocol not available"),
  new ErrnoDef(93, "EPROTONOSUPPORT", "Protocol not supported"),
  new ErrnoDef(94, "ESOCKTNOSUPPORT", "Socket type not supported"),
  new ErrnoDef(95, "EOPNOTSUPP", "Operation not supported"),
  new ErrnoDef(96, "EPFNOSUPPORT", "Protocol family not supported"),
  new ErrnoDef(97, "EAFNOSUPPORT", "Address family not supported by protocol"),
  new ErrnoDef(98, "EADDRINUSE", "Address already in use"),
  new ErrnoDef(99, "EADDRNOTAVAIL", "Cannot assign requested address"),
  new ErrnoDef(100, "ENETDOWN", "Network is down"),
  new ErrnoDef(101, "ENETUNREACH", "Network is unreachable"),
  new ErrnoDef(102, "ENETRESET", "Network dropped connection on reset"),
  new ErrnoDef(103, "ECONNABORTED", "Software caused connection abort"),
  new ErrnoDef(104, "ECONNRESET", "Connection reset by peer"),
  new ErrnoDef(105, "ENOBUFS", "No buffer space available"),
  new ErrnoDef(106, "EISCONN", "Transport endpoint is already connected"),
  new ErrnoDef(107, "ENOTCONN", "Transport endpoint is not connected"),
  new ErrnoDef(108, "ESHUTDOWN", "Cannot send after transport endpoint shutdown"),
  new ErrnoDef(109, "ETOOMANYREFS", "Too many references: cannot splice"),
  new ErrnoDef(110, "ETIMEDOUT", "Connection timed out"),
  new ErrnoDef(111, "ECONNREFUSED", "Connection refused"),
  new ErrnoDef(112, "EHOSTDOWN", "Host is down"),
  new ErrnoDef(113, "EHOSTUNREACH", "No route to host"),
  new ErrnoDef(114, "EALREADY", "Operation already in progress"),
  new ErrnoDef(115, "EINPROGRESS", "Operation now in progress"),
  new ErrnoDef(116, "ESTALE", "Stale file handle"),
  new ErrnoDef(117, "EUCLEAN", "Structure needs cleaning"),
  new ErrnoDef(118, "ENOTNAM", "Not a XENIX named type file"),
  new ErrnoDef(119, "ENAVAIL", "No XENIX semaphores available"),
  new ErrnoDef(120, "EISNAM", "Is a named type file"),
  new ErrnoDef(121, "EREMOTEIO", "Remote I/O error"),
  new ErrnoDef(122, "EDQUOT", "Disk quota exceeded"),
  new ErrnoDef(123, "ENOMEDIUM", "No medium found"),
  new ErrnoDef(124, "EMEDIUMTYPE", "Wrong medium type"),
  new ErrnoDef(125, "ECANCELED", "Operation canceled"),
  new ErrnoDef(126, "ENOKEY", "Required key not available"),
  new ErrnoDef(127, "EKEYEXPIRED", "Key has expired"),
  new ErrnoDef(128, "EKEYREVOKED", "Key has been revoked"),
  new ErrnoDef(129, "EKEYREJECTED", "Key was rejected by service"),
  new ErrnoDef(130, "EOWNERDEAD", "Owner died"),
  new ErrnoDef(131, "ENOTRECOVERABLE", "State not recoverable"),
  new ErrnoDef(132, "ERFKILL", "Operation not possible due to RF-kill"),
];

export function errnoName(n: i32): string {
  for (let i = 0; i < ERRNOS.length; i++) if (ERRNOS[i].n == n) return ERRNOS[i].name;
  return "E" + n.toString();
}

/** Capability names without the CAP_ prefix, indexed by number (linux/capability.h). */
export const CAPS: string[] = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
];

/** CAP_NAME → number, or -1. */
export function capNumber(name: string): i32 {
  if (!name.startsWith("CAP_")) return -1;
  const short = name.substring(4);
  for (let i = 0; i < CAPS.length; i++) if (CAPS[i] == short) return i;
  return -1;
}

/** Signal names without the SIG prefix, indexed by number - 1 (x86_64 and aarch64 agree). */
export const SIGNALS: string[] = [
  "HUP",
  "INT",
  "QUIT",
  "ILL",
  "TRAP",
  "ABRT",
  "BUS",
  "FPE",
  "KILL",
  "USR1",
  "SEGV",
  "USR2",
  "PIPE",
  "ALRM",
  "TERM",
  "STKFLT",
  "CHLD",
  "CONT",
  "STOP",
  "TSTP",
  "TTIN",
  "TTOU",
  "URG",
  "XCPU",
  "XFSZ",
  "VTALRM",
  "PROF",
  "WINCH",
  "IO",
  "PWR",
  "SYS",
];
export const SIGRTMIN: i32 = 34;
export const SIGRTMAX: i32 = 64;

/** A signal name (with or without SIG, or RTMIN+n / RTMAX-n) or number → number, or -1. */
export function signalNumber(s: string): i32 {
  if (s.length == 0) return -1;
  let allDigits = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) { allDigits = false; break; }
  }
  if (allDigits) {
    if (s.length > 2) return -1;
    const n = I32.parseInt(s);
    return n >= 1 && n <= SIGRTMAX ? n : -1;
  }
  let name = s.toUpperCase();
  if (name.startsWith("SIG")) name = name.substring(3);
  for (let i = 0; i < SIGNALS.length; i++) if (SIGNALS[i] == name) return i + 1;
  if (name == "IOT") return 6;
  if (name == "POLL") return 29;
  if (name == "RTMIN") return SIGRTMIN;
  if (name == "RTMAX") return SIGRTMAX;
  if (name.startsWith("RTMIN+") || name.startsWith("RTMAX-")) {
    const off = name.substring(6);
    if (off.length == 0 || off.length > 2) return -1;
    for (let i = 0; i < off.length; i++) { const c = off.charCodeAt(i); if (c < 0x30 || c > 0x39) return -1; }
    const k = I32.parseInt(off);
    const n = name.startsWith("RTMIN+") ? SIGRTMIN + k : SIGRTMAX - k;
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : -1;
  }
  return -1;
}

/** POSIX rlimit names (RLIMIT_*) indexed by resource number on Linux. */
export const RLIMITS: string[] = [
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
  "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
];
export function rlimitNumber(name: string): i32 { return RLIMITS.indexOf(name); }
