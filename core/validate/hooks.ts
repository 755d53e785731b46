// hooks: every hook's path, args, env and timeout.
import { Kind } from "../json";
import { ptrI } from "../diag";
import { Ctx } from "./index";
import { warn, shape, get, objAt, absField, envField } from "./util";

export function hooks(c: Ctx): void {
  const h = get(c.config, "hooks", Kind.Object);
  if (h === null) return;
  const f = shape(c, h, "/hooks", "prestart:a createRuntime:a createContainer:a startContainer:a poststart:a poststop:a");
  for (let k = 0; k < 6; k++) {
    const list = f.v[k];
    if (list === null) continue;
    const lb = f.p(k);
    if (k == 0 && list.items.length > 0) warn(c, lb, "deprecated", "prestart is deprecated: use createRuntime");
    for (let i = 0; i < list.items.length; i++) {
      const e = objAt(c, list, i, lb);
      if (e === null) continue;
      const hf = shape(c, e, ptrI(lb, i), "path:s! args:S env:S timeout:1..2147483647");
      absField(c, hf, 0);
      envField(c, hf, 2);
    }
  }
}
