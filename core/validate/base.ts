import { Ctx } from "./index";
import { isAbsolute } from "../paths";

export function ociVersion(c: Ctx): void {
  const v = c.w.str(c.config, "ociVersion", "", true);
  if (v === null) return;
  const s = v.str;
  // SemVer 2.0.0: MAJOR.MINOR.PATCH with optional -pre and +build.
  const core = s.split("+")[0].split("-")[0];
  const parts = core.split(".");
  let ok = parts.length == 3;
  for (let i = 0; ok && i < parts.length; i++) {
    const p = parts[i];
    if (p.length == 0 || (p.length > 1 && p.charCodeAt(0) == 0x30)) { ok = false; break; }
    for (let j = 0; j < p.length; j++) {
      const ch = p.charCodeAt(j);
      if (ch < 0x30 || ch > 0x39) { ok = false; break; }
    }
  }
  if (!ok) { c.d.error("/ociVersion", "ociVersion.semver", "must be a SemVer 2.0.0 version such as 1.2.0, not \"" + s + "\""); return; }
  if (parts[0] != "1") c.d.error("/ociVersion", "ociVersion.unsupported", "capsa implements runtime-spec 1.x, not " + s);
}

export function root(c: Ctx): void {
  const r = c.w.obj(c.config, "root", "");
  if (r === null) return;
  c.w.str(r, "path", "/root", true);
  c.w.bool(r, "readonly", "/root");
}

export function processCwd(c: Ctx): void {
  const p = c.w.obj(c.config, "process", "");
  if (p === null) return;
  const cwd = c.w.str(p, "cwd", "/process", true);
  if (cwd !== null && !isAbsolute(cwd.str)) {
    c.d.error("/process/cwd", "process.cwd.relative", "must be an absolute path, not \"" + cwd.str + "\"");
  }
}
