// Behaviour the runtime's clients (containerd's runc shim, podman's conmon) rely on runc for.
import { exists, readLink } from "./rt.ts";
import { CapsaError } from "./errors.ts";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

interface ProcessLike { args?: string[]; env?: string[]; cwd?: string }
interface ConfigLike {
  process?: ProcessLike;
  mounts?: { destination?: string }[];
  hooks?: Record<string, unknown[] | undefined>;
}

function clean(p: string): string {
  const out: string[] = [];
  for (const c of p.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") out.pop();
    else out.push(c);
  }
  return "/" + out.join("/");
}

/**
 * Resolves `path` (absolute, in the container) beneath `rootfs` as the container would see it,
 * following symlinks inside the root. Returns "found", "missing", or "unknown" when the path
 * crosses a mount point (what the mount brings is not visible from here).
 */
function resolveIn(rootfs: string, path: string, mounts: string[]): "found" | "missing" | "unknown" {
  let todo = clean(path).split("/").filter(Boolean);
  let cur = "/";
  for (let hops = 0; todo.length > 0;) {
    const c = todo.shift()!;
    if (c === "..") { cur = clean(cur + "/.."); continue; }
    const next = clean(cur + "/" + c);
    if (mounts.some((m) => m === "/" || next === m || next.startsWith(m + "/") || m.startsWith(next + "/"))) return "unknown";
    const host = rootfs + next;
    if (!exists(host)) return "missing";
    let target: string | null = null;
    try { target = readLink(host); } catch { /* not a symlink */ }
    if (target === null) { cur = next; continue; }
    if (++hops > 40) return "unknown";
    const rest = target.split("/").filter(Boolean);
    if (target.startsWith("/")) cur = "/";
    todo = [...rest, ...todo];
  }
  return "found";
}

/**
 * runc reports a missing executable at create (`exec: "x": executable file not found in
 * $PATH`), and clients map that message to "command not found" (podman: exit 127); without the
 * check the container would be created and its init fail silently at start. The lookup follows
 * the process's PATH and cwd in the rootfs; when a mount or a hook could provide the file, the
 * check stands aside and the init's execve decides.
 */
export function checkExecutable(config: ConfigLike, rootfs: string): void {
  const args = config.process?.args;
  if (!args || args.length === 0 || !args[0]) return;
  const hooks = config.hooks ?? {};
  if (["prestart", "createRuntime", "createContainer"].some((k) => (hooks[k]?.length ?? 0) > 0)) return;
  const file = args[0];
  const mounts = (config.mounts ?? []).map((m) => m.destination ?? "").filter((d) => d.startsWith("/")).map(clean);
  const cwd = config.process?.cwd && config.process.cwd.startsWith("/") ? config.process.cwd : "/";
  const inCwd = (p: string) => p.startsWith("/") ? p : cwd + "/" + p;
  if (file.includes("/")) {
    if (resolveIn(rootfs, inCwd(file), mounts) === "missing") {
      throw new CapsaError(`exec: "${file}": stat ${file}: no such file or directory`, "process.args.not-found", 1);
    }
    return;
  }
  let path = DEFAULT_PATH;
  for (const e of config.process?.env ?? []) if (e.startsWith("PATH=")) { path = e.slice(5); break; }
  for (const dir of path.split(":")) {
    if (resolveIn(rootfs, inCwd((dir || ".") + "/" + file), mounts) !== "missing") return;
  }
  throw new CapsaError(`exec: "${file}": executable file not found in $PATH`, "process.args.not-found", 1);
}
