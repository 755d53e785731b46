// Imports a host module the way the current runtime runs it: the TypeScript sources under
// Deno, the compiled dist/host/*.js under Node.
export function host(name) {
  return import(globalThis.Deno ? "../../host/" + name + ".ts" : "../../dist/host/" + name + ".js");
}
