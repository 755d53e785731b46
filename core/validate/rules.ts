// The list of validation rules, in the order they report. Each checks one area: the types of its
// members (declared with `shape`), then what a schema cannot say.
import { Rule } from "./index";
import { sections, ociVersion, root, process, processUser, hostname, annotations } from "./base";
import { capabilities, rlimits, scheduler, ioPriority, execCPUAffinity } from "./process";
import { mounts } from "./mounts";
import { hooks } from "./hooks";
import { namespaces, userNamespace, timeOffsets, sysctl } from "./namespaces";
import { linuxSection, devices, netDevices, personality, memoryPolicy, intelRdt } from "./linux";
import { resourcesSection, deviceRules, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified } from "./resources";
import { seccomp } from "./seccomp";

export const RULES: Rule[] = [
  sections,
  ociVersion,
  root,
  process,
  processUser,
  capabilities,
  rlimits,
  scheduler,
  ioPriority,
  execCPUAffinity,
  hostname,
  mounts,
  hooks,
  annotations,
  linuxSection,
  namespaces,
  userNamespace,
  timeOffsets,
  sysctl,
  devices,
  netDevices,
  personality,
  memoryPolicy,
  intelRdt,
  resourcesSection,
  deviceRules,
  memory,
  cpu,
  pids,
  blockIO,
  hugepageLimits,
  network,
  rdma,
  unified,
  seccomp,
];
