import type { ArgsDef, CommandDef, CommandMeta } from "citty";
import { renderUsage, runCommand } from "citty";
import { closestMatch } from "leven";
import type { Io } from "./io.ts";
import { printLines, stripAnsi } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/** A top-level command whose module is imported only when it runs (or its own help is asked for). */
export interface LazyCommand {
  meta: CommandMeta;
  /** Imports the command's module and returns its citty command. */
  load: () => Promise<unknown>;
  /**
   * Subcommands with a module of their own, imported alone (without the command's module) when the word
   * right after the command names them (`dwd calendars get …`); the same command the full module holds.
   */
  alone?: Record<string, () => Promise<unknown>>;
}

/** The root of the command tree. */
export interface Root {
  meta: CommandMeta & { name: string; version: string };
  args: ArgsDef;
  commands: Record<string, LazyCommand>;
  /**
   * Adds the configuration profile's values to a command's argv as the flags not given (`canonical`: each
   * spelling of the command's flags to its `--name`).
   */
  withProfile?: (
    argv: string[],
    canonical: ReadonlyMap<string, string>,
    io: Io,
  ) => string[] | Promise<string[]>;
  /** Called once, just before a command's module is imported (not for `--help` or a usage error). */
  beforeLoad?: (io: Io) => void;
}

type AnyCommand = CommandDef<ArgsDef>;

async function resolve<T>(
  value: T | Promise<T> | (() => T) | (() => Promise<T>) | undefined,
): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

interface FlagInfo {
  takesValue: Map<string, boolean>;
  /** Each spelling of a flag (`--key-email`, `--keyEmail`, an alias) to its canonical `--name`. */
  canonical: Map<string, string>;
  positionals: number;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function flagInfo(args: ArgsDef): FlagInfo {
  const takesValue = new Map<string, boolean>();
  const canonical = new Map<string, string>();
  let positionals = 0;
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positionals++;
      continue;
    }
    const value = def.type === "string" || def.type === "enum";
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const n of [name, kebab(name), ...aliases]) {
      const flag = n.length === 1 ? `-${n}` : `--${n}`;
      takesValue.set(flag, value);
      canonical.set(flag, `--${kebab(name)}`);
      // A one-letter option is also taken with two dashes (`--q Offsite`, as `-q Offsite`).
      if (n.length === 1) takesValue.set(`--${n}`, value);
      if (!value) takesValue.set(`--no-${n}`, false);
    }
  }
  return { takesValue, canonical, positionals };
}

/** Index of the first positional in `argv` (skipping the values of string flags), or -1. */
function firstPositional(argv: string[], info: FlagInfo): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") return -1;
    if (arg.startsWith("-") && arg !== "-") {
      if (!arg.includes("=") && info.takesValue.get(arg) === true) i++;
      continue;
    }
    return i;
  }
  return -1;
}

/**
 * citty accepts any flag; a typo must not be silently ignored, so unknown flags and extra arguments are
 * usage errors. citty keeps the last of a repeated flag; `--key A --key B` is more likely a mistake than a
 * wish, so a flag that takes a value may be given once.
 */
function checkArgv(argv: string[], info: FlagInfo, path: string): void {
  let positionals = 0;
  const seen = new Set<string>();
  const help = `Run "${path} --help" for the usage`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") break;
    if (arg.startsWith("-") && arg !== "-") {
      const name = arg.split("=", 1)[0] ?? arg;
      const value = info.takesValue.get(name);
      if (value === undefined) throw new UsageError(`Unknown option "${name}" for ${path}`, help);
      if (value) {
        const flag = info.canonical.get(name) ?? name;
        if (seen.has(flag))
          throw new UsageError(
            `Option ${flag} is given more than once for ${path}`,
            `Give ${flag} once`,
          );
        seen.add(flag);
      }
      if (value && !arg.includes("=")) {
        if (i + 1 >= argv.length) throw new UsageError(`Missing value for ${name}`, help);
        i++;
      }
      continue;
    }
    positionals++;
    if (positionals > info.positionals)
      throw new UsageError(`Unexpected argument "${arg}" for ${path}`, help);
  }
}

function usageText(text: string, color: boolean): string {
  return (color ? text : stripAnsi(text))
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/**
 * `Did you mean "dwd events"? ` for a mistyped command (`event`, `calendar`, `freebsy`), or nothing when
 * no command is near: at most a third of the typed name may differ (and never more than 3 edits).
 */
export function didYouMean(typed: string, commands: readonly string[], path: string): string {
  const maxDistance = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  const near = closestMatch(typed.toLowerCase(), commands, { maxDistance });
  return near === undefined ? "" : `Did you mean "${path} ${near}"? `;
}

/** The root usage, rendered from static metadata only: `dwd --help` imports no command module. */
export async function rootUsage(root: Root): Promise<string> {
  const stubs = Object.fromEntries(
    Object.entries(root.commands).map(([name, c]) => [name, { meta: c.meta }]),
  );
  return renderUsage({ meta: root.meta, args: root.args, subCommands: stubs });
}

/** Removes `--profile NAME` / `--profile=NAME` (before `--`) from argv. */
function takeProfileFlag(argv: string[]): { argv: string[]; profile?: string } {
  const out: string[] = [];
  let profile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === "--profile" || arg.startsWith("--profile=")) {
      const value = arg === "--profile" ? argv[++i] : arg.slice("--profile=".length);
      if (value === undefined || value === "" || (arg === "--profile" && value.startsWith("-")))
        throw new UsageError("Missing value for --profile", "Give it as --profile <name>");
      if (profile !== undefined)
        throw new UsageError("Option --profile is given more than once", "Give --profile once");
      profile = value;
      continue;
    }
    out.push(arg);
  }
  return profile === undefined ? { argv: out } : { argv: out, profile };
}

