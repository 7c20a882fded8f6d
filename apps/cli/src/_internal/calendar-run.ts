// What every Calendar command shares: flags, the session and client, the scope choice, the users to act
// as, and list output across many users (batched where it helps).
import { readFileSync } from "node:fs";
import type { CalendarCalls, CalendarClient, MethodKey, PreparedCall } from "@dwd/calendar";
import type { ArgsDef } from "citty";
import { calendarCall } from "./calendar-call.ts";
import { callArgs } from "./call-args.ts";
import { delegatedScopesFor } from "./delegated-scopes.ts";
import { allDirectoryScopes } from "./directory.ts";
import type { Io } from "./io.ts";
import { printJson } from "./io.ts";
import { jsonDepth, maxJsonDepth } from "./json-depth.ts";
import type { SubjectFailure } from "./many-users.ts";
import { forEachSubject, pool, summarizeFailures, summaryLine } from "./many-users.ts";
import type { ListOutput } from "./list-output.ts";
import { listOutput } from "./list-output.ts";
import type { Column } from "./output.ts";
import { csvFields, csvKindOf, fieldsArg } from "./csv.ts";
import { outputArgs, outputMode } from "./output.ts";
import type { Progress } from "./progress.ts";
import { createProgress } from "./progress.ts";
import type { ScopeChoice } from "./scope-choice.ts";
import {
  explicitScopes,
  isGrantRefusal,
  maxTokenConcurrency,
  speculativeExchanges,
} from "./scope-choice.ts";
import type { KeyOptions, Session } from "./session.ts";
import { openSession } from "./session.ts";
import type { SubjectSource } from "./subjects.ts";
import { concurrencyArg, manySubjectsArgs, resolveSubjects, subjectSource } from "./subjects.ts";
import type { Terminal } from "./terminal.ts";
import { UsageError } from "./usage-error.ts";
import { userOrder } from "./user-order.ts";

export { callArgs, listOutput };
export type { ListOutput };

/** Flags of every list command: many users, output formats, batching. */
export const listArgs = {
  ...callArgs,
  ...manySubjectsArgs,
  ...outputArgs,
  "no-batch": {
    type: "boolean",
    description: "With many users, send one request per call instead of batch requests",
  },
} as const satisfies ArgsDef;

const googleRoot = "https://www.googleapis.com";

/** A command's Calendar context: one client, the method's scope choice, and who to act as. */
export interface CalendarRun {
  /**
   * When the run began, on the wall clock (`Date.now()`), for its summary line. Not `performance.now()`:
   * its first call loads perf_hooks (~1 ms of a run's start); a summary counts tenths of a second.
   */
  startedAt: number;
  session: Session;
  client: CalendarClient;
  /** A client whose every call asks for `scopes` (for helpers that take a client, like the sync). */
  clientWithScopes(scopes: string[]): CalendarClient;
  scopes: ScopeChoice;
  subjects: (string | undefined)[];
  /** The users came from --subjects, --subjects-file or --all-users (output is tagged, failures summarised). */
  many: boolean;
  concurrency: number;
  io: Io;
  terminal: Terminal;
}

/** Flags read before anything is loaded, so usage errors come first. */
export interface RunFlags {
  source: SubjectSource;
  scopes: string[] | undefined;
  concurrency: number;
}

/** Reads the flags every Calendar command shares. */
export function runFlags(args: Record<string, unknown>): RunFlags {
  return {
    source: subjectSource(args),
    scopes: explicitScopes(args),
    concurrency: concurrencyArg(args),
  };
}

export { methodId } from "./calendar-call.ts";

/**
 * Loads the key, finds the users, builds the client and the scope choice for `method`. With many users
 * the scope is chosen once up front: a grant that holds none of the method's scopes fails the run with
 * one error instead of one per user.
 */
