// The profile in force, applied to a command's argv before it runs: in the bundle's entry (dist/dwd.js),
// as every command runs it.
import type { Io } from "./io.ts";
import {
  checkProfileName,
  profileInForce,
  profileKeys,
  readConfig,
  withProfile,
} from "./profiles.ts";

/**
 * A command's argv with the profile in force's values added as the flags not given. Commands without any
 * flag a profile sets (config, emulator, demo) never read the file.
 */
export function applyProfile(
  argv: string[],
  canonical: ReadonlyMap<string, string>,
  io: Io,
): string[] {
  const flags = new Set(canonical.values());
  if (!Object.keys(profileKeys).some((k) => flags.has(`--${k}`))) return argv;
  const chosen = io.env["DWD_PROFILE"];
  if (chosen !== undefined && chosen !== "") checkProfileName(chosen, "--profile / DWD_PROFILE");
  const { values } = profileInForce(readConfig(io.env), undefined, io.env);
  if (Object.keys(values).length === 0) return argv;
  const given = new Set<string>();
  for (const arg of argv) {
    if (arg === "--") break;
    if (arg.startsWith("-")) given.add(canonical.get(arg.split("=", 1)[0] ?? arg) ?? arg);
  }
  return withProfile(argv, given, flags, values);
}
