// The list of validation rules, in the order they report.
import { Rule } from "./index";
import { ociVersion, root, processCwd } from "./base";

export const RULES: Rule[] = [
  ociVersion,
  root,
  processCwd,
];
