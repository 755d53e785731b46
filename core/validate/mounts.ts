// mounts: destinations, sources, options and id-mapped mounts.
import { Kind } from "../json";
import { ptrI } from "../diag";
import { isAbsolute } from "../paths";
import { Ctx } from "./index";
import { err, warn, shape, get, objAt, hasString } from "./util";
import { idMappings } from "./namespaces";

export function mounts(c: Ctx): void {
  const a = get(c.config, "mounts", Kind.Array);
  if (a === null) return;
  for (let i = 0; i < a.items.length; i++) {
    const m = objAt(c, a, i, "/mounts");
    if (m === null) continue;
    const f = shape(c, m, ptrI("/mounts", i), "destination:s! source:s options:S type:s uidMappings:a gidMappings:a");
    const dst = f.v[0];
    if (dst !== null && !isAbsolute(dst.str)) {
      if (dst.str.length == 0) err(c, f.p(0), "empty", "must be the mount point");
      // Linux still takes relative destinations (deprecated), relative to "/".
      else warn(c, f.p(0), "relative", "deprecated: taken as /" + dst.str);
    }
    const opts = f.v[2];
    const src = f.v[1];
    if ((hasString(opts, "bind") || hasString(opts, "rbind")) && (!f.has(1) || (src !== null && src.str.length == 0))) {
      err(c, f.p(1), "required", "a bind mount needs a source");
    }
    const um = f.v[4], gm = f.v[5];
    const uid = um !== null && idMappings(c, um, f.p(4));
    const gid = gm !== null && idMappings(c, gm, f.p(5));
    if (uid != gid) err(c, f.p(uid ? 5 : 4), "required", "uidMappings and gidMappings go together");
    const idmap = hasString(opts, "idmap") || hasString(opts, "ridmap");
    if ((uid || gid) && !idmap) warn(c, f.p(uid ? 4 : 5), "idmapOption", "should come with the idmap or ridmap option");
    if (idmap && !uid && !gid && !c.ns.has("user")) err(c, f.p(2), "idmap", "needs mount mappings or a user namespace");
  }
}
