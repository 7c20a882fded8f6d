// Who a command acts as: one --subject, or many users from --subjects, --subjects-file, --all-users, or
// Directory (--ou, --group, --query, --all-users with --admin).
import { readFileSync } from "node:fs";
import type { ArgsDef } from "citty";
import { stringArg, subjectFrom } from "./args.ts";
import type { DirectoryContext, DirectorySelection } from "./directory.ts";
import { UsageError } from "./usage-error.ts";

/** The flags that name many users at once (list commands and freebusy). */
export const manySubjectsArgs = {
  subjects: {
    type: "string",
    valueHint: "a,b,c",
    description: "Act as each of these users (comma-separated emails)",
  },
  "subjects-file": {
    type: "string",
    valueHint: "file",
    description: "Act as each user of this file (one email a line; # comments)",
  },
  "all-users": {
    type: "boolean",
    description:
      "Act as every user of the domain: from Directory with --admin; without it, of the emulator's scenario (--scenario, or the emulator at DWD_EMULATOR_HOST)",
  },
  ou: {
    type: "string",
    valueHint: "/path",
    description: "Act as every user of this org unit and those below it (Directory, needs --admin)",
  },
  group: {
    type: "string",
    valueHint: "email",
    description:
      "Act as every user of this group, nested groups flattened (Directory, needs --admin)",
  },
  query: {
    type: "string",
    valueHint: "search",
    description:
      'Act as every user matching this Directory search, e.g. "isAdmin=false" (needs --admin)',
  },
  admin: {
    type: "string",
    valueHint: "email",
    description:
      "The Workspace admin to read Directory as (read-only Directory scopes); used by --all-users, --ou, --group, --query",
  },
  scenario: {
    type: "string",
    valueHint: "file",
    description: "Scenario JSON file to read --all-users from (the one the emulator runs)",
  },
  "include-suspended": {
    type: "boolean",
    description:
      "With --all-users, --ou, --group or --query, act as suspended users too (skipped by default)",
  },
  concurrency: {
    type: "string",
    valueHint: "n",
    description: "Users worked on at once (default 10)",
  },
} as const satisfies ArgsDef;

/** Where the subjects of a run come from, as parsed from the flags. */
export type SubjectSource =
  | { kind: "one"; subject: string | undefined }
  | { kind: "list"; subjects: string[] }
  | { kind: "file"; path: string }
  | { kind: "all"; scenario: string | undefined; includeSuspended: boolean }
  | { kind: "directory"; admin: string; selection: DirectorySelection; includeSuspended: boolean };

// Deliberately loose: the token endpoint judges whether the user exists; this only catches typos such
// as a missing "@" or a stray space that would otherwise cost one refused token exchange per line.
const emailPattern = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

// A control or format character (NUL, BEL, DEL, a zero-width space, a BOM…) is never part of an email;
// the token endpoint would not be asked, the library refuses such a subject as a programming error.
const controlPattern = /[\p{Cc}\p{Cf}]/u;

/** Checks one email; `where` names its origin in the error (e.g. `users.txt line 3`). */
export function checkEmail(value: string, where: string): string {
  if (controlPattern.test(value))
    throw new UsageError(
      `Invalid user "${value}" in ${where}: it holds a control character`,
      "Give users as plain emails, e.g. ana@example.com (check the file's encoding and line endings)",
    );
  if (!emailPattern.test(value))
    throw new UsageError(
      `Invalid user "${value}" in ${where}: not an email address`,
      "Give users as emails, e.g. ana@example.com",
    );
  return value;
}

/**
 * Reads --subject / --subjects / --subjects-file / --all-users / --ou / --group / --query (one way to name
 * the users; --all-users, --ou and --query combine). `--admin` is only read with a Directory selection: a
 * profile adds it to every command that has the flag.
 */
