// capsa as a library, after runc's libcontainer: a Factory creates and loads containers under
// a state root; a Container is started, signalled, exec'd into and destroyed.
//
//   import { Factory } from "capsa";
//   const c = await new Factory("/run/capsa").create("web", { bundle: "/srv/bundles/web" });
//   await c.start();                       // the created container's process starts
//   console.log(c.ociState().status);      // "running"
//   await c.signal("TERM");
//   await c.destroy(true);
export { Factory, Container, OCI_VERSION, signalNumber } from "./container.ts";
export type { Status, BaseState, OCIState, CreateOptions } from "./container.ts";
export { loadCore, Core } from "./core.ts";
export { CapsaError, ConfigError } from "./errors.ts";
export type { Diagnostic } from "./errors.ts";
export { DEFAULT_ROOT } from "./state.ts";
export type { WaitStatus } from "./sys.ts";
export { exitCodeOf } from "./init.ts";
