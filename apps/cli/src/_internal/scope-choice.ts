// Which scope a command asks for. With --scopes, exactly those. Without, the narrowest scope the method
// accepts that a domain-wide delegation grant commonly holds, falling back to broader ones when the token
// endpoint says the grant lacks it: `calendar.readonly` where it is granted, `calendar` where only that
// is. The choosing is @dwd/calendar's `createScopeChoice` (the library and dwd-server use the same): made
// once per run (the grant is per client, not per user), its token cached. This module keeps only the
// CLI's ladder and its wording.
import { DelegationError } from "@dwd/auth";
import type { TokenSource } from "@dwd/auth";
import { createScopeChoice as libraryScopeChoice, isGrantRefusal } from "@dwd/calendar";
import type { ArgsDef } from "citty";
import { parseScopes, stringArg } from "./args.ts";
import type { GrantMemory } from "./token-file.ts";

const auth = "https://www.googleapis.com/auth/";

/** `--scopes`, on every command that calls Google. */
export const scopesArg = {
  scopes: {
    type: "string",
    valueHint: "scopes",
    description:
      "Scopes to ask for, comma-separated; bare names get Google's prefix (default: the narrowest the method accepts that the grant holds)",
  },
} as const satisfies ArgsDef;

/**
 * Scopes commonly granted to a DWD client, narrowest first. Others (`calendar.acls`, `calendar.calendarlist`,
 * `calendar.events.owned`, …) are used only when asked for with --scopes: trying each would cost a refused
 * token exchange per scope on every run.
 */
export const commonGrantLadder: readonly string[] = [
  `${auth}calendar.freebusy`,
  `${auth}calendar.readonly`,
  `${auth}calendar.events`,
  `${auth}calendar`,
];

/** The scopes to try for a method, in order: the ladder's entries the method accepts (else its own list). */
export function scopeCandidates(accepted: readonly string[]): string[] {
  const tried = commonGrantLadder.filter((s) => accepted.includes(s));
  return tried.length > 0 ? tried : [...accepted];
}

export { isGrantRefusal };

const short = (scope: string): string =>
  scope.startsWith(auth) ? scope.slice(auth.length) : scope;
const quoted = (scopes: readonly string[]): string => scopes.map((s) => `"${short(s)}"`).join(", ");

/** Most token exchanges a run has in flight at once: each holds a socket (a common open-file limit is 1024). */
export const maxTokenConcurrency = 200;

/**
 * Users that, in a run over many, ask for the narrowest scope while the first user's exchange is still
 * finding out whether the grant holds it (see @dwd/calendar's `speculative`): one batch's worth, so the
 * first batch can leave with the first answer instead of a round trip after it. When the grant holds
 * that scope (as the README's grant list has it), this costs nothing; when it does not, each of them has
 * spent one refused exchange: at most 49 a run, whatever the number of users.
 */
export const speculativeExchanges = 50;

/** Picks, and remembers, the scopes of one method for a whole run. */
export interface ScopeChoice {
  /** The method's discovery id, e.g. `calendar.events.list`. */
  readonly method: string;
  /** The scopes to use for `subject`; asks the token endpoint (and caches the token) the first time. */
  scopesFor(subject: string | undefined): Promise<string[]>;
  /**
   * Starts {@link scopesFor} for each of `subjects` now, without waiting; each one's next `scopesFor`
   * takes that answer (a failure too, then: it is that user's, and it is not asked twice).
   */
  prefetch(subjects: readonly (string | undefined)[]): void;
}

/** A ScopeChoice's `prefetch` over its `scopesFor`: each started answer is taken once. */
function withPrefetch(
  method: string,
  scopesFor: (subject: string | undefined) => Promise<string[]>,
): ScopeChoice {
  const started = new Map<string | undefined, Promise<string[]>>();
  return {
    method,
    scopesFor(subject) {
      const early = started.get(subject);
      if (early === undefined) return scopesFor(subject);
      started.delete(subject);
      return early;
    },
    prefetch(subjects) {
      for (const subject of subjects) {
        if (started.has(subject)) continue;
        const answer = scopesFor(subject);
        answer.catch(() => {}); // observed when taken; a run that ends first has no use for it
        started.set(subject, answer);
      }
    },
  };
}

