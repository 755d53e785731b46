// The capsa command line: runc's verbs and flags.
import { args, exit, writeErr } from "./rt.ts";
import { loadedSys } from "./sys.ts";
import { main } from "./commands.ts";

/** Output is written synchronously, so once the native library is loaded the process ends with
 * exit_group at once, without the engine's teardown. */
function finish(code: number): never {
  loadedSys()?.exit(code);
  exit(code);
}

try {
  finish(await main(args()));
} catch (e) {
  writeErr(`capsa: ${(e as Error)?.message ?? e}\n`);
  finish(1);
}
