// The capsa command line: runc's verbs and flags.
import { args, exit, writeErr } from "./rt.ts";
import { loadedSys, loadSys } from "./sys.ts";
import { parseGlobals } from "./globals.ts";
import { primeEarly } from "./cgroups.ts";

let command: string | undefined;

/** Output is written synchronously, so once the native library is loaded the process ends with
 * exit_group at once, without the engine's teardown. A loader may ask to hear of the exit
 * first (bin/capsa writes its code cache then). */
function finish(code: number): never {
  const beforeExit = (globalThis as { __capsaBeforeExit?: (cmd: string | undefined) => void }).__capsaBeforeExit;
  if (beforeExit) beforeExit(command);
  loadedSys()?.exit(code);
  exit(code);
}

async function cli(argv: string[]): Promise<never> {
  try {
    // Commands that put a process into cgroups start the kernel's wait for that (see
    // primeCgroupMoves) before the rest of the runtime loads.
    const { cmd, g } = parseGlobals(argv);
    command = cmd;
    if (cmd === "run" || cmd === "create" || cmd === "exec") primeEarly(await loadSys(), g.root);
  } catch {
    // main reports bad flags; a primer that cannot start only loses the head start.
  }
  try {
    const { main } = await import("./commands.ts");
    finish(await main(argv));
  } catch (e) {
    writeErr(`capsa: ${(e as Error)?.message ?? e}\n`);
    finish(1);
  }
}

// No top-level await: the Node build of this file is a CommonJS bundle, which Node loads
// about 5 ms faster than an ES module.
void cli(args());
