import type { AclRule } from "@dwd/calendar";
import type { ArgsDef } from "citty";
import { defineCommand } from "citty";
import { stringArg } from "../_internal/args.ts";
import type { Lister } from "../_internal/calendar-run.ts";
import {
  callArgs,
  listArgs,
  openCalendarRun,
  printOne,
  runFlags,
  runList,
} from "../_internal/calendar-run.ts";
import type { Io } from "../_internal/io.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import { ioOf } from "../_internal/io.ts";
import type { Column } from "../_internal/output.ts";
import { outputMode } from "../_internal/output.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";
import { UsageError } from "../_internal/usage-error.ts";

type Args = Record<string, unknown>;

const scopeText = (r: AclRule): string =>
  r.scope?.type === "default" ? "default" : `${r.scope?.type ?? ""}:${r.scope?.value ?? ""}`;

/** Table columns of an ACL rule. */
export const aclColumns: readonly Column<AclRule>[] = [
  { header: "ROLE", value: (r) => r.role ?? "" },
  { header: "SCOPE", value: scopeText, shrink: true },
  { header: "ID", value: (r) => r.id ?? "" },
];

/** `dwd acl list CALENDAR`: who may see or change the calendar, for one user or many. */
export async function aclList(
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  outputMode(args);
  const run = await openCalendarRun("acl.list", flags, keyOptionsFrom(args), io, terminal);
  const lister: Lister<AclRule> = {
    method: "acl.list",
    all: (client, scopes) => client.acl.all(calendarId, { scopes }),
    page: (calls, scopes, pageToken) =>
      calls.acl.list(calendarId, { maxResults: 250, pageToken, scopes }),
  };
  return await runList(run, lister, aclColumns, args);
}

const roles = ["none", "freeBusyReader", "reader", "writer", "owner"] as const;

/** The rule's scope from --user / --group / --domain / --default (exactly one). */
export function aclScope(args: Args): NonNullable<AclRule["scope"]> {
  const given = (["user", "group", "domain"] as const)
    .map((type) => ({ type, value: stringArg(args, type) }))
    .filter((g) => g.value !== undefined);
  const all = args["default"] === true;
  if (given.length + (all ? 1 : 0) !== 1)
    throw new UsageError(
      "Missing or conflicting grantee: give exactly one of --user, --group, --domain, --default",
      "E.g. --user bo@example.com, --group team@example.com, --domain example.com, or --default (everyone)",
    );
  return all
    ? { type: "default" }
    : { type: given[0]?.type ?? "user", value: given[0]?.value ?? "" };
}

/** `dwd acl add CALENDAR --role R --user|--group|--domain|--default`. */
export async function aclAdd(
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const role = stringArg(args, "role");
  if (role === undefined) throw new UsageError("Missing --role", `Give one of ${roles.join(", ")}`);
  const scope = aclScope(args);
  const flags = runFlags(args);
  const run = await openCalendarRun("acl.insert", flags, keyOptionsFrom(args), io, terminal);
  const subject = run.subjects[0];
  const scopes = await run.scopes.scopesFor(subject);
  const rule = await run.client
    .as(subject)
    .acl.insert(
      calendarId,
      { role, scope },
      { ...(args["no-notify"] === true ? { sendNotifications: false } : {}), scopes },
    );
  printOne(rule, args, io, () => [`${rule.id ?? ""}  ${rule.role ?? ""}`]);
  return 0;
}

/** `dwd acl remove CALENDAR RULE` (a rule ID such as `user:bo@example.com`). */
export async function aclRemove(
  calendarId: string,
  ruleId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  const run = await openCalendarRun("acl.delete", flags, keyOptionsFrom(args), io, terminal);
  const subject = run.subjects[0];
  const scopes = await run.scopes.scopesFor(subject);
  await run.client.as(subject).acl.delete(calendarId, ruleId, { scopes });
  io.err(`removed rule "${ruleId}" from "${calendarId}"`);
  return 0;
}

const calendarArg = {
  calendarId: {
    type: "positional",
    required: true,
    description: "Calendar ID, e.g. primary or team@example.com",
  },
} as const satisfies ArgsDef;
const position = (args: Args, name: string): string =>
  typeof args[name] === "string" ? args[name] : "";

/** The `acl` command group. */
export const aclCommand = defineCommand({
  meta: {
    name: "dwd acl",
    description: "Who may see or change a calendar: list, add, remove rules",
  },
  subCommands: {
    list: defineCommand({
      meta: {
        name: "dwd acl list",
        description:
          "Every rule of a calendar (acl.list); many users with --subjects/--subjects-file/--all-users",
      },
      args: { ...calendarArg, ...listArgs },
      run: (ctx) => aclList(position(ctx.args, "calendarId"), ctx.args, ioOf(ctx)),
    }),
    add: defineCommand({
      meta: { name: "dwd acl add", description: "Share a calendar (acl.insert)" },
      args: {
        ...calendarArg,
        role: { type: "enum", options: [...roles], description: "The role to grant" },
        user: { type: "string", valueHint: "email", description: "Grant to a user" },
        group: { type: "string", valueHint: "email", description: "Grant to a group" },
        domain: { type: "string", valueHint: "domain", description: "Grant to a whole domain" },
        default: { type: "boolean", description: "Grant to everyone (public)" },
        "no-notify": { type: "boolean", description: "Do not email the grantee" },
        ...callArgs,
        json: { type: "boolean", description: "Print the rule as JSON" },
      },
      run: (ctx) => aclAdd(position(ctx.args, "calendarId"), ctx.args, ioOf(ctx)),
    }),
    remove: defineCommand({
      meta: { name: "dwd acl remove", description: "Remove a rule (acl.delete)" },
      args: {
        ...calendarArg,
        ruleId: {
          type: "positional",
          required: true,
          description: "Rule ID, e.g. user:bo@example.com",
        },
        ...callArgs,
      },
      run: (ctx) =>
        aclRemove(
          position(ctx.args, "calendarId"),
          position(ctx.args, "ruleId"),
          ctx.args,
          ioOf(ctx),
        ),
    }),
  },
});
