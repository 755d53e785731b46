// Mount options → mount(2) flags, propagation, mount_setattr(2) attributes and the data string.
import { join } from "../strings";
import {
  MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_SYNCHRONOUS, MS_REMOUNT, MS_MANDLOCK, MS_DIRSYNC,
  MS_NOSYMFOLLOW, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_SILENT, MS_POSIXACL, MS_UNBINDABLE,
  MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_RELATIME, MS_I_VERSION, MS_STRICTATIME, MS_LAZYTIME,
  MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR__ATIME,
  MOUNT_ATTR_RELATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_NODIRATIME,
  MOUNT_ATTR_NOSYMFOLLOW,
} from "./consts";

// Every named option, space-separated; OPTION_VALUES holds, at the same index, the flag and
// what kind of option it is (a mount(2) flag, a propagation type, or a recursive attribute
// for mount_setattr(2)) and whether the option clears the flag instead of setting it. Options
// mean what runc's specconv gives them (config.md, "Linux mount options").
export const OPTION_NAMES =
  " acl async atime bind defaults dev diratime dirsync exec iversion lazytime loud mand noacl noatime nodev nodiratime noexec noiversion nolazytime nomand norelatime nostrictatime nosuid nosymfollow rbind relatime remount ro rw silent strictatime suid symfollow sync private shared slave unbindable rprivate rshared rslave runbindable rro rrw rnosuid rsuid rnodev rdev rnoexec rexec rnodiratime rdiratime rrelatime rnorelatime rnoatime ratime rstrictatime rnostrictatime rnosymfollow rsymfollow ";

const CLEAR: u32 = 0x80000000;
const PROP: u32 = 0x10000000;
const ATTR: u32 = 0x20000000;
const KIND: u32 = PROP | ATTR;

const OPTION_VALUES: StaticArray<u32> = [
  <u32>MS_POSIXACL, CLEAR | <u32>MS_SYNCHRONOUS, CLEAR | <u32>MS_NOATIME, <u32>MS_BIND, 0, CLEAR | <u32>MS_NODEV,
  CLEAR | <u32>MS_NODIRATIME, <u32>MS_DIRSYNC, CLEAR | <u32>MS_NOEXEC, <u32>MS_I_VERSION, <u32>MS_LAZYTIME,
  CLEAR | <u32>MS_SILENT, <u32>MS_MANDLOCK, CLEAR | <u32>MS_POSIXACL,
  <u32>MS_NOATIME, <u32>MS_NODEV, <u32>MS_NODIRATIME, <u32>MS_NOEXEC, CLEAR | <u32>MS_I_VERSION,
  CLEAR | <u32>MS_LAZYTIME, CLEAR | <u32>MS_MANDLOCK, CLEAR | <u32>MS_RELATIME, CLEAR | <u32>MS_STRICTATIME,
  <u32>MS_NOSUID, <u32>MS_NOSYMFOLLOW, <u32>(MS_BIND | MS_REC),
  <u32>MS_RELATIME, <u32>MS_REMOUNT, <u32>MS_RDONLY, CLEAR | <u32>MS_RDONLY, <u32>MS_SILENT, <u32>MS_STRICTATIME,
  CLEAR | <u32>MS_NOSUID, CLEAR | <u32>MS_NOSYMFOLLOW, <u32>MS_SYNCHRONOUS,
  PROP | <u32>MS_PRIVATE, PROP | <u32>MS_SHARED, PROP | <u32>MS_SLAVE, PROP | <u32>MS_UNBINDABLE,
  PROP | <u32>(MS_PRIVATE | MS_REC), PROP | <u32>(MS_SHARED | MS_REC), PROP | <u32>(MS_SLAVE | MS_REC),
  PROP | <u32>(MS_UNBINDABLE | MS_REC),
  ATTR | <u32>MOUNT_ATTR_RDONLY, ATTR | CLEAR | <u32>MOUNT_ATTR_RDONLY, ATTR | <u32>MOUNT_ATTR_NOSUID,
  ATTR | CLEAR | <u32>MOUNT_ATTR_NOSUID, ATTR | <u32>MOUNT_ATTR_NODEV, ATTR | CLEAR | <u32>MOUNT_ATTR_NODEV,
  ATTR | <u32>MOUNT_ATTR_NOEXEC, ATTR | CLEAR | <u32>MOUNT_ATTR_NOEXEC, ATTR | <u32>MOUNT_ATTR_NODIRATIME,
  ATTR | CLEAR | <u32>MOUNT_ATTR_NODIRATIME, ATTR | <u32>MOUNT_ATTR_RELATIME, ATTR | CLEAR | <u32>MOUNT_ATTR_RELATIME,
  ATTR | <u32>MOUNT_ATTR_NOATIME, ATTR | CLEAR | <u32>MOUNT_ATTR_NOATIME,
  ATTR | <u32>MOUNT_ATTR_STRICTATIME, ATTR | CLEAR | <u32>MOUNT_ATTR_STRICTATIME,
  ATTR | <u32>MOUNT_ATTR_NOSYMFOLLOW, ATTR | CLEAR | <u32>MOUNT_ATTR_NOSYMFOLLOW,
];

