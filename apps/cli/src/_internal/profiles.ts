// Configuration profiles, as gcloud's configurations: named sets of default flags (`key`, `subject`,
// `admin`, …) in one file, one of them active. A profile's values act as the flags you did not type:
// anything given on the command line wins, and a value is only added to a command that has that flag.
// The file: `$DWD_CONFIG_DIR/config.json`, else `$XDG_CONFIG_HOME/dwd` or `~/.config/dwd` (`%APPDATA%\dwd`
// on Windows); `--profile NAME` or `DWD_PROFILE` picks a profile for one run.
import { readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { UsageError } from "./usage-error.ts";

/** What a profile may set: flag name → what the value is, for checking it when set. */
export const profileKeys = {
  key: "path",
  "key-email": "email",
  "key-password": "text",
  "client-id": "digits",
  subject: "email",
  admin: "email",
  scopes: "text",
  "token-uri": "url",
  "api-root": "url",
  timeout: "text",
  concurrency: "digits",
  tz: "zone",
  signer: "signer",
  "service-account": "email",
} as const;

/** A key a profile may set. */
export type ProfileKey = keyof typeof profileKeys;

/** The configuration file. */
export interface ConfigFile {
  /** The profile used when neither --profile nor DWD_PROFILE names one. */
  active: string;
  profiles: Record<string, Partial<Record<ProfileKey, string>>>;
}

/** Flags that choose the users another way than `subject`: a profile's subject is not added beside them. */
const otherSubjects = [
  "--subjects",
  "--subjects-file",
  "--all-users",
  "--ou",
  "--group",
  "--query",
];
const profileName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The configuration directory. */
export function configDir(env: Record<string, string | undefined>): string {
  const explicit = env["DWD_CONFIG_DIR"];
  if (explicit !== undefined && explicit !== "") return explicit;
  if (process.platform === "win32")
    return join(env["APPDATA"] ?? join(homedir(), "AppData", "Roaming"), "dwd");
  const xdg = env["XDG_CONFIG_HOME"];
  return join(xdg !== undefined && xdg.startsWith("/") ? xdg : join(homedir(), ".config"), "dwd");
}

const emptyConfig = (): ConfigFile => ({ active: "default", profiles: { default: {} } });

/** Reads the configuration file; an absent file is the empty `default` profile. */
export function readConfig(env: Record<string, string | undefined>): ConfigFile {
  const path = join(configDir(env), "config.json");
  let text: string;
  try {
    // Read synchronously, through node:fs: every command reads this small file at start, and
    // node:fs/promises would cost each of them its load (build.ts's lazyFunctions).
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return emptyConfig();
    throw new UsageError(
      `Cannot read the configuration "${path}": ${(error as Error).message}`,
      "Check the file's permissions, or set DWD_CONFIG_DIR to another directory",
    );
  }
  const bad = (why: string): UsageError =>
    new UsageError(
      `Invalid configuration "${path}": ${why}`,
      `Fix or remove the file (dwd config set writes it), or set DWD_CONFIG_DIR to another directory`,
    );
  if (text.length > MAX_CONFIG_BYTES) throw bad("larger than 1 MiB");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  const d = doc as { active?: unknown; profiles?: unknown };
  if (typeof d !== "object" || d === null || typeof d.active !== "string")
    throw bad('no "active" profile name');
  if (typeof d.profiles !== "object" || d.profiles === null || Array.isArray(d.profiles))
    throw bad('"profiles" is not an object');
  const profiles: ConfigFile["profiles"] = Object.create(null) as ConfigFile["profiles"];
  for (const [name, values] of Object.entries(d.profiles)) {
    if (!profileName.test(name)) throw bad(`profile name "${name}" is not allowed`);
    if (typeof values !== "object" || values === null || Array.isArray(values))
      throw bad(`profile "${name}" is not an object`);
    const profile: Partial<Record<ProfileKey, string>> = {};
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
      if (!Object.hasOwn(profileKeys, k)) throw bad(`profile "${name}" sets unknown key "${k}"`);
      if (typeof v !== "string") throw bad(`profile "${name}": "${k}" is not a string`);
      profile[k as ProfileKey] = v;
    }
    profiles[name] = profile;
  }
  return { active: d.active, profiles };
}

