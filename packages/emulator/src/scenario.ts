import { EmulatorError } from "./emulator-error.ts";
import type { KeylessScenario } from "./keyless-scenario.ts";
import { validateKeylessScenario } from "./keyless-scenario.ts";
import type { ScenarioEvent, ScenarioGeneratedUsers } from "./scenario-events.ts";
import { generateUsers, loadScenarioEvents } from "./scenario-events.ts";

/** A Workspace user of the scenario's domain. */
export interface ScenarioUser {
  /** Primary email, in the scenario's domain. */
  email: string;
  /** Admin-suspended: the token endpoint refuses to impersonate the user (see `suspendedSubject`). */
  suspended?: boolean | undefined;
  /** Display name. */
  name?: string | undefined;
  /** Org unit the user is in, `/` (the default) or a path like `/Sales/EMEA` (Directory's `orgUnitPath`). */
  orgUnitPath?: string | undefined;
  /** A Workspace admin: may act as the admin subject of Directory calls (`users.list`, `members.list`). */
  isAdmin?: boolean | undefined;
}

/** A Google Group of the scenario's domain, served by Directory's `members.list`. */
export interface ScenarioGroup {
  /** The group's email, in the scenario's domain; not a user's. */
  email: string;
  /** Display name. */
  name?: string | undefined;
  /** Emails of its members: users or other groups of the scenario (a cycle is allowed, as Google allows it). */
  members: string[];
}

/** A service account; its RSA key is generated when the emulator starts. */
export interface ScenarioServiceAccount {
  /** Account ID: 6–30 characters, lower-case letters, digits and hyphens, starting with a letter. */
  name: string;
  /** Project ID (default `dwd-emulator`); the email is `<name>@<projectId>.iam.gserviceaccount.com`. */
  projectId?: string | undefined;
  /** Numeric OAuth client ID (the one the Admin console wants); derived from the email when absent. */
  clientId?: string | undefined;
  /** A disabled account gets `401 disabled_client`. */
  disabled?: boolean | undefined;
}

/** A domain-wide delegation entry of the Admin console: client ID → scopes. */
export interface ScenarioGrant {
  /** Numeric client ID the entry names. */
  clientId?: string | undefined;
  /** Or the name of a scenario service account, whose client ID is used. */
  serviceAccount?: string | undefined;
  /** Scope URLs, matched exactly (`calendar` does not imply `calendar.events`). */
  scopes: string[];
}

/** A calendar owned by a user. */
export interface ScenarioCalendar {
  /** Email of the owning user. */
  owner: string;
  /** Calendar ID; a primary calendar's ID is the owner's email, others default to `<hex>@group.calendar.google.com`. */
  id?: string | undefined;
  /** Title; defaults to the ID. */
  summary?: string | undefined;
  /** IANA time zone, default `UTC`. */
  timeZone?: string | undefined;
  /** The owner's primary calendar (at most one per owner). */
  primary?: boolean | undefined;
}

/**
 * The state of an emulated Google Workspace: one domain, its users, service accounts, DWD grants and
 * calendars. Every user gets a primary calendar (ID and summary = email) unless one is listed.
 */
export interface Scenario extends KeylessScenario {
  /** The Workspace domain, e.g. `example.com`. */
  domain: string;
  /** Users of the domain. */
  users: ScenarioUser[];
  /** Service accounts. */
  serviceAccounts: ScenarioServiceAccount[];
  /** Domain-wide delegation entries. */
  grants: ScenarioGrant[];
  /** Calendars beyond the default primary ones. */
  calendars?: ScenarioCalendar[] | undefined;
  /** Events seeded per calendar (a generated `users: { count, eventsEach }` adds its own). */
  events?: ScenarioEvent[] | undefined;
  /** Google Groups (Directory `members.list`). */
  groups?: ScenarioGroup[] | undefined;
}

/**
 * A scenario as written (a JSON file, or an object handed to `createEmulator`): a {@link Scenario} whose
 * `users` may also be generated, `{ count: 200, eventsEach: 20 }`.
 */
export type ScenarioInput = Omit<Scenario, "users"> & {
  users: ScenarioUser[] | ScenarioGeneratedUsers;
};

const hint = "Fix the scenario file; see the scenario format in the @dwd/emulator README";