export async function openCalendarRun(
  method: MethodKey,
  flags: RunFlags,
  keys: KeyOptions,
  io: Io,
  terminal: Terminal,
): Promise<CalendarRun> {
  const startedAt = Date.now();
  const directory = flags.source.kind === "directory";
  const session = await openSession(
    keys,
    io,
    directory
      ? delegatedScopesFor([...(flags.scopes ?? []), ...allDirectoryScopes])
      : delegatedScopesFor(flags.scopes),
  );
  const root = new URL(session.calendarRoot).origin;
  const retries = session.retries ?? 5;
  const subjects = await resolveSubjects(flags.source, {
    fetch: session.fetch,
    emulatorUrl: root === googleRoot ? undefined : root,
    onSkipped: (users) =>
      io.err(
        `note: skipped ${users.length} suspended ${users.length === 1 ? "user" : "users"} (${users.join(", ")}); --include-suspended acts as them too`,
      ),
    onSkippedCount: (count) =>
      io.err(
        `note: skipped ${count} suspended ${count === 1 ? "user" : "users"}; --include-suspended acts as them too`,
      ),
    directory: {
      fetch: session.fetch,
      tokenSource: session.tokenSource,
      root: `${root}/admin/directory/v1`,
      retries,
      onRetry: () => session.stats.retries++,
    },
  });
  const many = flags.source.kind !== "one";
  // A retry is said on stderr: always with --verbose; without, when one user waits (a run over many users
  // counts them in its summary line instead of interleaving a line per retry with the progress bar).
  const say = session.log ?? (many ? undefined : (line: string) => io.err(line));
  const { client, clientWithScopes, scopes } = calendarCall(session, method, flags.scopes, say);
  if (many) {
    // The first user's exchange tells whether the grant holds the method's scopes (a refusal of all is
    // the run's one error, below). The next users' exchanges (a batch's worth) start with it, not one
    // round trip after (scope-choice.ts's speculativeExchanges); the fan-out takes their answers.
    const first = scopes.scopesFor(subjects[0]);
    scopes.prefetch(
      subjects.slice(1, Math.min(speculativeExchanges, tokenConcurrency(flags.concurrency))),
    );
    try {
      await first;
    } catch (error) {
      // Another failure (say, the first user does not exist) is that user's; it shows in the summary.
      if (isGrantRefusal(error)) throw error;
    }
  }
  return {
    startedAt,
    session,
    client,
    clientWithScopes,
    scopes,
    subjects,
    many,
    concurrency: flags.concurrency,
    io,
    terminal,
  };
}

/** A progress bar for a many-user run (drawn only on a terminal). */
export function runProgress(run: CalendarRun, label = "users"): Progress {
  return createProgress(run.subjects.length, {
    label,
    enabled: run.many && run.terminal.stderrTty,
    write: run.terminal.writeErr,
  });
}

/** One page of a list method. */
export interface Page<T> {
  items?: T[] | null;
  nextPageToken?: string | null;
}

/** How to list one resource: every item for one user, and (for batching) one page as a prepared call. */
export interface Lister<T> {
  method: MethodKey;
  all(client: CalendarClient, scopes: string[]): AsyncIterable<T>;
  page?(
    calls: CalendarCalls,
    scopes: string[],
    pageToken: string | undefined,
  ): PreparedCall<Page<T>>;
}

/** Calls in one batch request (Google's limit is 1000; 50 is what Google recommends and dwd sends). */
export const batchSize = 50;

/**
 * Token exchanges in flight at once: enough for the batches that may be in flight (--concurrency batches
 * of 50), as @dwd/calendar's batch() asks for the tokens of all its chunks in flight at once, up to 200.
 * An exchange is one small POST to the token endpoint, which Google does not limit per user as it limits
 * Calendar: a cold run over 200 users waits one round trip for its tokens, not four (50 at a time).
 */
export const tokenConcurrency = (concurrency: number): number =>
  Math.min(concurrency * batchSize, maxTokenConcurrency);

/**
 * Lists for every user of the run. With many users and a `page` builder, the pages go out as batch
 * requests (50 calls each, every part with its user's token): the first pages as a pipeline, a batch
 * leaving as soon as 50 users have their tokens (or no exchange is left), while the other exchanges go
 * on; then round after round of further pages until each user's last. Otherwise one user at a time per
 * worker. Failures are per user.
 *
 * Items are emitted as they are released, and `options.flush` is called after each release, so output
 * can be written while other batches are in flight: batched, each user's first page in the order of the
 * users (a user's page waits only for the users before it), then each further round of pages, users in
 * order; one user at a time (`batch: false`, or a lister without pages), as each user's pages arrive.
 */