/** Writes the configuration file atomically (mode 0600, directory 0700). */
export async function writeConfig(
  env: Record<string, string | undefined>,
  config: ConfigFile,
): Promise<string> {
  const dir = configDir(env);
  const path = join(dir, "config.json");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

/** A profile name from a flag or DWD_PROFILE, checked. */
export function checkProfileName(name: string, from: string): string {
  if (!profileName.test(name))
    throw new UsageError(
      `Invalid ${from} "${name}": not a profile name`,
      "Use letters, digits, '.', '_' and '-' (at most 64), e.g. prod or test-domain",
    );
  return name;
}

/** The nearest known key to a mistyped one (edit distance ≤ 2), for the hint. */
function nearest(word: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const here = row[j] ?? 0;
        row[j] = Math.min(
          here + 1,
          (row[j - 1] ?? 0) + 1,
          previous + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        previous = here;
      }
    }
    return row[b.length] ?? Infinity;
  };
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** A configuration key, checked (with the nearest known key in the hint when mistyped). */
export function checkKey(key: string): ProfileKey {
  if (!Object.hasOwn(profileKeys, key)) {
    const near = nearest(key, Object.keys(profileKeys));
    throw new UsageError(
      `Unknown configuration key "${key}"`,
      `${near !== undefined ? `Did you mean "${near}"? ` : ""}Keys: ${Object.keys(profileKeys).join(", ")}`,
    );
  }
  return key as ProfileKey;
}

/** Checks a key and its value for `dwd config set`; the value as stored (paths made absolute). */
export function checkSetting(key: string, value: string, cwd: string): [ProfileKey, string] {
  const k = checkKey(key);
  const kind = profileKeys[k];
  const fail = (what: string, example: string): never => {
    throw new UsageError(`Invalid value "${value}" for ${k}: ${what}`, `Give e.g. ${example}`);
  };
  // eslint-disable-next-line no-control-regex
  if (value === "" || /[\u0000-\u001f\u007f]/.test(value))
    fail("empty or holds a control character", `dwd config set ${k} …`);
  switch (kind) {
    case "path":
      return [k, isAbsolute(value) ? value : resolve(cwd, value)];
    case "email":
      if (!/^[^\s@]+@[^\s@]+$/.test(value)) fail("not an email address", "ana@example.com");
      break;
    case "digits":
      if (!/^\d{1,30}$/.test(value)) fail("not a number", k === "concurrency" ? "10" : "123456789");
      break;
    case "url":
      if (!/^https?:\/\/[^\s]+$/i.test(value)) fail("not an http(s) URL", "https://…");
      break;
    case "zone":
      try {
        new Intl.DateTimeFormat("en", { timeZone: value });
      } catch {
        fail("not an IANA time zone", "Europe/Berlin");
      }
      break;
    case "signer":
      if (value !== "key" && value !== "iam") fail('not "key" or "iam"', "iam");
      break;
    case "text":
      break;
  }
  return [k, value];
}

/** The profile in force: `--profile`, else DWD_PROFILE, else the file's active one. */
export function profileInForce(
  config: ConfigFile,
  chosen: string | undefined,
  env: Record<string, string | undefined>,
): { name: string; values: Partial<Record<ProfileKey, string>>; explicit: boolean } {
  const fromEnv = env["DWD_PROFILE"];
  const name =
    chosen ??
    (fromEnv !== undefined && fromEnv !== ""
      ? checkProfileName(fromEnv, "DWD_PROFILE")
      : undefined);
  const explicit = name !== undefined;
  const inForce = name ?? config.active;
  const values = Object.hasOwn(config.profiles, inForce) ? config.profiles[inForce] : undefined;
  if (values === undefined && explicit)
    throw new UsageError(
      `No configuration profile "${inForce}"`,
      `Create it with "dwd config use ${inForce}", or list them with "dwd config profiles"`,
    );
  return { name: inForce, values: values ?? {}, explicit };
}

/**
 * Adds a profile's values as flags to `argv` where the command has that flag and it was not given
 * (`given`: the canonical flags on the command line).
 */
export function withProfile(
  argv: readonly string[],
  given: ReadonlySet<string>,
  commandFlags: ReadonlySet<string>,
  values: Partial<Record<ProfileKey, string>>,
): string[] {
  const out = [...argv];
  const end = out.indexOf("--");
  const added: string[] = [];
  for (const [key, value] of Object.entries(values) as [ProfileKey, string][]) {
    const flag = `--${key}`;
    if (!commandFlags.has(flag) || given.has(flag)) continue;
    if (key === "subject" && otherSubjects.some((f) => given.has(f))) continue;
    added.push(`${flag}=${value}`);
  }
  if (end < 0) out.push(...added);
  else out.splice(end, 0, ...added);
  return out;
}
