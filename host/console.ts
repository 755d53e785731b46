// Terminals, as runc does them. With process.terminal the init opens a pty inside the container
// (after the pivot, from the container's devpts) and sends its master over a console socket:
// one message whose data is the name "/dev/ptmx" and whose control message carries the
// descriptor (SCM_RIGHTS), runc's utils.SendFile framing, so containerd, conmon and anything
// written for runc receive it unchanged. The socket is the caller's (--console-socket PATH,
// connected here before the spawn and handed to the init as a preserved descriptor, so the init
// never needs a host path after the pivot) or, for a foreground `run` or `exec`, a socket pair of
// our own whose master we then proxy to the caller's terminal.
import { loadSys, type Sys, POLLIN } from "./sys.ts";
import { CapsaError } from "./errors.ts";
import { onSignal } from "./rt.ts";

/** process.terminal of a config's text (false when it does not parse: planning reports that). */
export function terminalOf(configText: string): boolean {
  try {
    return JSON.parse(configText)?.process?.terminal === true;
  } catch {
    return false;
  }
}

export class Console {
  /** The pty's master, once received (foreground). */
  private master = -1;

  private constructor(readonly sys: Sys, private initEnd: number, private ourEnd: number) {}

  /**
   * runc's rules (checkTerminal): a detached process with a terminal needs a console socket, and
   * a console socket needs both. Then the socket for the init: the caller's, connected now, or a
   * pair of our own (foreground). Null when the process gets no terminal.
   */
  static async open(terminal: boolean, detach: boolean, socketPath?: string): Promise<Console | null> {
    if (detach && terminal && !socketPath) {
      throw new CapsaError("cannot allocate a terminal for a detached process without --console-socket", "console.socket.required");
    }
    if (socketPath && !(detach && terminal)) {
      throw new CapsaError("--console-socket needs process.terminal and a detached process (create, run -d, exec -d)", "console.socket.unused");
    }
    if (!terminal) return null;
    const sys = await loadSys();
    if (socketPath) {
      try {
        return new Console(sys, sys.connectUnix(socketPath), -1);
      } catch (e) {
        throw new CapsaError(`cannot connect to the console socket ${socketPath}: ${(e as Error).message}`, "console.socket");
      }
    }
    const [ours, theirs] = sys.socketpair();
    return new Console(sys, theirs, ours);
  }

  /** The descriptor the init sends the master on (consoleSocket of Factory.create and spawnProcess). */
  get socket(): number {
    return this.initEnd;
  }

  /** True when we receive the master ourselves and proxy it (no caller's socket). */
  get proxied(): boolean {
    return this.ourEnd >= 0;
  }

  /** Once the init is spawned (it has its own copy) or failed: closes ours of its end. */
  spawned(): void {
    if (this.initEnd >= 0) {
      this.sys.close(this.initEnd);
      this.initEnd = -1;
    }
  }

  /** Takes the master from our own pair: the init sent it before it reported ready or exec'd. */
  receive(): void {
    const sys = this.sys;
    if (this.ourEnd < 0) throw new CapsaError("the terminal goes to the console socket, not to capsa", "console.receive");
    try {
      if (!(sys.poll(this.ourEnd, POLLIN, 5000) & POLLIN)) throw new Error("nothing arrived");
      this.master = sys.recvFd(this.ourEnd).fd;
    } catch (e) {
      throw new CapsaError(`the container's init did not send its terminal: ${(e as Error).message}`, "console.receive");
    } finally {
      sys.close(this.ourEnd);
      this.ourEnd = -1;
    }
  }

  /**
   * Proxies the caller's terminal to the master until `exited` settles, as runc's foreground
   * does: our stdin in raw mode when it is a terminal, stdin → master and master → stdout on a
   * worker thread, window-size changes (SIGWINCH) passed on; then the terminal restored and
   * the master closed. Returns what `exited` gave.
   */
  async proxy<T>(exited: Promise<T>): Promise<T> {
    const sys = this.sys;
    const master = this.master;
    if (master < 0) throw new CapsaError("no terminal to proxy: receive() first", "console.proxy");
    let saved: Uint8Array | null = null;
    try {
      saved = sys.ttyRaw(0);
    } catch {
      saved = null; // no stdin
    }
    const resize = (): void => {
      try {
        let ws = null;
        for (const fd of [0, 1, 2]) {
          try {
            ws = sys.getWinsize(fd);
          } catch {
            ws = null;
          }
          if (ws) break;
        }
        if (ws && (ws.rows || ws.cols)) sys.setWinsize(master, ws.rows, ws.cols);
      } catch {
        // the process may be gone already
      }
    };
    resize();
    let off = (): void => {};
    try {
      off = onSignal("SIGWINCH", resize);
    } catch {
      // no SIGWINCH here
    }
    const [stopR, stopW] = sys.pipe();
    const pump = sys.pumpAsync(0, master, 1, stopR).catch(() => {});
    try {
      return await exited;
    } finally {
      try {
        sys.write(stopW, new Uint8Array([1]));
      } catch {
        // the pump reads it or has ended
      }
      await pump;
      off();
      if (saved) {
        try {
          sys.ttyRestore(0, saved);
        } catch {
          // stdin went away
        }
      }
      sys.close(stopR);
      sys.close(stopW);
      this.close();
    }
  }

  /** Closes whatever is still open (on failure paths). */
  close(): void {
    this.spawned();
    for (const fd of [this.ourEnd, this.master]) if (fd >= 0) this.sys.close(fd);
    this.ourEnd = this.master = -1;
  }
}
