// Container state under --root: one directory per container, state.json written atomically.
import { mkdir, remove, writeAtomic, readText, isAlreadyExists, isNotFound } from "./rt.ts";
import { CapsaError } from "./errors.ts";

export const DEFAULT_ROOT = "/run/capsa";

/** Ids name directories: refuse anything that could leave the state root. */
export function checkId(id: string | undefined): string {
  if (id === undefined || id === "") throw new CapsaError("container ID is required", "id.missing", 2);
  if (id.length > 1024) throw new CapsaError(`container ID is longer than 1024 characters`, "id.invalid");
  if (!/^[A-Za-z0-9][A-Za-z0-9_+.-]*$/.test(id) || id === "." || id === "..") {
    throw new CapsaError(`invalid container ID "${id}": use letters, digits and _ + . - (not starting with a symbol)`, "id.invalid");
  }
  return id;
}

export interface StateFile {
  id: string;
  init_process_pid: number;
  init_process_start: string;
  created: string;
  bundle: string;
  rootfs: string;
  annotations?: Record<string, string>;
  config: unknown;
  owner?: string;
  hooks?: unknown;
  /** The container's cgroups: paths, the directories capsa created, the stats files. */
  cgroup?: import("./cgroups.ts").CgroupState | null;
}

export class StateDir {
  constructor(readonly root: string, readonly id: string) {}
  get dir(): string { return `${this.root}/${this.id}`; }
  get stateFile(): string { return `${this.dir}/state.json`; }
  get fifo(): string { return `${this.dir}/exec.fifo`; }

  /** Creates the directory; fails if the id is taken. */
  create(): void {
    mkdir(this.root, 0o711, true);
    try {
      mkdir(this.dir, 0o711);
    } catch (e) {
      if (isAlreadyExists(e)) throw new CapsaError(`container "${this.id}" already exists`, "id.exists");
      throw e;
    }
  }
  write(state: StateFile): void {
    writeAtomic(this.stateFile, JSON.stringify(state));
  }
  read(): StateFile | null {
    try {
      return JSON.parse(readText(this.stateFile)) as StateFile;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  destroy(): void {
    remove(this.dir, true);
  }
}
