// A small Admin SDK Directory client: what selecting users needs (users.list, members.list), acting as an
// admin. It lives in the CLI, not in a package, because @dwd/calendar keeps its transport, retries and
// Google-error parsing in its _internal/ (DESIGN.md: not to be reached from outside); so this uses only
// the session's public pieces (the bounded, observed fetch and the token source) and keeps its own short
// retry loop and error reading. Pages stream: only the selected emails are kept.
import type { FetchLike, TokenSource } from "@dwd/auth";
import { isGrantRefusal } from "./scope-choice.ts";

/** The read-only Directory scopes dwd asks for. */
export const directoryScopes = {
  users: "https://www.googleapis.com/auth/admin.directory.user.readonly",
  members: "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
} as const;

/** Every Directory scope dwd asks for first (the Admin-console link lists them). */
export const allDirectoryScopes: readonly string[] = Object.values(directoryScopes);

/** A grant may hold the wider read-only group scope instead: members.list takes it too. */
const groupReadonly = "https://www.googleapis.com/auth/admin.directory.group.readonly";

/** Users per users.list page (Directory's maximum). */
export const usersPageSize = 500;
/** Members per members.list page (Directory's maximum). */
export const membersPageSize = 200;

/** Stable codes of {@link DirectoryError}. */
export type DirectoryErrorCode =
  | "directory_not_authorized"
  | "group_not_found"
  | "insufficient_scope"
  | "bad_request"
  | "directory_unreachable"
  | "directory_error";

/** Directory refused or failed; `code` is stable, `hint` says what to do. */
export class DirectoryError extends Error {
  override readonly name = "DirectoryError";
  readonly code: DirectoryErrorCode;
  readonly hint: string;
  readonly status: number;

  constructor(code: DirectoryErrorCode, message: string, hint: string, status: number) {
    super(message);
    this.code = code;
    this.hint = hint;
    this.status = status;
  }
}