function fail(path: string, message: string, fix: string = hint): never {
  throw new EmulatorError("invalid_scenario", `Invalid scenario at "${path}": ${message}`, {
    path,
    hint: fix,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return `${typeof value} ${value}`;
  return typeof value === "object" ? "an object" : typeof value;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) fail(path, `expected an object, got ${describe(value)}`);
  return value;
}

function list(value: unknown, path: string, required: boolean): unknown[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value))
    fail(path, `expected an array, got ${value === undefined ? "nothing" : describe(value)}`);
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "")
    fail(
      path,
      `expected a non-empty string, got ${value === undefined ? "nothing" : describe(value)}`,
    );
  return value.trim();
}

function optionalText(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : text(value, path);
}

function optionalFlag(value: unknown, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") fail(path, `expected true or false, got ${describe(value)}`);
  return value;
}

const domainPattern = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
const accountIdPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const clientIdPattern = /^[0-9]{1,30}$/;
const orgUnitPattern = /^\/(?:[^/]+(?:\/[^/]+)*)?$/;

/**
 * The email of a scenario service account: `<name>@<projectId ?? "dwd-emulator">.iam.gserviceaccount.com`.
 *
 * @param account - the account's name and optional project ID
 * @returns the service-account email
 * @example
 * ```ts
 * serviceAccountEmail({ name: "calendar-bot" }); // "calendar-bot@dwd-emulator.iam.gserviceaccount.com"
 * ```
 */
