// Builds a busybox rootfs for the tests from Debian's busybox-static (/bin/busybox), once per
// directory: bin/ with the applet links, the usual empty directories, /etc/passwd and group.
import { existsSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, chmodSync, renameSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export const BUSYBOX = "/bin/busybox";

function isStatic(path) {
  try {
    const out = execFileSync("file", ["-L", path], { encoding: "utf8" });
    return /statically linked|static-pie/.test(out);
  } catch {
    // `file` may be missing: trust busybox-static's location.
    return true;
  }
}

/** Creates (if needed) and returns a rootfs directory at `dir`. */
export function ensureRootfs(dir) {
  if (existsSync(join(dir, ".capsa-rootfs-ok"))) return dir;
  if (!existsSync(BUSYBOX) || !isStatic(BUSYBOX)) {
    throw new Error(`${BUSYBOX} (static) is missing: apt-get install busybox-static`);
  }
  const tmp = dir + ".tmp-" + process.pid;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root", "home", "var", "run", "mnt"]) {
    mkdirSync(join(tmp, d), { recursive: true });
  }
  chmodSync(join(tmp, "tmp"), 0o1777);
  copyFileSync(BUSYBOX, join(tmp, "bin/busybox"));
  chmodSync(join(tmp, "bin/busybox"), 0o755);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const a of applets) {
    if (a === "busybox") continue;
    const p = join(tmp, "bin", a);
    if (!existsSync(p)) symlinkSync("busybox", p);
  }
  writeFileSync(join(tmp, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(tmp, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  writeFileSync(join(tmp, "etc/hostname"), "rootfs\n");
  writeFileSync(join(tmp, ".capsa-rootfs-ok"), "");
  mkdirSync(join(dir, ".."), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