/** What the client needs: the session's transport and tokens, where Directory is, and who asks. */
export interface DirectoryContext {
  fetch: FetchLike;
  tokenSource: TokenSource;
  /** e.g. `https://www.googleapis.com/admin/directory/v1` (or the emulator's). */
  root: string;
  /** The admin to act as. */
  admin: string;
  /** Times a 429, 5xx or unreachable call is sent again. */
  retries: number;
  /** Told of each retry. */
  onRetry?: (() => void) | undefined;
  /** How to wait between tries (tests pass one that does not). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** Who to select: users of an org unit and/or matching a query (none: every user), or a group. */
export type DirectorySelection =
  | { kind: "users"; ou?: string | undefined; query?: string | undefined }
  | { kind: "group"; group: string };

/** The selected emails, in order, and how many suspended users were left out. */
export interface DirectoryUsers {
  users: string[];
  skipped: number;
}

interface GoogleError {
  message: string;
  reason: string | undefined;
}

function readGoogleError(text: string): GoogleError {
  try {
    const e = (
      JSON.parse(text) as { error?: { message?: unknown; errors?: { reason?: unknown }[] } }
    ).error;
    const reason = e?.errors?.[0]?.reason;
    return {
      message: typeof e?.message === "string" ? e.message : text.slice(0, 200),
      reason: typeof reason === "string" ? reason : undefined,
    };
  } catch {
    return { message: text.slice(0, 200), reason: undefined };
  }
}

function retryable(status: number, reason: string | undefined): boolean {
  return (
    status === 429 ||
    status >= 500 ||
    (status === 403 && (reason === "rateLimitExceeded" || reason === "userRateLimitExceeded"))
  );
}

function toError(
  status: number,
  error: GoogleError,
  what: string,
  context: DirectoryContext,
): DirectoryError {
  const said = `${status} ${error.message}`;
  if (status === 404 && /groupKey/.test(error.message))
    return new DirectoryError(
      "group_not_found",
      `No group ${what} in Directory (${said})`,
      "Check the group's email address (or its ID); the group must belong to the admin's Workspace",
      status,
    );
  if (status === 403 && error.reason === "insufficientPermissions")
    return new DirectoryError(
      "insufficient_scope",
      `Directory refused the token of ${context.admin} for ${what}: ${said}`,
      `The token lacks ${allDirectoryScopes.join(" or ")}; grant them to the client in the Admin console's domain-wide delegation`,
      status,
    );
  if (status === 403)
    return new DirectoryError(
      "directory_not_authorized",
      `Directory refused ${context.admin} for ${what}: ${said}`,
      "--admin must name a Workspace admin allowed to read users and groups (a super admin, or a role with Admin API privileges Users › Read and Groups › Read); check the address or give another admin",
      status,
    );
  if (status === 400)
    return new DirectoryError(
      "bad_request",
      `Directory refused ${what}: ${said}`,
      "Check --ou (a path like /Sales) and --query (Directory's user search syntax, e.g. \"orgUnitPath='/Sales' isSuspended=false\")",
      status,
    );
  return new DirectoryError(
    "directory_error",
    `Directory failed ${what}: ${said}`,
    "Try again later; with --verbose each HTTP exchange is shown",
    status,
  );
}

const chosen = new WeakMap<DirectoryContext, Map<string, string>>();

/**
 * A token of the admin for `scope`; for the member scope, a grant that refuses it but holds
 * `admin.directory.group.readonly` is used with that (the refusal of the first is thrown when both fail).
 */
async function tokenFor(
  context: DirectoryContext,
  scope: string,
): Promise<{ accessToken: string }> {
  const held = chosen.get(context) ?? new Map<string, string>();
  chosen.set(context, held);
  const known = held.get(scope);
  if (known !== undefined)
    return await context.tokenSource.getToken({ subject: context.admin, scopes: [known] });
  const candidates = scope === directoryScopes.members ? [scope, groupReadonly] : [scope];
  let first: unknown;
  for (const candidate of candidates) {
    try {
      const token = await context.tokenSource.getToken({
        subject: context.admin,
        scopes: [candidate],
      });
      held.set(scope, candidate);
      return token;
    } catch (error) {
      if (!isGrantRefusal(error)) throw error;
      first ??= error;
    }
  }
  throw first;
}

/** One GET as the admin, retried on 429, 5xx, rate limits and network failures (backoff, Retry-After). */
async function get(
  context: DirectoryContext,
  scope: string,
  path: string,
  what: string,
): Promise<unknown> {
  const sleep = context.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    // The token source caches: one exchange per scope for the whole selection.
    const { accessToken } = await tokenFor(context, scope);
    let status = 0;
    let text = "";
    let retryAfter: string | null = null;
    try {
      const response = await context.fetch(`${context.root}${path}`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      text = await response.text();
    } catch (error) {
      if (attempt >= context.retries)
        throw new DirectoryError(
          "directory_unreachable",
          `Cannot reach Directory at "${context.root}" for ${what}: ${error instanceof Error ? error.message : String(error)}`,
          "Check the network (and DWD_EMULATOR_HOST or --api-root), then try again",
          0,
        );
    }
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new DirectoryError(
          "directory_error",
          `Directory answered ${what} with something other than JSON`,
          "Check that --api-root (or DWD_EMULATOR_HOST) points at Google or the emulator",
          status,
        );
      }
    }
    const error = status === 0 ? undefined : readGoogleError(text);
    if (error !== undefined && !retryable(status, error.reason))
      throw toError(status, error, what, context);
    if (attempt >= context.retries && error !== undefined)
      throw toError(status, error, what, context);
    context.onRetry?.();
    const after = Number(retryAfter);
    await sleep(
      retryAfter !== null && Number.isFinite(after) && after >= 0
        ? Math.min(after, 60) * 1000
        : Math.min(250 * 2 ** attempt, 8000) * (0.5 + Math.random() / 2),
    );
  }
}