/** The option's entry in OPTION_VALUES, or -1 for a filesystem-specific option. */
function lookup(name: string): i32 {
  if (name.length == 0 || name.indexOf(" ") >= 0) return -1;
  const at = OPTION_NAMES.indexOf(" " + name + " ");
  if (at < 0) return -1;
  let n = 0;
  for (let i = 0; i < at; i++) if (OPTION_NAMES.charCodeAt(i) == 0x20) n++;
  return n;
}

export class MountOptions {
  flags: i64 = 0;
  /** Flags an option explicitly cleared (rw, suid, dev, …). */
  cleared: i64 = 0;
  /** The last propagation option (mount(2) takes one propagation type per call), or 0. */
  propagation: i64 = 0;
  attrSet: i64 = 0;
  attrClr: i64 = 0;
  /** Filesystem-specific options, in order, for mount(2)'s data argument. */
  data: string[] = [];
  /** Index in `options` of an idmap or ridmap option, or -1. */
  idmapAt: i32 = -1;
  /** Index in `options` of a tmpcopyup option, or -1. */
  copyUpAt: i32 = -1;
  /** Index of the first propagation option that overrides a different earlier one, or -1. */
  propagationConflictAt: i32 = -1;

  isBind(): bool { return (this.flags & MS_BIND) != 0; }
  dataString(): string { return join(this.data, ","); }
}

export function parseMountOptions(options: string[]): MountOptions {
  const m = new MountOptions();
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    const k = lookup(o);
    if (k < 0) {
      if (o == "idmap" || o == "ridmap") { if (m.idmapAt < 0) m.idmapAt = i; }
      else if (o == "tmpcopyup") { if (m.copyUpAt < 0) m.copyUpAt = i; }
      else m.data.push(o);
      continue;
    }
    const v = OPTION_VALUES[k];
    const flag = <i64>(v & ~(CLEAR | KIND));
    const clear = (v & CLEAR) != 0;
    if ((v & KIND) == PROP) {
      if (m.propagation != 0 && m.propagation != flag && m.propagationConflictAt < 0) m.propagationConflictAt = i;
      m.propagation = flag;
    } else if ((v & KIND) == ATTR) {
      if (clear) {
        m.attrClr |= flag;
        m.attrSet &= ~flag;
      } else if ((flag & MOUNT_ATTR__ATIME) == flag) {
        // An access-time setting replaces the whole atime field (mount_setattr(2)).
        m.attrSet = (m.attrSet & ~MOUNT_ATTR__ATIME) | flag;
        m.attrClr |= MOUNT_ATTR__ATIME;
      } else {
        m.attrSet |= flag;
        m.attrClr &= ~flag;
      }
    } else if (clear) {
      m.flags &= ~flag;
      m.cleared |= flag;
    } else {
      m.flags |= flag;
      m.cleared &= ~flag;
    }
  }
  return m;
}

/** rootfsPropagation → mount(2) flags (runc accepts the recursive forms too), or -1. */
export function propagationFlags(name: string): i64 {
  const k = lookup(name);
  if (k < 0 || (OPTION_VALUES[k] & KIND) != PROP) return -1;
  return <i64>(OPTION_VALUES[k] & ~(CLEAR | KIND));
}