export async function listAcrossUsers<T>(
  run: CalendarRun,
  lister: Lister<T>,
  emitItem: (subject: string | undefined, item: T) => void,
  options: {
    batch: boolean;
    /** Called after each release of items: a chance to write them. */
    flush?: () => void;
    /** Called once a user's last page is emitted (never for a user that failed). */
    done?: (subject: string | undefined) => void;
  },
): Promise<SubjectFailure[]> {
  const progress = runProgress(run);
  // A bar on the terminal stdout streams to is cleared before any output, and drawn again after it.
  const quiet = run.terminal.stdoutTty;
  const emit = (subject: string | undefined, item: T): void => {
    if (quiet) progress.pause();
    emitItem(subject, item);
  };
  const done = (subject: string | undefined): void => {
    if (quiet) progress.pause();
    options.done?.(subject);
  };
  const flush = (): void => {
    if (quiet) progress.pause();
    options.flush?.();
    progress.resume();
  };
  if (!(options.batch && run.many && run.subjects.length > 1 && lister.page !== undefined)) {
    // Users run `concurrency` at a time; their items come out in the users' order (user-order.ts).
    const order = userOrder<T>(
      {
        item: (index, item) => emit(run.subjects[index], item),
        done: (index) => done(run.subjects[index]),
      },
      run.concurrency * 2,
    );
    return await forEachSubject(
      run.subjects,
      async (subject, index) => {
        await order.ready(index);
        let ok = false;
        try {
          const scopes = await run.scopes.scopesFor(subject);
          for await (const item of lister.all(run.client.as(subject), scopes))
            order.item(index, item);
          ok = true;
        } finally {
          order.finish(index, ok);
          flush();
        }
      },
      { concurrency: run.concurrency, progress },
    );
  }
  const page = lister.page.bind(lister);
  const failures = new Map<number, SubjectFailure>();
  type Open = { index: number; subject: string | undefined; pageToken: string | undefined };
  type Sendable = { o: Open; scopes: string[] };
  let open: Open[] = [];
  // What each user's first page settled to, held until every user before it has settled.
  const settled = new Map<number, { o: Open; value?: Page<T> }>();
  let nextToEmit = 0;
  // An output that fails (a full disk) fails the run, once every request in flight has settled.
  let broken: { error: unknown } | undefined;
  const releaseNow = (): void => {
    for (let s = settled.get(nextToEmit); s !== undefined; s = settled.get(nextToEmit)) {
      settled.delete(nextToEmit++);
      if (s.value === undefined) continue;
      for (const item of s.value.items ?? []) emit(s.o.subject, item);
      if (s.value.nextPageToken) open.push({ ...s.o, pageToken: s.value.nextPageToken });
      else done(s.o.subject);
    }
  };
  const release = (): void => {
    try {
      releaseNow();
      flush();
    } catch (error) {
      broken ??= { error };
    }
  };
  const fail = (o: Open, error: unknown): void => {
    failures.set(o.index, { subject: o.subject, error });
    progress.tick(true);
  };
  /** Sends one batch and records each part's outcome; never rejects. */
  const sendBatch = async (
    sendable: readonly Sendable[],
    outcome: (o: Open, value: Page<T>) => void,
  ): Promise<void> => {
    try {
      const results = await run.client.batch(
        sendable.map(({ o, scopes }) => page(run.client.calls.as(o.subject), scopes, o.pageToken)),
        { concurrency: run.concurrency },
      );
      for (const [i, result] of results.entries()) {
        const o = sendable[i]?.o;
        if (o === undefined) continue;
        if (!result.ok) fail(o, result.error);
        else {
          if (!result.value.nextPageToken) progress.tick(false);
          outcome(o, result.value);
        }
      }
    } catch (error) {
      // batch() settles every part; a throw here (a bug, an abort) is each of these users' failure.
      for (const { o } of sendable) fail(o, error);
    }
  };

  // First pages: tokens minted `tokenConcurrency` at a time, a batch out per 50 users with tokens.
  const waiting: Sendable[] = [];
  const inFlight = new Set<Promise<void>>();
  const firstPage = (o: Open, value: Page<T>): void => {
    settled.set(o.index, { o, value });
  };
  const sendWaiting = async (): Promise<void> => {
    while (inFlight.size >= run.concurrency) await Promise.race(inFlight);
    const chunk = waiting.splice(0, batchSize);
    if (chunk.length === 0) return;
    const sent: Promise<void> = sendBatch(chunk, firstPage).then(() => {
      inFlight.delete(sent);
      for (const { o } of chunk) if (!settled.has(o.index)) settled.set(o.index, { o });
      release();
    });
    inFlight.add(sent);
  };
  await pool(
    [...run.subjects.entries()],
    tokenConcurrency(run.concurrency),
    async ([index, subject]) => {
      const o: Open = { index, subject, pageToken: undefined };
      try {
        const scopes = await run.scopes.scopesFor(subject);
        await run.session.tokenSource.getToken({ subject, scopes });
        waiting.push({ o, scopes });
      } catch (error) {
        fail(o, error);
        settled.set(index, { o });
        release();
        return;
      }
      if (waiting.length >= batchSize) await sendWaiting();
    },
  );
  while (waiting.length > 0) await sendWaiting();
  await Promise.all(inFlight);
  release();
  if (broken !== undefined) throw broken.error;

  // Further pages: every token is cached by now; round after round, in the order of the users.
  while (open.length > 0) {
    const round = open;
    open = [];
    const scopes = await readyUsers(
      run,
      round.map((o) => o.subject),
    );
    const sendable: Sendable[] = [];
    for (const [i, o] of round.entries()) {
      const ready = scopes[i];
      if (ready !== undefined && "scopes" in ready) sendable.push({ o, scopes: ready.scopes });
      else fail(o, ready?.error);
    }
    if (sendable.length === 0) continue;
    const pages = new Map<number, Page<T>>();
    await sendBatch(sendable, (o, value) => pages.set(o.index, value));
    for (const { o } of sendable) {
      const value = pages.get(o.index);
      if (value === undefined) continue;
      for (const item of value.items ?? []) emit(o.subject, item);
      if (value.nextPageToken) open.push({ ...o, pageToken: value.nextPageToken });
      else done(o.subject);
    }
    flush();
  }
  progress.finish();
  return [...failures.entries()].sort(([a], [b]) => a - b).map(([, f]) => f);
}

