// The scopes a prefilled Admin-console link must list. The link (`overwriteClientId=true`) replaces the
// client's whole delegation entry, so a link that listed only the scope one command asked for would take
// away every other scope dwd uses: it lists all of them, and the scopes given with --scopes.
import { commonGrantLadder } from "./scope-choice.ts";

/**
 * Every scope dwd's commands may request by default (the scope choice's ladder: `calendar.freebusy`,
 * `calendar.readonly`, `calendar.events`, `calendar`), then `requested` (--scopes), without repeats.
 */
export function delegatedScopesFor(requested: readonly string[] = []): string[] {
  return [...new Set([...commonGrantLadder, ...requested])];
}