/** What {@link createScopeChoice} needs. */
export interface ScopeChoiceOptions {
  /** Discovery id of the method the command calls. */
  method: string;
  /** Every scope the method accepts (any one suffices), from the discovery data. */
  accepted: readonly string[];
  /** --scopes, when given: used as is, never replaced. */
  explicit: string[] | undefined;
  tokenSource: Pick<TokenSource, "getToken">;
  /**
   * Which scope the grant was found to hold, remembered between runs (token-file.ts): the search starts
   * from it, then goes on with the rest of the candidates, narrowest first, as before.
   */
  memory?: GrantMemory | undefined;
}

/**
 * Chooses the scopes for a method. A refusal of every candidate (or of --scopes) becomes a
 * `DelegationError` `scope_not_granted` that names the scopes the method accepts.
 */
export function createScopeChoice(options: ScopeChoiceOptions): ScopeChoice {
  const { method, accepted, explicit, tokenSource, memory } = options;
  const candidates = explicit ?? scopeCandidates(accepted);

  // The hint of the first (narrowest) refusal carries the token endpoint's own fix: the Admin-console
  // step and link for that scope.
  const refused = (
    first: DelegationError,
    tried: string[],
    subject: string | undefined,
  ): DelegationError => {
    const client =
      first.clientId !== undefined ? `client "${first.clientId}"` : "the service account";
    // unauthorized_client also means "not a user of the granting domain" or "another client ID".
    const otherCauses =
      first.code === "delegation_not_authorized"
        ? `; or ${subject === undefined ? "no user is impersonated" : `"${subject}" is not a user of the Workspace domain that granted it`}; or the entry names another client ID`
        : "";
    const what = `is not authorized for domain-wide delegation of ${explicit !== undefined ? `--scopes ${quoted(tried)}` : `any of ${quoted(tried)}`}${otherCauses}`;
    const fix =
      explicit !== undefined
        ? "pass --scopes with one that the grant holds, or grant one"
        : "grant one, or pass --scopes with one that the grant holds";
    return new DelegationError(
      first.code,
      `Cannot call ${method}${subject === undefined ? "" : ` as "${subject}"`}: ${client} ${what} (the method accepts any one of ${quoted(accepted)})`,
      {
        clientEmail: first.clientEmail,
        clientId: first.clientId,
        subject,
        scopes: tried,
        status: first.status,
        tokenUri: first.tokenUri,
        oauthError: first.oauthError,
        oauthErrorDescription: first.oauthErrorDescription,
        cause: first,
        hint: `${method} accepts any one of ${quoted(accepted)}: ${fix}. ${first.hint ?? ""}`.trim(),
      },
    );
  };

  if (explicit !== undefined) {
    let held = false; // once one token came, the grant holds --scopes
    return withPrefetch(method, async (subject) => {
      if (held) return explicit;
      try {
        await tokenSource.getToken({ subject, scopes: explicit });
        held = true;
        return explicit;
      } catch (error) {
        throw isGrantRefusal(error) ? refused(error, explicit, subject) : error;
      }
    });
  }
  // A scope the grant held when last looked at (within a week) goes first: a grant of only …/calendar
  // then costs no refused exchange for each narrower scope on every run.
  const ladder = candidates.join(" ");
  const [remembered] = memory?.get(ladder) ?? [];
  const order =
    remembered !== undefined && candidates.includes(remembered)
      ? [remembered, ...candidates.filter((c) => c !== remembered)]
      : candidates;
  const [narrowest = "", ...fallbacks] = order;
  // While the first user's exchange says whether the grant holds the narrowest scope, up to
  // speculativeExchanges other users ask for it too instead of waiting one round trip behind it.
  const choice = libraryScopeChoice(tokenSource, {
    fallbacks,
    speculative: speculativeExchanges,
  });
  return withPrefetch(method, async (subject) => {
    try {
      const chosen = [...(await choice.choose({ subject, scopes: [narrowest] }))];
      memory?.set(ladder, chosen);
      return chosen;
    } catch (error) {
      if (!isGrantRefusal(error)) throw error;
      // The library names the scopes it tried; the CLI names the method and what it accepts, with the
      // hint of the first (narrowest) refusal.
      const first = error.cause instanceof DelegationError ? error.cause : error;
      throw refused(first, candidates, subject);
    }
  });
}

/** Reads --scopes (undefined when absent). */
export function explicitScopes(args: Record<string, unknown>): string[] | undefined {
  const value = stringArg(args, "scopes");
  return value === undefined ? undefined : parseScopes(value, []);
}