/** A user ready for a batch (its scopes, its token cached), or why not. */
export type Ready = { scopes: string[] } | { error: unknown };

/**
 * The scopes for each user, with each user's token already fetched (a user the token endpoint refuses
 * gets the error instead, and is left out of the batch): {@link tokenConcurrency} exchanges at a time,
 * one per user. The batch then finds every token cached.
 */
export async function readyUsers(
  run: CalendarRun,
  subjects: readonly (string | undefined)[],
): Promise<Ready[]> {
  const out: Ready[] = [];
  await pool([...subjects.entries()], tokenConcurrency(run.concurrency), async ([i, subject]) => {
    try {
      const scopes = await run.scopes.scopesFor(subject);
      await run.session.tokenSource.getToken({ subject, scopes });
      out[i] = { scopes };
    } catch (error) {
      out[i] = { error };
    }
  });
  return out;
}

/** The CSV columns of a list method: `--fields`, else the defaults for its items. */
export function csvColumns(args: Record<string, unknown>, method: string): string[] {
  return fieldsArg(args) ?? [...(csvFields[csvKindOf[method] ?? ""] ?? ["id"])];
}

/** Runs a list command end to end: list for every user, print, summarise failures; the exit code. */
export async function runList<T extends object>(
  run: CalendarRun,
  lister: Lister<T>,
  columns: readonly Column<T>[],
  args: Record<string, unknown>,
): Promise<number> {
  const output = listOutput(outputMode(args), columns, run, csvColumns(args, lister.method));
  const failures = await listInto(run, lister, output, { batch: args["no-batch"] !== true });
  return endRun(run, failures);
}

