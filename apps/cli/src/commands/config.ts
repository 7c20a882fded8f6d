import { defineCommand } from "citty";
import type { ArgsDef } from "citty";
import type { Io } from "../_internal/io.ts";
import { ioOf, printJson } from "../_internal/io.ts";
import type { ConfigFile, ProfileKey } from "../_internal/profiles.ts";
import {
  checkKey,
  checkProfileName,
  checkSetting,
  configDir,
  profileInForce,
  profileKeys,
  readConfig,
  writeConfig,
} from "../_internal/profiles.ts";

type Args = Record<string, unknown>;

const positional = (args: Args, name: string): string => {
  const value = args[name];
  return typeof value === "string" ? value : "";
};

/** The profile `dwd config get/set/unset/list` work on: --profile / DWD_PROFILE, else the active one. */
function target(config: ConfigFile, io: Io): { name: string } {
  const fromEnv = io.env["DWD_PROFILE"];
  if (fromEnv !== undefined && fromEnv !== "")
    return { name: checkProfileName(fromEnv, "--profile / DWD_PROFILE") };
  return { name: config.active };
}

/** `dwd config set KEY VALUE`. */
export async function configSet(args: Args, io: Io): Promise<number> {
  const config = readConfig(io.env);
  const { name } = target(config, io);
  const [key, value] = checkSetting(
    positional(args, "key"),
    positional(args, "value"),
    process.cwd(),
  );
  config.profiles[name] = { ...config.profiles[name], [key]: value };
  const path = await writeConfig(io.env, config);
  io.err(`set ${key} in profile "${name}" (${path})`);
  return 0;
}

/** `dwd config unset KEY`. */
export async function configUnset(args: Args, io: Io): Promise<number> {
  const config = readConfig(io.env);
  const { name } = target(config, io);
  const key = checkKey(positional(args, "key"));
  const profile = { ...config.profiles[name] };
  delete profile[key];
  config.profiles[name] = profile;
  await writeConfig(io.env, config);
  io.err(`unset ${key} in profile "${name}"`);
  return 0;
}

/** `dwd config get KEY`: the value alone on stdout; exit 1 when the profile does not set it. */
export function configGet(args: Args, io: Io): number {
  const config = readConfig(io.env);
  const { values, name } = profileInForce(config, undefined, io.env);
  const key = checkKey(positional(args, "key"));
  const value = values[key];
  if (value === undefined) {
    io.err(`error: profile "${name}" does not set ${key}`);
    return 1;
  }
  io.out(value);
  return 0;
}

/** `dwd config list`: the profile in force, one `key = value` a line (or --json). */
export function configList(args: Args, io: Io): number {
  const config = readConfig(io.env);
  const { values, name } = profileInForce(config, undefined, io.env);
  if (args["json"] === true) {
    printJson(io, { profile: name, values });
    return 0;
  }
  io.err(`profile "${name}" (${configDir(io.env)}/config.json)`);
  for (const key of Object.keys(profileKeys) as ProfileKey[])
    if (values[key] !== undefined) io.out(`${key} = ${values[key]}`);
  return 0;
}

/** `dwd config use NAME`: makes NAME the active profile, creating it (empty) when new. */
export async function configUse(args: Args, io: Io): Promise<number> {
  const name = checkProfileName(positional(args, "name"), "profile name");
  const config = readConfig(io.env);
  const created = !Object.hasOwn(config.profiles, name);
  if (created) config.profiles[name] = {};
  config.active = name;
  await writeConfig(io.env, config);
  io.err(`${created ? "created and activated" : "activated"} profile "${name}"`);
  return 0;
}

/** `dwd config profiles`: every profile, the active one marked with `*`. */
export function configProfiles(_args: Args, io: Io): number {
  const config = readConfig(io.env);
  for (const name of Object.keys(config.profiles).sort())
    io.out(`${name === config.active ? "*" : " "} ${name}`);
  return 0;
}

const keyArg = {
  key: {
    type: "positional",
    required: true,
    description: `One of: ${Object.keys(profileKeys).join(", ")}`,
  },
} as const satisfies ArgsDef;

/** The `config` command. */
export const configCommand = defineCommand({
  meta: {
    name: "dwd config",
    description:
      "Configuration profiles (as gcloud's): default flags such as key, subject, admin, scopes",
  },
  subCommands: {
    set: defineCommand({
      meta: { name: "dwd config set", description: "Set a default flag in the profile" },
      args: {
        ...keyArg,
        value: {
          type: "positional",
          required: true,
          description: "The value (paths made absolute)",
        },
      },
      run: (ctx) => configSet(ctx.args, ioOf(ctx)),
    }),
    get: defineCommand({
      meta: { name: "dwd config get", description: "Print one value of the profile in force" },
      args: keyArg,
      run: (ctx) => configGet(ctx.args, ioOf(ctx)),
    }),
    unset: defineCommand({
      meta: { name: "dwd config unset", description: "Remove a value from the profile" },
      args: keyArg,
      run: (ctx) => configUnset(ctx.args, ioOf(ctx)),
    }),
    list: defineCommand({
      meta: { name: "dwd config list", description: "Print the profile in force" },
      args: { json: { type: "boolean", description: "Print JSON" } },
      run: (ctx) => configList(ctx.args, ioOf(ctx)),
    }),
    use: defineCommand({
      meta: {
        name: "dwd config use",
        description: "Make a profile the active one (created when new), e.g. dwd config use prod",
      },
      args: { name: { type: "positional", required: true, description: "Profile name" } },
      run: (ctx) => configUse(ctx.args, ioOf(ctx)),
    }),
    profiles: defineCommand({
      meta: { name: "dwd config profiles", description: "List the profiles (* marks the active)" },
      args: {},
      run: (ctx) => configProfiles(ctx.args, ioOf(ctx)),
    }),
  },
});
