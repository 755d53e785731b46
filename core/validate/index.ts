// Validation: a flat list of small rule functions over the parsed config, in the style of
// runc's configs/validate. Each rule reads the config and reports diagnostics; none throws.
import { JValue } from "../json";
import { Diagnostics, Walker } from "../diag";
import { RULES } from "./rules";

export class Ctx {
  w: Walker;
  constructor(public config: JValue, public d: Diagnostics) {
    this.w = new Walker(d);
  }
}

export type Rule = (c: Ctx) => void;

export function validateConfig(config: JValue, d: Diagnostics): void {
  if (!config.isObject()) {
    d.error("", "config.type", "config.json must hold a JSON object");
    return;
  }
  const c = new Ctx(config, d);
  for (let i = 0; i < RULES.length; i++) RULES[i](c);
}