export function subjectSource(args: Record<string, unknown>): SubjectSource {
  const subject = subjectFrom(args);
  const list = stringArg(args, "subjects");
  const file = stringArg(args, "subjects-file");
  const all = args["all-users"] === true;
  const scenario = stringArg(args, "scenario");
  const ou = stringArg(args, "ou");
  const group = stringArg(args, "group");
  const query = stringArg(args, "query");
  const admin = stringArg(args, "admin");
  const directory = ou !== undefined || group !== undefined || query !== undefined;
  const given = [
    subject && "--subject",
    list && "--subjects",
    file && "--subjects-file",
    // --all-users, --ou and --query narrow one Directory listing; a group is a listing of its own.
    (all || ou !== undefined || query !== undefined) &&
      (all ? "--all-users" : ou !== undefined ? "--ou" : "--query"),
    group !== undefined && "--group",
  ].filter((f): f is string => typeof f === "string");
  if (given.length > 1)
    throw new UsageError(
      `Conflicting options ${given.join(" and ")}: give one way to name the users`,
      "Use --subject for one user, or one of --subjects, --subjects-file, --all-users (with --ou/--query), --group for many",
    );
  if (scenario !== undefined && !all)
    throw new UsageError(
      "Option --scenario needs --all-users: it only names where the users come from",
      "Add --all-users, or drop --scenario",
    );
  if (scenario !== undefined && directory)
    throw new UsageError(
      `Conflicting options --scenario and ${ou !== undefined ? "--ou" : group !== undefined ? "--group" : "--query"}: a scenario file has no Directory to ask`,
      "Drop --scenario to ask Directory (of Google or the emulator) as --admin",
    );
  const includeSuspended = args["include-suspended"] === true;
  if (includeSuspended && !all && !directory)
    throw new UsageError(
      "Option --include-suspended needs --all-users, --ou, --group or --query: other ways name each user themselves",
      "Add --all-users, or drop --include-suspended",
    );
  if (list !== undefined) return { kind: "list", subjects: parseSubjectList(list, "--subjects") };
  if (file !== undefined) return { kind: "file", path: file };
  if (directory || (all && admin !== undefined && scenario === undefined)) {
    const flag =
      group !== undefined
        ? "--group"
        : ou !== undefined
          ? "--ou"
          : query !== undefined
            ? "--query"
            : "--all-users";
    if (admin === undefined)
      throw new UsageError(
        `Option ${flag} needs an admin to read Directory as: no --admin given`,
        "Give --admin admin@your-domain (a Workspace admin), or keep one in the profile: dwd config set admin admin@your-domain",
      );
    checkEmail(admin, "--admin");
    if (ou !== undefined && !/^\/(?:[^/]+(?:\/[^/]+)*)?\/?$/.test(ou))
      throw new UsageError(
        `Invalid --ou "${ou}": not an org unit path`,
        "Give the org unit's full path from the root, e.g. --ou /Sales or --ou /Sales/EMEA",
      );
    if (query !== undefined && query.trim() === "")
      throw new UsageError(
        "Missing value for --query",
        'Give a Directory user search, e.g. --query "isAdmin=false"',
      );
    const selection: DirectorySelection =
      group !== undefined
        ? { kind: "group", group: checkEmail(group, "--group") }
        : {
            kind: "users",
            ...(ou !== undefined ? { ou: ou.length > 1 ? ou.replace(/\/$/, "") : ou } : {}),
            ...(query !== undefined ? { query: query.trim() } : {}),
          };
    return { kind: "directory", admin, selection, includeSuspended };
  }
  if (all) return { kind: "all", scenario, includeSuspended };
  return { kind: "one", subject };
}

/** Splits `a,b c` into unique emails, in order. */
export function parseSubjectList(value: string, where: string): string[] {
  const subjects = value.split(/[\s,]+/).filter((s) => s !== "");
  if (subjects.length === 0)
    throw new UsageError(
      `Missing value for ${where}`,
      "Give one or more emails, comma-separated, e.g. --subjects ana@example.com,bo@example.com",
    );
  return [...new Set(subjects.map((s) => checkEmail(s, where)))];
}

/** Parses a subjects file: one email a line, blank lines and `#` comments skipped, duplicates dropped. */
export function parseSubjectsFile(text: string, path: string): string[] {
  const subjects: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line !== "") subjects.push(checkEmail(line, `"${path}" line ${i + 1}`));
  }
  if (subjects.length === 0)
    throw new UsageError(
      `No users in "${path}": the file has no email lines`,
      "Write one email a line, e.g. ana@example.com",
    );
  return [...new Set(subjects)];
}

/** A scenario's users as `--all-users` takes them: the emails to act as, and the suspended left out. */
export interface ScenarioUsers {
  users: string[];
  /** Suspended users left out (none with `includeSuspended`). */
  skipped: string[];
}

/**
 * The emails of a scenario's users (what the emulator impersonates), in order. Suspended users are left
 * out unless `includeSuspended`, as a Directory listing with `isSuspended=false` would: the token
 * endpoint refuses to impersonate them, so each would only add a failure.
 */
export function scenarioUsers(
  scenario: { users: readonly { email: string; suspended?: boolean | undefined }[] },
  where: string,
  includeSuspended = false,
): ScenarioUsers {
  const skipped = includeSuspended
    ? []
    : scenario.users.filter((u) => u.suspended === true).map((u) => u.email);
  const users = scenario.users
    .filter((u) => includeSuspended || u.suspended !== true)
    .map((u) => u.email);
  if (users.length === 0)
    throw new UsageError(
      `No users in ${where}${skipped.length > 0 ? ` but suspended ones (${skipped.length})` : ""}`,
      skipped.length > 0
        ? "Add --include-suspended to act as them, or name users with --subjects"
        : "Add users to the scenario, or name them with --subjects",
    );
  return { users, skipped };
}

