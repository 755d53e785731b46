// The capsa command line: runc's verbs and flags.
import { args, exit, writeErr } from "./rt.ts";
import { main } from "./commands.ts";

try {
  exit(await main(args()));
} catch (e) {
  writeErr(`capsa: ${(e as Error)?.message ?? e}\n`);
  exit(1);
}
