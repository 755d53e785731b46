// The runtime-spec features document (features.md, features-linux.md): what this build of
// capsa supports, derived from the tables the plan itself uses so it cannot drift.
import { Obj, quote, jsonArray } from "./json";
import { CAPS } from "./tables";
import { OPTION_NAMES } from "./plan/mountopts";
import { NS_ORDER } from "./plan/context";

function strings(list: string[]): string {
  const q: string[] = [];
  for (let i = 0; i < list.length; i++) if (list[i].length > 0) q.push(quote(list[i]));
  return jsonArray(q);
}

export function featuresJSON(seccomp: string): string {
  const caps: string[] = [];
  for (let i = 0; i < CAPS.length; i++) caps.push("CAP_" + CAPS[i]);
  const linux = new Obj()
    .raw("namespaces", strings(NS_ORDER))
    .raw("capabilities", strings(caps))
    .raw("cgroup", new Obj().bool("v1", true).bool("v2", true).bool("systemd", false).bool("systemdUser", false).bool("rdma", true).done())
    .raw("seccomp", seccomp)
    .raw("apparmor", new Obj().bool("enabled", false).done())
    .raw("selinux", new Obj().bool("enabled", false).done())
    .raw("intelRdt", new Obj().bool("enabled", false).done())
    .raw("mountExtensions", new Obj().raw("idmap", new Obj().bool("enabled", false).done()).done())
    .done();
  return new Obj()
    .str("ociVersionMin", "1.0.0")
    .str("ociVersionMax", "1.3.0")
    .raw("hooks", strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]))
    .raw("mountOptions", strings(OPTION_NAMES.trim().split(" ")))
    .raw("linux", linux)
    .raw("annotations", new Obj().str("org.opencontainers.runtime-spec.features.capsa.version", "0.1.0").done())
    .done();
}
