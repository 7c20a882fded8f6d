/**
 * The policy: who is calling (bearer token → caller, compared in constant time) and what that caller
 * may do (subjects, operations, scopes). Deny by default: anything not named is refused.
 *
 * @module
 */

import type { CallerConfig, RateConfig } from "./config.ts";
import type { IdentityCaller } from "./identity.ts";
import { compileIdentity } from "./identity.ts";
import type { CalendarOperation, Operation } from "./operations.ts";
import { operationScopes } from "./operations.ts";

/** A caller with its policy compiled for fast checks. */
export interface Caller {
  name: string;
  operations: ReadonlySet<Operation>;
  scopes: readonly string[];
  rate: RateConfig;
  /** Whether the caller may act as `subject` (lower-cased email). */
  allowsSubject(subject: string): boolean;
  /** Calendar patterns beyond the subject's own (`calendars` in the configuration). */
  calendars: readonly string[];
  /** Whether the caller, acting as `subject`, may reach `calendarId` (the subject's own always). */
  allowsCalendar(subject: string, calendarId: string): boolean;
}

/** Why a request was refused by the policy. */
export interface Refusal {
  /** `subject_not_allowed`, `operation_not_allowed` or `scope_not_allowed`. */
  code:
    "subject_not_allowed" | "operation_not_allowed" | "scope_not_allowed" | "calendar_not_allowed";
  /** One line naming what was refused (never whether the subject exists). */
  detail: string;
  /** The fix. */
  hint: string;
}

/** A compiled policy. */
export interface Policy {
  /** The caller whose token hashes to `tokenSha256`, compared against every caller in constant time. */
  authenticate(tokenSha256: Uint8Array): Caller | undefined;
  /** Checks one request; undefined when allowed. */
  authorize(
    caller: Caller,
    request: {
      operation: Operation;
      subjects?: readonly string[];
      scopes?: readonly string[];
      /** The calendar the request is about (path routes), reached as the one subject. */
      calendarId?: string;
    },
  ): Refusal | undefined;
  /** The scope to use for `operation` on behalf of `caller`: the narrowest its policy allows. */
  scopeFor(caller: Caller, operation: CalendarOperation): string | undefined;
  /** Every scope any caller may use (the health check asks for each). */
  allScopes: readonly string[];
  callers: readonly Caller[];
  /** The callers known by a workload identity (an OIDC ID token) instead of a token hash. */
  identities: readonly IdentityCaller[];
}

const defaultRate: RateConfig = { requests: 600, per: "minute" };

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths.
 *
 * @param a first
 * @param b second
 * @returns whether they are equal
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * SHA-256 of a bearer token, as bytes (what {@link Policy.authenticate} takes).
 *
 * @param token the bearer token
 * @returns 32 bytes
 */