export function serviceAccountEmail(account: {
  name: string;
  projectId?: string | undefined;
}): string {
  return `${account.name}@${account.projectId ?? "dwd-emulator"}.iam.gserviceaccount.com`;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a scenario and returns a normalized copy (emails and domain lower-cased, strings trimmed).
 *
 * @param json - the parsed scenario object, or its JSON text
 * @returns the validated scenario
 * @throws {EmulatorError} code `invalid_scenario`, with `path` naming the offending value
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 *
 * const scenario = loadScenario(await readFile("scenario.json", "utf8")); // JSON text or a parsed object
 * const emulator = await createEmulator({ scenario });
 * ```
 */
export function loadScenario(json: unknown): Scenario {
  let input = json;
  if (typeof input === "string") {
    try {
      input = JSON.parse(input) as unknown;
    } catch (cause) {
      throw new EmulatorError("invalid_scenario", "Invalid scenario: the text is not JSON", {
        path: "",
        hint,
        cause,
      });
    }
  }
  const root = record(input, "$");
  const domainText = text(root["domain"], "domain").toLowerCase();
  if (!domainPattern.test(domainText))
    fail("domain", `"${domainText}" is not a domain name like "example.com"`);
  const domain = domainText;

  const users: ScenarioUser[] = [];
  const userEmails = new Set<string>();
  // `users: { count, eventsEach }` generates users (and their events) for load work.
  const generated = isRecord(root["users"]) ? generateUsers(root["users"], domain) : undefined;
  (generated?.users ?? list(root["users"], "users", true)).forEach((raw, i) => {
    const path = `users[${i}]`;
    const u = record(raw, path);
    const email = text(u["email"], `${path}.email`).toLowerCase();
    const at = email.lastIndexOf("@");
    if (at < 1 || /\s/.test(email)) fail(`${path}.email`, `"${email}" is not an email address`);
    if (email.slice(at + 1) !== domain)
      fail(
        `${path}.email`,
        `"${email}" is not in domain "${domain}"`,
        `Use an address ending in "@${domain}", or change "domain"`,
      );
    if (userEmails.has(email)) fail(`${path}.email`, `"${email}" is listed twice`);
    userEmails.add(email);
    const user: ScenarioUser = { email };
    const suspended = optionalFlag(u["suspended"], `${path}.suspended`);
    if (suspended !== undefined) user.suspended = suspended;
    const name = optionalText(u["name"], `${path}.name`);
    if (name !== undefined) user.name = name;
    const orgUnitPath = optionalText(u["orgUnitPath"], `${path}.orgUnitPath`);
    if (orgUnitPath !== undefined) {
      if (!orgUnitPattern.test(orgUnitPath))
        fail(
          `${path}.orgUnitPath`,
          `"${orgUnitPath}" is not an org unit path like "/Sales" or "/"`,
          'Start the path with "/" and separate org units with "/", e.g. "/Sales/EMEA"',
        );
      user.orgUnitPath = orgUnitPath;
    }
    const isAdmin = optionalFlag(u["isAdmin"], `${path}.isAdmin`);
    if (isAdmin !== undefined) user.isAdmin = isAdmin;
    users.push(user);
  });

  const serviceAccounts: ScenarioServiceAccount[] = [];
  const accountNames = new Map<string, string | undefined>();
  const emails = new Set<string>();
  const clientIds = new Set<string>();
  list(root["serviceAccounts"], "serviceAccounts", true).forEach((raw, i) => {
    const path = `serviceAccounts[${i}]`;
    const a = record(raw, path);
    const name = text(a["name"], `${path}.name`);
    if (!accountIdPattern.test(name)) {
      fail(
        `${path}.name`,
        `"${name}" is not a service-account ID`,
        'Use 6 to 30 lower-case letters, digits and hyphens, starting with a letter, like "calendar-bot"',
      );
    }
    if (accountNames.has(name)) fail(`${path}.name`, `"${name}" is listed twice`);
    const account: ScenarioServiceAccount = { name };
    const projectId = optionalText(a["projectId"], `${path}.projectId`);
    if (projectId !== undefined) {
      if (!accountIdPattern.test(projectId))
        fail(
          `${path}.projectId`,
          `"${projectId}" is not a project ID`,
          "Use 6 to 30 lower-case letters, digits and hyphens, starting with a letter",
        );
      account.projectId = projectId;
    }
    const email = serviceAccountEmail(account);
    if (emails.has(email)) fail(`${path}.name`, `"${email}" is listed twice`);
    emails.add(email);
    const clientId = optionalText(a["clientId"], `${path}.clientId`);
    if (clientId !== undefined) {
      if (!clientIdPattern.test(clientId))
        fail(
          `${path}.clientId`,
          `"${clientId}" is not a numeric client ID`,
          "Use the numeric client ID (21 digits), or leave it out to derive one",
        );
      if (clientIds.has(clientId))
        fail(`${path}.clientId`, `"${clientId}" is used by two service accounts`);
      clientIds.add(clientId);
      account.clientId = clientId;
    }
    const disabled = optionalFlag(a["disabled"], `${path}.disabled`);
    if (disabled !== undefined) account.disabled = disabled;
    accountNames.set(name, clientId);
    serviceAccounts.push(account);
  });

  const grants: ScenarioGrant[] = list(root["grants"], "grants", false).map((raw, i) => {
    const path = `grants[${i}]`;
    const g = record(raw, path);
    const clientId = optionalText(g["clientId"], `${path}.clientId`);
    const serviceAccount = optionalText(g["serviceAccount"], `${path}.serviceAccount`);
    if (clientId === undefined && serviceAccount === undefined) {
      fail(
        path,
        'a grant needs "clientId" or "serviceAccount"',
        "Name the service account, or give its numeric client ID",
      );
    }
    if (clientId !== undefined && !clientIdPattern.test(clientId)) {
      fail(
        `${path}.clientId`,
        `"${clientId}" is not a numeric client ID`,
        "The Admin console takes the numeric client ID, not the service-account email",
      );
    }
    if (serviceAccount !== undefined) {
      if (!accountNames.has(serviceAccount))
        fail(`${path}.serviceAccount`, `no service account is named "${serviceAccount}"`);
      const own = accountNames.get(serviceAccount);
      if (clientId !== undefined && own !== undefined && own !== clientId) {
        fail(
          `${path}.clientId`,
          `"${clientId}" is not the client ID of "${serviceAccount}" ("${own}")`,
        );
      }
    }
    const scopes = list(g["scopes"], `${path}.scopes`, true).map((s, j) => {
      const scope = text(s, `${path}.scopes[${j}]`);
      if (/[\s,]/.test(scope))
        fail(
          `${path}.scopes[${j}]`,
          `"${scope}" is not one scope URL`,
          "List each scope URL as its own array item",
        );
      return scope;
    });
    if (scopes.length === 0) fail(`${path}.scopes`, "a grant needs at least one scope");
    const grant: ScenarioGrant = { scopes };
    if (clientId !== undefined) grant.clientId = clientId;
    if (serviceAccount !== undefined) grant.serviceAccount = serviceAccount;
    return grant;
  });

  const scenario: Scenario = { domain, users, serviceAccounts, grants };
  Object.assign(
    scenario,
    validateKeylessScenario(
      root,
      new Map(serviceAccounts.map((a) => [a.name, serviceAccountEmail(a)])),
    ),
  );
  if (root["calendars"] !== undefined) {
    const ids = new Set<string>();
    const primaries = new Set<string>();
    scenario.calendars = list(root["calendars"], "calendars", false).map((raw, i) => {
      const path = `calendars[${i}]`;
      const c = record(raw, path);
      const owner = text(c["owner"], `${path}.owner`).toLowerCase();
      if (!userEmails.has(owner))
        fail(
          `${path}.owner`,
          `"${owner}" is not a user of the scenario`,
          'Add the owner to "users" first',
        );
      const calendar: ScenarioCalendar = { owner };
      const primary = optionalFlag(c["primary"], `${path}.primary`);
      const id = optionalText(c["id"], `${path}.id`);
      if (primary === true) {
        if (primaries.has(owner))
          fail(`${path}.primary`, `"${owner}" already has a primary calendar`);
        primaries.add(owner);
        if (id !== undefined && id.toLowerCase() !== owner)
          fail(
            `${path}.id`,
            `a primary calendar's ID is its owner's email ("${owner}"), not "${id}"`,
          );
        calendar.primary = true;
        calendar.id = owner;
      } else if (id !== undefined) {
        if (userEmails.has(id.toLowerCase()))
          fail(
            `${path}.id`,
            `"${id}" is a user's primary calendar ID`,
            'Leave "id" out to get a generated group-calendar ID',
          );
        calendar.id = id;
      }
      if (calendar.id !== undefined) {
        if (ids.has(calendar.id)) fail(`${path}.id`, `calendar "${calendar.id}" is listed twice`);
        ids.add(calendar.id);
      }
      const summary = optionalText(c["summary"], `${path}.summary`);
      if (summary !== undefined) calendar.summary = summary;
      const timeZone = optionalText(c["timeZone"], `${path}.timeZone`);
      if (timeZone !== undefined) {
        if (!validTimeZone(timeZone))
          fail(
            `${path}.timeZone`,
            `"${timeZone}" is not an IANA time zone`,
            'Use a name like "Europe/Berlin" or "UTC"',
          );
        calendar.timeZone = timeZone;
      }
      return calendar;
    });
  }
  if (root["events"] !== undefined || generated !== undefined) {
    const known = new Set([
      ...userEmails,
      ...(scenario.calendars ?? []).flatMap((c) => (c.id === undefined ? [] : [c.id])),
    ]);
    scenario.events = [
      ...(generated?.events ?? []),
      ...(root["events"] === undefined ? [] : loadScenarioEvents(root["events"], known)),
    ];
  }
  if (root["groups"] !== undefined)
    scenario.groups = loadGroups(root["groups"], domain, userEmails);
  return scenario;
}