/**
 * Finds the command `argv` names, handles `--help` / `--version`, checks the flags and runs it.
 *
 * @returns the exit code the command returned (0 when it returned nothing)
 */
export async function dispatch(root: Root, argvIn: string[], ioIn: Io): Promise<number> {
  // --profile NAME (anywhere before `--`) picks a configuration profile for this run, as DWD_PROFILE does.
  const { argv, profile } = takeProfileFlag(argvIn);
  const io = profile === undefined ? ioIn : { ...ioIn, env: { ...ioIn.env, DWD_PROFILE: profile } };
  const wantsHelp = (args: string[]): boolean => {
    const end = args.indexOf("--");
    return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
  };

  const rootInfo = flagInfo(root.args);
  const index = firstPositional(argv, rootInfo);
  // --version wherever it stands (before `--`): `dwd events --version` too, as gcloud and git accept it.
  const end = argv.indexOf("--");
  if (
    (end < 0 ? argv : argv.slice(0, end)).includes("--version") ||
    (index < 0 && argv.includes("-v"))
  ) {
    io.out(root.meta.version);
    return 0;
  }
  if (index < 0) {
    if (wantsHelp(argv)) {
      printLines(io.out, usageText(await rootUsage(root), io.colorOut()));
      return 0;
    }
    if (argv.length === 0) {
      printLines(io.err, usageText(await rootUsage(root), io.colorErr()));
      return 2;
    }
    checkArgv(argv, rootInfo, root.meta.name);
    throw new UsageError("Missing command", `Run "${root.meta.name} --help" to see the commands`);
  }

  const name = argv[index] ?? "";
  const lazy = Object.hasOwn(root.commands, name) ? root.commands[name] : undefined;
  if (lazy === undefined)
    throw new UsageError(
      `Unknown command "${name}"`,
      `${didYouMean(name, Object.keys(root.commands), root.meta.name)}Run "${root.meta.name} --help" to see the commands`,
    );
  // Flags given before the command name (e.g. `dwd --api-root … calendars get`) travel to the command.
  const carried = argv.slice(0, index);
  let rest = argv.slice(index + 1);
  root.beforeLoad?.(io);
  let path = `${root.meta.name} ${name}`;
  // The word right after the command is a positional, so it names the subcommand whatever the flags.
  const first = rest[0] ?? "";
  const alone =
    lazy.alone !== undefined && Object.hasOwn(lazy.alone, first) ? lazy.alone[first] : undefined;
  let cmd: AnyCommand;
  if (alone !== undefined) {
    cmd = (await alone()) as AnyCommand;
    path = `${path} ${first}`;
    rest = rest.slice(1);
  } else cmd = (await lazy.load()) as AnyCommand;

  for (;;) {
    const subs = await resolve(cmd.subCommands);
    if (subs === undefined || Object.keys(subs).length === 0) break;
    const info = flagInfo((await resolve(cmd.args)) ?? {});
    const i = firstPositional(rest, info);
    if (i < 0) {
      // A command that runs by itself and also has subcommands (`dwd token`, `dwd token cache clear`).
      if (cmd.run !== undefined && !wantsHelp(rest)) break;
      if (wantsHelp(rest)) {
        printLines(io.out, usageText(await renderUsage(cmd), io.colorOut()));
        return 0;
      }
      throw new UsageError(
        `Missing command: ${path} needs one of ${Object.keys(subs)
          .map((s) => `"${s}"`)
          .join(", ")}`,
        `Run "${path} --help" for the usage`,
      );
    }
    const subName = rest[i] ?? "";
    const sub = Object.hasOwn(subs, subName) ? await resolve(subs[subName]) : undefined;
    if (sub === undefined)
      throw new UsageError(
        `Unknown command "${path} ${subName}"`,
        `${didYouMean(subName, Object.keys(subs), path)}Run "${path} --help" to see the commands`,
      );
    carried.push(...rest.slice(0, i));
    rest = rest.slice(i + 1);
    cmd = sub;
    path = `${path} ${subName}`;
  }

  const leafArgv = [...carried, ...rest];
  if (wantsHelp(leafArgv)) {
    printLines(io.out, usageText(await renderUsage(cmd), io.colorOut()));
    return 0;
  }
  const leafInfo = flagInfo((await resolve(cmd.args)) ?? {});
  checkArgv(leafArgv, leafInfo, path);
  // The profile in force adds its values as the flags not given (root.withProfile).
  const fullArgv =
    root.withProfile === undefined
      ? leafArgv
      : await root.withProfile(leafArgv, new Map(leafInfo.canonical), io);
  try {
    const { result } = await runCommand(cmd, { rawArgs: fullArgv, data: io });
    return typeof result === "number" ? result : 0;
  } catch (error) {
    // citty's own argument errors (missing required argument, bad enum value) are usage errors.
    if (error instanceof Error && error.name === "CLIError")
      throw new UsageError(
        stripAnsi(error.message).replace(/\.$/, ""),
        `Run "${path} --help" for the usage`,
      );
    throw error;
  }
}