function readText(path: string, what: string): string {
  try {
    // node:fs, not node:fs/promises (a module of its own to load: ~3 ms of a run over many users).
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      `Cannot read ${what} "${path}": ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
      `Check the path of the ${what}`,
    );
  }
}

/** What {@link resolveSubjects} needs to find the users: the emulator's scenario, or Directory. */
export interface AllUsersContext {
  /** The fetch to ask the emulator with. */
  fetch: (url: string) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;
  /** The emulator's base URL (from DWD_EMULATOR_HOST or --api-root), when there is one. */
  emulatorUrl: string | undefined;
  /** Told which suspended users `--all-users` left out. */
  onSkipped?: (users: readonly string[]) => void;
  /** Told how many suspended users a Directory selection left out. */
  onSkippedCount?: (count: number) => void;
  /** How to reach Directory (for a `directory` source), without the admin (the source names it). */
  directory?: Omit<DirectoryContext, "admin">;
}

/**
 * The users to act as. `[undefined]` means one run as `--subject` (or the service account itself).
 * A Directory selection (`--ou`, `--group`, `--query`, `--all-users --admin`) pages through Directory as
 * the admin, keeping only the selected emails. `--all-users` without `--admin` reads the scenario file
 * given with `--scenario`, else asks the emulator (`GET /_emulator/scenario`); against Google it needs
 * `--admin`, and the hint says so.
 */
export async function resolveSubjects(
  source: SubjectSource,
  context: AllUsersContext,
): Promise<(string | undefined)[]> {
  switch (source.kind) {
    case "one":
      return [source.subject];
    case "list":
      return source.subjects;
    case "file":
      return parseSubjectsFile(readText(source.path, "subjects file"), source.path);
    case "directory": {
      if (context.directory === undefined)
        throw new Error("resolveSubjects: a Directory selection without a Directory context");
      const { directoryUsers } = await import("./directory.ts");
      const found = await directoryUsers(
        { ...context.directory, admin: source.admin },
        source.selection,
        source.includeSuspended,
      );
      if (found.skipped > 0) context.onSkippedCount?.(found.skipped);
      if (found.users.length === 0) {
        const what =
          source.selection.kind === "group"
            ? `group "${source.selection.group}"`
            : "the Directory selection";
        throw new UsageError(
          `No users in ${what}${found.skipped > 0 ? ` but suspended ones (${found.skipped})` : ""}`,
          found.skipped > 0
            ? "Add --include-suspended to act as them"
            : "Check --ou, --group or --query (as the admin sees the domain)",
        );
      }
      return found.users;
    }
    case "all": {
      if (source.scenario !== undefined) {
        let json: unknown;
        try {
          json = JSON.parse(readText(source.scenario, "scenario"));
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError(
            `Cannot read scenario "${source.scenario}": the file is not JSON`,
            "A scenario is a JSON object with domain, users, serviceAccounts and grants",
          );
        }
        const { loadScenario } = await import("@dwd/emulator");
        const found = scenarioUsers(
          loadScenario(json),
          `scenario "${source.scenario}"`,
          source.includeSuspended,
        );
        if (found.skipped.length > 0) context.onSkipped?.(found.skipped);
        return found.users;
      }
      const found = await emulatorUsers(context, source.includeSuspended);
      if (found.skipped.length > 0) context.onSkipped?.(found.skipped);
      return found.users;
    }
  }
}

async function emulatorUsers(
  context: AllUsersContext,
  includeSuspended: boolean,
): Promise<ScenarioUsers> {
  const hint =
    "Give --scenario <file> (the emulator's scenario), or list the users in a file for --subjects-file (e.g. exported with GAM: gam print users)";
  if (context.emulatorUrl === undefined)
    throw new UsageError(
      "Cannot list all users: Directory is read as a Workspace admin, and no --admin is given",
      "Give --admin admin@your-domain (a Workspace admin; the grant needs admin.directory.user.readonly), or list the users in a file for --subjects-file",
    );
  const url = `${context.emulatorUrl}/_emulator/scenario`;
  let body: string;
  try {
    const response = await context.fetch(url);
    body = await response.text();
    if (!response.ok)
      throw new UsageError(
        `Cannot list all users: the emulator at "${context.emulatorUrl}" answered ${response.status} to GET /_emulator/scenario`,
        hint,
      );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `Cannot list all users: the emulator at "${context.emulatorUrl}" cannot be reached (${error instanceof Error ? error.message : String(error)})`,
      hint,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new UsageError(
      `Cannot list all users: the emulator at "${context.emulatorUrl}" answered GET /_emulator/scenario with something other than JSON`,
      hint,
    );
  }
  const users = (json as { users?: unknown }).users;
  if (!Array.isArray(users))
    throw new UsageError(
      `Cannot list all users: the emulator's scenario at "${url}" has no users list`,
      hint,
    );
  return scenarioUsers(
    {
      users: users
        .filter(
          (u): u is { email: string; suspended?: unknown } =>
            typeof (u as { email?: unknown })?.email === "string",
        )
        .map((u) => ({ email: u.email, suspended: u.suspended === true })),
    },
    `the emulator's scenario`,
    includeSuspended,
  );
}

/** Reads `--concurrency` (default 10, 1–100). */
export function concurrencyArg(args: Record<string, unknown>): number {
  const value = stringArg(args, "concurrency");
  if (value === undefined) return 10;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100)
    throw new UsageError(
      `Invalid --concurrency "${value}": not a number from 1 to 100`,
      "Give how many users to work on at once, e.g. --concurrency 10",
    );
  return n;
}
