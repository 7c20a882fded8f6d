// Running one piece of work for many users: bounded concurrency, one user's failure never stops the
// others, a progress bar on a terminal, and a summary of failures at the end that sets the exit code.
import type { Io } from "./io.ts";
import type { Progress } from "./progress.ts";
import { exitCodeFor, exitCodes } from "./report-error.ts";

/** One user's failure. */
export interface SubjectFailure {
  /** The user (undefined: the service account itself). */
  subject: string | undefined;
  error: unknown;
}

/** Runs `work` for each item with at most `concurrency` at once, in order of start; never rejects. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
}

/**
 * Runs `work` for every subject, `concurrency` at a time; a failure is recorded and the run goes on.
 *
 * @returns the failures, in the order of the subjects
 */
export async function forEachSubject(
  subjects: readonly (string | undefined)[],
  work: (subject: string | undefined, index: number) => Promise<void>,
  options: { concurrency: number; progress: Progress },
): Promise<SubjectFailure[]> {
  const failures = new Map<number, SubjectFailure>();
  await pool([...subjects.entries()], options.concurrency, async ([i, subject]) => {
    try {
      await work(subject, i);
      options.progress.tick(false);
    } catch (error) {
      failures.set(i, { subject, error });
      options.progress.tick(true);
    }
  });
  options.progress.finish();
  return [...failures.entries()].sort(([a], [b]) => a - b).map(([, f]) => f);
}

interface Described {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
}

/** `code: message` of an error, for a summary line. */
function describeError(error: unknown): {
  code: string;
  message: string;
  hint: string | undefined;
} {
  const e = (typeof error === "object" && error !== null ? error : {}) as Described;
  return {
    code: typeof e.code === "string" ? e.code : error instanceof Error ? error.name : "error",
    message: typeof e.message === "string" ? e.message : String(error),
    hint: typeof e.hint === "string" && e.hint !== "" ? e.hint : undefined,
  };
}

/**
 * Prints the per-user failure summary on stderr (`error:` per failed user, then each distinct hint once)
 * and returns the exit code: 0 when none failed, 70 when a failure was a bug, else 1.
 *
 * A run as one user (or the service account) is not summarised: its error is thrown, so it is printed
 * like any other command's, `error:` and `hint:`. A run over many users (`many`) always is, even when
 * the list held one user.
 */
export function summarizeFailures(
  failures: readonly SubjectFailure[],
  total: number,
  io: Io,
  options: { many?: boolean } = {},
): number {
  if (failures.length === 0) return exitCodes.ok;
  if (total === 1 && options.many !== true && failures[0] !== undefined) throw failures[0].error;
  const label = (text: string, style: "red" | "yellow"): string =>
    io.styleErr(style, io.styleErr("bold", text));
  io.err(`${label("error:", "red")} ${failures.length} of ${total} users failed:`);
  const hints = new Map<string, number>();
  for (const f of failures) {
    const d = describeError(f.error);
    io.err(`  ${f.subject ?? "(service account)"}: ${d.code}: ${d.message}`);
    if (d.hint !== undefined) hints.set(d.hint, (hints.get(d.hint) ?? 0) + 1);
  }
  for (const [hint, count] of hints)
    io.err(
      `${label("hint:", "yellow")} ${hint}${hints.size > 1 || count < failures.length ? ` (${count} ${count === 1 ? "user" : "users"})` : ""}`,
    );
  return failures.some((f) => exitCodeFor(f.error) === exitCodes.internal)
    ? exitCodes.internal
    : exitCodes.refused;
}

/** What one run over many users did, for its closing line. */
export interface RunCounts {
  users: number;
  failed: number;
  /** HTTP requests to the API (a batch request counts once). */
  requests: number;
  tokenExchanges: number;
  retries: number;
  elapsedMs: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The one line a run over many users ends with, on stderr whether it is a terminal or not:
 * `summary: 4 users: 3 ok, 1 failed; 5 requests, 4 token exchanges, 1 retry; 0.4 s`.
 */
export function summaryLine(c: RunCounts): string {
  const seconds =
    c.elapsedMs >= 10_000 ? Math.round(c.elapsedMs / 1000) : (c.elapsedMs / 1000).toFixed(1);
  return `summary: ${plural(c.users, "user")}: ${c.users - c.failed} ok, ${c.failed} failed; ${plural(c.requests, "request")}, ${plural(c.tokenExchanges, "token exchange")}, ${c.retries} ${c.retries === 1 ? "retry" : "retries"}; ${seconds} s`;
}