export async function sha256(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

/**
 * Compiles callers into a {@link Policy}.
 *
 * @param callers the configured callers
 * @param subjectLists named subject lists (`list:NAME`)
 * @returns the policy
 * @example
 * ```ts
 * const policy = compilePolicy(config.callers, config.subjectLists);
 * const caller = policy.authenticate(await sha256(token));
 * ```
 */
export function compilePolicy(
  callers: readonly CallerConfig[],
  subjectLists: Record<string, readonly string[]> = {},
): Policy {
  const compiled = callers.map((c) => {
    const exact = new Set<string>();
    const domains = new Set<string>();
    for (const pattern of c.subjects) {
      // Own entries only: "list:constructor" must not reach Object.prototype.constructor.
      const name = pattern.slice(5);
      const lists = pattern.startsWith("list:")
        ? Object.hasOwn(subjectLists, name)
          ? (subjectLists[name] ?? [])
          : []
        : [pattern];
      for (const entry of lists) {
        const lower = entry.toLowerCase();
        if (lower.startsWith("*@")) domains.add(lower.slice(2));
        else exact.add(lower);
      }
    }
    const anyCalendar = (c.calendars ?? []).includes("*");
    const calendarIds = new Set<string>();
    const calendarDomains = new Set<string>();
    for (const pattern of c.calendars ?? []) {
      const lower = pattern.toLowerCase();
      if (lower.startsWith("*@")) calendarDomains.add(lower.slice(2));
      else if (lower !== "*") calendarIds.add(lower);
    }
    const caller: Caller = {
      name: c.name,
      calendars: [...(c.calendars ?? [])],
      operations: new Set(c.operations),
      scopes: [...c.scopes],
      rate: c.rate ?? defaultRate,
      allowsSubject(subject) {
        const lower = subject.toLowerCase();
        if (exact.has(lower)) return true;
        const at = lower.lastIndexOf("@");
        return at > 0 && lower.indexOf("@") === at && domains.has(lower.slice(at + 1));
      },
      allowsCalendar(subject, calendarId) {
        const id = calendarId.toLowerCase();
        if (id === "primary" || id === subject.toLowerCase() || anyCalendar) return true;
        if (calendarIds.has(id)) return true;
        const at = id.lastIndexOf("@");
        return at > 0 && calendarDomains.has(id.slice(at + 1));
      },
    };
    return {
      caller,
      digest: c.tokenSha256 === undefined ? undefined : hexBytes(c.tokenSha256),
      identity: c.identity === undefined ? undefined : compileIdentity(caller, c.identity),
    };
  });
  const hashed = compiled.flatMap((c) =>
    c.digest === undefined ? [] : [{ caller: c.caller, digest: c.digest }],
  );

  const scopeFor = (caller: Caller, operation: CalendarOperation): string | undefined =>
    operationScopes[operation].find((s) => caller.scopes.includes(s));

  return {
    callers: compiled.map((c) => c.caller),
    allScopes: [...new Set(callers.flatMap((c) => c.scopes))].sort(),
    identities: compiled.flatMap((c) => (c.identity === undefined ? [] : [c.identity])),
    authenticate(digest) {
      // Every caller is compared, whatever matched before, so the time taken does not tell which did.
      let found: Caller | undefined;
      for (const c of hashed) if (timingSafeEqual(c.digest, digest)) found = c.caller;
      return found;
    },
    scopeFor,
    authorize(caller, request) {
      if (!caller.operations.has(request.operation)) {
        return {
          code: "operation_not_allowed",
          detail: `Caller "${caller.name}" may not call the "${request.operation}" operation: ${caller.operations.size === 0 ? "its policy allows no operation" : `its policy allows ${[...caller.operations].map((o) => `"${o}"`).join(", ")}`}`,
          hint: `Add "${request.operation}" to the operations of caller "${caller.name}" in the dwd-server configuration, if it should`,
        };
      }
      // The doctor acts as no one the caller names, with the delegation's own scopes.
      if (request.operation === "doctor") return undefined;
      const refused = (request.subjects ?? []).filter((s) => !caller.allowsSubject(s));
      if (refused.length > 0) {
        return {
          code: "subject_not_allowed",
          detail: `Caller "${caller.name}" may not act as ${refused.map((s) => `"${s}"`).join(", ")}: the subject is outside its policy`,
          hint: `Add the user, its domain ("*@domain") or a list to the subjects of caller "${caller.name}" in the dwd-server configuration, if it should`,
        };
      }
      const subject = request.subjects?.[0];
      if (
        request.calendarId !== undefined &&
        subject !== undefined &&
        !caller.allowsCalendar(subject, request.calendarId)
      ) {
        return {
          code: "calendar_not_allowed",
          detail: `Caller "${caller.name}" may not reach calendar "${request.calendarId}" as "${subject}": its policy allows the subject's own calendars${caller.calendars.length > 0 ? ` and ${caller.calendars.map((p) => `"${p}"`).join(", ")}` : " only"}`,
          hint: `Add the calendar, its domain ("*@resource.calendar.google.com") or "*" to the calendars of caller "${caller.name}" in the dwd-server configuration, if it should`,
        };
      }
      const scopes =
        request.scopes ??
        (request.operation === "token"
          ? []
          : [scopeFor(caller, request.operation)].filter((s) => s !== undefined));
      const badScopes = request.scopes
        ? request.scopes.filter((s) => !caller.scopes.includes(s))
        : [];
      if (scopes.length === 0 || badScopes.length > 0) {
        const wanted =
          badScopes.length > 0
            ? badScopes
            : request.operation === "token"
              ? []
              : operationScopes[request.operation];
        return {
          code: "scope_not_allowed",
          detail: `Caller "${caller.name}" may not use ${wanted.length > 0 ? wanted.map((s) => `"${s}"`).join(" or ") : "any scope"} in the "${request.operation}" operation: ${caller.scopes.length === 0 ? "its policy allows no scope" : `its policy allows ${caller.scopes.map((s) => `"${s}"`).join(", ")}`}`,
          hint: `Add one of those scopes to caller "${caller.name}" in the dwd-server configuration, if it should`,
        };
      }
      return undefined;
    },
  };
}
