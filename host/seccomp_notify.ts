// SCMP_ACT_NOTIFY: the seccomp listener the init hands over (SYNC_SECCOMP_FD) goes to the agent
// at linux.seccomp.listenerPath, with the container process state (config-linux.md, "The
// Container Process State"): one connection per listener, the JSON as payload and the listener
// as SCM_RIGHTS in the first sendmsg, then the connection is closed. As runc does, exec'd
// processes hand over their own listener too.
import { type Sys } from "./sys.ts";
import { CapsaError } from "./errors.ts";
import { initConstant, type InitProcess, type SyncHandler } from "./init.ts";

/** The runtime-spec state (runtime.md) of the container the process belongs to. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

/** The part of linux.seccomp this needs. */
export interface ListenerConfig {
  listenerPath?: string;
  listenerMetadata?: string;
}

/** The container process state for a process `pid` (as the runtime sees it). */
export function containerProcessState(pid: number, state: ContainerState, metadata?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ociVersion: state.ociVersion, fds: ["seccompFd"], pid };
  if (metadata !== undefined) out.metadata = metadata;
  out.state = state;
  return out;
}

/** Connects to the agent's socket and sends the state with the listener; closes the connection. */
export function sendContainerProcessState(sys: Sys, path: string, processState: unknown, listener: number): void {
  const data = new TextEncoder().encode(JSON.stringify(processState));
  let sock = -1;
  try {
    sock = sys.connectUnix(path);
    let off = sys.sendFd(sock, data, listener);
    while (off < data.length) off += sys.write(sock, data.subarray(off));
  } catch (e) {
    throw new CapsaError(`cannot send the seccomp listener to linux.seccomp.listenerPath ${path}: ${(e as Error).message}`, "seccomp.listener");
  } finally {
    if (sock >= 0) sys.close(sock);
  }
}

/**
 * A sync handler that passes a handed-over seccomp listener on to `seccomp.listenerPath`, with
 * the state `state(init)` returns, and leaves every other tag to `next`.
 */
export function withSeccompListener(
  sys: Sys,
  seccomp: ListenerConfig | null | undefined,
  state: (init: InitProcess) => ContainerState,
  next?: SyncHandler,
): SyncHandler {
  return async (tag, init) => {
    if (tag !== initConstant("SYNC_SECCOMP_FD")) return next ? await next(tag, init) : 0;
    const fd = init.takeSeccompFd();
    try {
      const path = seccomp?.listenerPath;
      if (!path) throw new CapsaError("the init handed over a seccomp listener but linux.seccomp.listenerPath is not set", "seccomp.listener");
      sendContainerProcessState(sys, path, containerProcessState(init.pid, state(init), seccomp?.listenerMetadata), fd);
    } finally {
      sys.close(fd);
    }
    return 0;
  };
}