/**
 * Lists for every user of the run into `output` as the items come (see {@link listAcrossUsers}), then
 * finishes it. Should the run stop on an error (stdout refusing a write), the output is still finished
 * before the error goes on: what was written is whole items, so a `--json` array is closed, valid JSON
 * of the items written so far, and the error is said on stderr with its exit code.
 */
export async function listInto<T extends object>(
  run: CalendarRun,
  lister: Lister<T>,
  output: ListOutput<T>,
  options: { batch: boolean },
): Promise<SubjectFailure[]> {
  let failures: SubjectFailure[];
  try {
    failures = await listAcrossUsers(run, lister, (s, item) => output.add(s, item), {
      batch: options.batch,
      flush: () => output.flush(),
    });
  } catch (error) {
    try {
      output.finish();
    } catch {
      // The output that failed fails again (it is closed by now); the first error is the one to say.
    }
    throw error;
  }
  output.finish();
  return failures;
}

/**
 * Ends a run over the users: the failures summarised (see summarizeFailures), then, for a run over many
 * users, one line of what it did (users ok and failed, requests, token exchanges, retries, time).
 *
 * @returns the exit code
 */
export function endRun(
  run: Pick<CalendarRun, "startedAt" | "session" | "subjects" | "many" | "io">,
  failures: readonly SubjectFailure[],
): number {
  const code = summarizeFailures(failures, run.subjects.length, run.io, { many: run.many });
  if (run.many) {
    const { requests, tokenExchanges, retries } = run.session.stats;
    run.io.err(
      summaryLine({
        users: run.subjects.length,
        failed: failures.length,
        requests,
        tokenExchanges,
        retries,
        elapsedMs: Math.max(0, Date.now() - run.startedAt),
      }),
    );
  }
  return code;
}

/** `--file` / `--body` input: a JSON object from a flag or a file (`-` is stdin). */
export function readJsonInput(
  args: Record<string, unknown>,
  what: string,
): Record<string, unknown> {
  const body = typeof args["body"] === "string" ? args["body"] : undefined;
  const file = typeof args["file"] === "string" ? args["file"] : undefined;
  if ((body === undefined) === (file === undefined))
    throw new UsageError(
      `Missing ${what}: give exactly one of --body or --file`,
      `Pass the ${what} as JSON: --body '{"summary":"…"}' or --file ${what.replace(/\s/g, "-")}.json`,
    );
  let text = body ?? "";
  if (file !== undefined) text = readTextFile(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Invalid ${what} in ${file === undefined ? "--body" : `"${file}"`}: not JSON (${error instanceof Error ? error.message : String(error)})`,
      `Give the ${what} as one JSON object`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(
      `Invalid ${what} in ${file === undefined ? "--body" : `"${file}"`}: not a JSON object`,
      `Give the ${what} as one JSON object, e.g. {"summary":"…"}`,
    );
  if (jsonDepth(value) > maxJsonDepth)
    throw new UsageError(
      `Invalid ${what} in ${file === undefined ? "--body" : `"${file}"`}: it nests deeper than ${maxJsonDepth} levels`,
      `Give the ${what} as one JSON object of a few levels, e.g. {"summary":"…"}`,
    );
  return value as Record<string, unknown>;
}

/** Reads a text file (or stdin for `-`); a missing file is a usage error. */
export function readTextFile(path: string): string {
  try {
    // node:fs, not node:fs/promises (a module of its own to load: ~3 ms of a run).
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      `Cannot read "${path}": ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
      "Check the path",
    );
  }
}

/** Prints one resource: JSON with --json (or when piped), else the given lines. */
export function printOne(
  value: object,
  args: Record<string, unknown>,
  io: Io,
  lines: () => string[],
): void {
  if (args["json"] === true) printJson(io, value);
  else for (const line of lines()) io.out(line);
}
