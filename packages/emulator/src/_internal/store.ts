import type { Scenario, ScenarioUser } from "../scenario.ts";
import { toHex } from "./base64.ts";
import { knownScopes } from "./google-scopes.ts";
import type { ServiceAccountRecord } from "./service-account.ts";
import { createServiceAccount } from "./service-account.ts";
import { TokenExpiry } from "./token-expiry.ts";

/** A calendar resource. Events, ACLs and settings hang off this later. */
export interface CalendarRecord {
  id: string;
  owner: string;
  summary: string;
  timeZone: string;
  primary: boolean;
  colorId: string;
  etag: string;
}

/** What an issued access token stands for. */
export interface TokenRecord {
  accountEmail: string;
  clientId: string;
  /** The impersonated user, or null when the service account acts as itself. */
  subject: string | null;
  scopes: readonly string[];
  /** Server-clock milliseconds. */
  expiresAt: number;
}

/** The emulator's mutable state, built from a validated scenario. */
export interface Store {
  domain: string;
  users: Map<string, ScenarioUser>;
  /** By email. */
  accounts: Map<string, ServiceAccountRecord>;
  /** Name → email. */
  accountNames: Map<string, string>;
  /** Client ID → granted scopes (DWD entries). */
  grants: Map<string, Set<string>>;
  /** Scopes the token endpoint accepts. */
  scopes: Set<string>;
  calendars: Map<string, CalendarRecord>;
  /** Principal email → calendar IDs in its calendar list, in order. */
  calendarLists: Map<string, string[]>;
  /** Live access tokens by token: looked up in O(1) by the Calendar routes. */
  tokens: Map<string, TokenRecord>;
  /** Issue-order queue that drops expired tokens from `tokens` without scanning it. */
  tokenExpiry: TokenExpiry;
  /** Bumped on every change of calendar data; sync tokens carry it. */
  version: number;
}

// Calendar ETags are microsecond timestamps in quotes; these are deterministic.
const etagBase = 1767225600000000n;

async function groupCalendarId(owner: string, index: number): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${owner}#${index}`),
  );
  return `${toHex(new Uint8Array(digest)).slice(0, 26)}@group.calendar.google.com`;
}

/** Builds the store, generating every service account's key pair in parallel. */
export async function createStore(scenario: Scenario): Promise<Store> {
  const accountList = await Promise.all(
    scenario.serviceAccounts.map((a) => createServiceAccount(a)),
  );
  const accounts = new Map(accountList.map((a) => [a.email, a]));
  const accountNames = new Map(accountList.map((a) => [a.name, a.email]));

  const grants = new Map<string, Set<string>>();
  const scopes = new Set(knownScopes);
  for (const g of scenario.grants) {
    const byName =
      g.serviceAccount === undefined
        ? undefined
        : accounts.get(accountNames.get(g.serviceAccount) ?? "");
    const clientId = g.clientId ?? byName?.clientId;
    if (clientId === undefined) continue;
    const set = grants.get(clientId) ?? new Set<string>();
    for (const s of g.scopes) {
      set.add(s);
      scopes.add(s);
    }
    grants.set(clientId, set);
  }

  const users = new Map(scenario.users.map((u) => [u.email, u]));
  const calendars = new Map<string, CalendarRecord>();
  const calendarLists = new Map<string, string[]>();
  const add = (c: Omit<CalendarRecord, "colorId" | "etag">): void => {
    const n = calendars.size;
    calendars.set(c.id, {
      ...c,
      colorId: String((n % 24) + 1),
      etag: `"${(etagBase + BigInt(n) * 1000n).toString()}"`,
    });
    const listed = calendarLists.get(c.owner) ?? [];
    if (c.primary) listed.unshift(c.id);
    else listed.push(c.id);
    calendarLists.set(c.owner, listed);
  };
  const declared = scenario.calendars ?? [];
  for (const u of scenario.users) {
    const own = declared.find((c) => c.owner === u.email && c.primary === true);
    add({
      id: u.email,
      owner: u.email,
      summary: own?.summary ?? u.email,
      timeZone: own?.timeZone ?? "UTC",
      primary: true,
    });
  }
  for (const [i, c] of declared.entries()) {
    if (c.primary === true) continue;
    const id = c.id ?? (await groupCalendarId(c.owner, i));
    add({
      id,
      owner: c.owner,
      summary: c.summary ?? id,
      timeZone: c.timeZone ?? "UTC",
      primary: false,
    });
  }

  return {
    domain: scenario.domain,
    users,
    accounts,
    accountNames,
    grants,
    scopes,
    calendars,
    calendarLists,
    tokens: new Map(),
    tokenExpiry: new TokenExpiry(),
    version: 1,
  };
}