function loadGroups(
  value: unknown,
  domain: string,
  userEmails: ReadonlySet<string>,
): ScenarioGroup[] {
  const raws = list(value, "groups", false);
  // Every group's email first, so a member may name a group listed after it.
  const groupEmails = new Set<string>();
  const emails = raws.map((raw, i) => {
    const path = `groups[${i}]`;
    const email = text(record(raw, path)["email"], `${path}.email`).toLowerCase();
    const at = email.lastIndexOf("@");
    if (at < 1 || /\s/.test(email)) fail(`${path}.email`, `"${email}" is not an email address`);
    if (email.slice(at + 1) !== domain)
      fail(
        `${path}.email`,
        `"${email}" is not in domain "${domain}"`,
        `Use an address ending in "@${domain}", or change "domain"`,
      );
    if (userEmails.has(email)) fail(`${path}.email`, `"${email}" is a user's email`);
    if (groupEmails.has(email)) fail(`${path}.email`, `"${email}" is listed twice`);
    groupEmails.add(email);
    return email;
  });
  return raws.map((raw, i) => {
    const path = `groups[${i}]`;
    const g = record(raw, path);
    const email = emails[i] ?? "";
    const seen = new Set<string>();
    const members = list(g["members"], `${path}.members`, true).map((m, j) => {
      const member = text(m, `${path}.members[${j}]`).toLowerCase();
      if (!userEmails.has(member) && !groupEmails.has(member))
        fail(
          `${path}.members[${j}]`,
          `"${member}" is not a user or group of the scenario`,
          'Add it to "users" or "groups" first',
        );
      if (member === email) fail(`${path}.members[${j}]`, "a group cannot be its own member");
      if (seen.has(member)) fail(`${path}.members[${j}]`, `"${member}" is listed twice`);
      seen.add(member);
      return member;
    });
    const group: ScenarioGroup = { email, members };
    const name = optionalText(g["name"], `${path}.name`);
    if (name !== undefined) group.name = name;
    return group;
  });
}
