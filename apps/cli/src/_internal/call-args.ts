import type { ArgsDef } from "citty";
import { endpointArgs, keyArgs, retriesArgs, subjectArg } from "./args.ts";
import { scopesArg } from "./scope-choice.ts";

/** Flags of every command that calls Calendar as one user. */
export const callArgs = {
  ...keyArgs,
  ...subjectArg,
  ...scopesArg,
  ...endpointArgs,
  ...retriesArgs,
} as const satisfies ArgsDef;