/** The users.list query for a selection: the org unit, then the given query (Directory ANDs them). */
export function usersQuery(ou: string | undefined, query: string | undefined): string | undefined {
  const parts = [
    ...(ou === undefined ? [] : [`orgUnitPath='${ou.replace(/'/g, "\\'")}'`]),
    ...(query === undefined ? [] : [query]),
  ];
  return parts.length === 0 ? undefined : parts.join(" ");
}

/** Every user of the admin's customer matching the selection, page by page (500 a page). */
async function listUsers(
  context: DirectoryContext,
  query: string | undefined,
  includeSuspended: boolean,
): Promise<DirectoryUsers> {
  const users: string[] = [];
  let skipped = 0;
  let pageToken: string | undefined;
  const what = query === undefined ? "users.list" : `users.list with query "${query}"`;
  do {
    const params = new URLSearchParams({
      customer: "my_customer",
      maxResults: String(usersPageSize),
      fields: "users(primaryEmail,suspended),nextPageToken",
    });
    if (query !== undefined) params.set("query", query);
    if (pageToken !== undefined) params.set("pageToken", pageToken);
    const page = (await get(context, directoryScopes.users, `/users?${params}`, what)) as {
      users?: { primaryEmail?: unknown; suspended?: unknown }[];
      nextPageToken?: unknown;
    };
    for (const user of page.users ?? []) {
      if (typeof user.primaryEmail !== "string") continue;
      if (user.suspended === true && !includeSuspended) skipped++;
      else users.push(user.primaryEmail.toLowerCase());
    }
    pageToken =
      typeof page.nextPageToken === "string" && page.nextPageToken !== ""
        ? page.nextPageToken
        : undefined;
  } while (pageToken !== undefined);
  return { users, skipped };
}

/**
 * The users of a group, nested groups flattened (depth first, each group listed once, so a cycle ends),
 * each user once, in the order first met.
 */
async function listGroupUsers(
  context: DirectoryContext,
  group: string,
  includeSuspended: boolean,
): Promise<DirectoryUsers> {
  const users = new Set<string>();
  const suspended = new Set<string>();
  const visited = new Set<string>();
  const walk = async (key: string): Promise<void> => {
    visited.add(key.toLowerCase());
    let pageToken: string | undefined;
    const nested: string[] = [];
    do {
      const params = new URLSearchParams({
        maxResults: String(membersPageSize),
        fields: "members(email,type,status),nextPageToken",
      });
      if (pageToken !== undefined) params.set("pageToken", pageToken);
      const page = (await get(
        context,
        directoryScopes.members,
        `/groups/${encodeURIComponent(key)}/members?${params}`,
        `members.list of "${key}"`,
      )) as {
        members?: { email?: unknown; type?: unknown; status?: unknown }[];
        nextPageToken?: unknown;
      };
      for (const member of page.members ?? []) {
        if (typeof member.email !== "string") continue;
        const email = member.email.toLowerCase();
        if (member.type === "GROUP") nested.push(email);
        else if (member.type === "USER") {
          if (member.status === "SUSPENDED" && !includeSuspended) suspended.add(email);
          else users.add(email);
        }
      }
      pageToken =
        typeof page.nextPageToken === "string" && page.nextPageToken !== ""
          ? page.nextPageToken
          : undefined;
    } while (pageToken !== undefined);
    for (const inner of nested) if (!visited.has(inner)) await walk(inner);
  };
  await walk(group);
  for (const email of users) suspended.delete(email);
  return { users: [...users], skipped: suspended.size };
}

/** The users a selection names, as the admin sees them in Directory. */
export async function directoryUsers(
  context: DirectoryContext,
  selection: DirectorySelection,
  includeSuspended: boolean,
): Promise<DirectoryUsers> {
  return selection.kind === "group"
    ? await listGroupUsers(context, selection.group, includeSuspended)
    : await listUsers(context, usersQuery(selection.ou, selection.query), includeSuspended);
}
