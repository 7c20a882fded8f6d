/**
 * `POST /v1/freebusy` and `POST /v1/availability`: busy intervals of many users (one token each, one
 * batch), and the common free slots inside working hours.
 *
 * @module
 */

import { availabilityJson } from "../_internal/availability-json.ts";
import { isoWriter } from "../_internal/iso-writer.ts";
import { invalid, json, needs } from "../_internal/reply.ts";
import { findSlots, isTimeZone } from "../availability.ts";
import type { Interval } from "../availability.ts";
import type { FreeBusyAnswer } from "../calendar-port.ts";
import type { BusySpan } from "../mirror/types.ts";
import type { AppContext, Handler } from "../pipeline.ts";
import type { Caller } from "../policy.ts";
import { ProblemError } from "../problem.ts";
import { errorText, upstreamProblem } from "../upstream-problem.ts";

/** The most subject entries one availability answer lists (slots × subjects): about 150 KB of JSON. */
const maxAnswerEntries = 5000;

type BusyAnswer = {
  busy?: { start: string; end: string }[];
  /**
   * From the mirror: the busy spans in ms, kept as numbers until an answer writes them (the
   * availability search reads them as Google's whole-second instants, without a round trip through
   * text). Never sent as such: {@link written} turns them into `busy`.
   */
  spans?: readonly BusySpan[];
  error?: { code: string; status: number; detail: string; googleReason?: string };
  /** `mirror` (answered from the mirror, without Google) or `google` (asked now). */
  source: "mirror" | "google";
  /** When the answer matched Google: the mirror's last sync of the user, or now. */
  asOf: string;
};

/**
 * An instant as Google's freebusy writes it: RFC 3339 in whole seconds (a fraction, from a range's
 * edge, is dropped), so an answer reads the same from either source.
 */
function googleTime(ms: number, iso: (ms: number) => string): string {
  return `${iso(ms).slice(0, 19)}Z`;
}

/** An instant cut to the whole second, as {@link googleTime} writes it and `Date.parse` reads it back. */
function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * A subject's entry as /v1/freebusy writes it: the mirror's spans as Google's busy intervals.
 *
 * @param a the entry
 * @param iso the answer's writer of instants (isoWriter)
 */
function written(a: BusyAnswer, iso: (ms: number) => string): Omit<BusyAnswer, "spans"> {
  if (a.spans === undefined) return a;
  return {
    busy: a.spans.map(([start, end]) => ({
      start: googleTime(start, iso),
      end: googleTime(end, iso),
    })),
    source: a.source,
    asOf: a.asOf,
  };
}

function rangeOf(
  body: { timeMin: string; timeMax: string },
  maxDays: number,
): { timeMin: number; timeMax: number } {
  const timeMin = Date.parse(body.timeMin);
  const timeMax = Date.parse(body.timeMax);
  if (!(timeMax > timeMin))
    throw invalid([
      {
        field: "timeMax",
        problem: `must be after timeMin ("${body.timeMin}"), got "${body.timeMax}"`,
      },
    ]);
  if (timeMax - timeMin > maxDays * 86_400_000)
    throw invalid([{ field: "timeMax", problem: `must be at most ${maxDays} days after timeMin` }]);
  return { timeMin, timeMax };
}

/**
 * The free/busy and availability handlers, by operationId.
 *
 * @param ctx the app's context
 * @returns the handlers
 */
export function freeBusyHandlers(ctx: AppContext): Record<string, Handler> {
  const { options, metrics } = ctx;

  /** One subject's answer (or error) as the API reports it. */
  function busyEntry(
    subject: string,
    outcome: { ok: true; value: FreeBusyAnswer } | { ok: false; error: unknown },
  ): Omit<BusyAnswer, "source" | "asOf"> {
    if (!outcome.ok) {
      const p = upstreamProblem(outcome.error);
      if (p.problem.status === 500 || p.problem.status === 501) throw outcome.error;
      metrics.googleError(p.problem.googleReason ?? p.problem.code);
      return {
        error: {
          code: p.problem.code,
          status: p.problem.status,
          detail: p.problem.detail,
          ...(p.problem.googleReason ? { googleReason: p.problem.googleReason } : {}),
        },
      };
    }
    const calendars = outcome.value.calendars ?? {};
    const entry = calendars[subject] ?? Object.values(calendars)[0];
    if (entry?.errors?.length) {
      const reason = entry.errors[0]?.reason ?? "unknown";
      metrics.googleError(reason);
      return {
        error: {
          code: "freebusy_error",
          status: reason === "notFound" ? 404 : 502,
          detail: `Google could not answer for "${subject}": ${reason}`,
          googleReason: reason,
        },
      };
    }
    return { busy: (entry?.busy ?? []).map((b) => ({ start: b.start ?? "", end: b.end ?? "" })) };
  }

  /**
   * The mirror's answers for the mirrored subjects (none when `fresh`, or without a mirror); a subject
   * the mirror cannot answer (not synced yet, past its horizon, a failing store) is left out, so it is
   * asked of Google.
   */
  async function fromMirror(
    subjects: string[],
    timeMin: string,
    timeMax: string,
    fresh: boolean,
  ): Promise<Map<string, BusyAnswer>> {
    const mirror = options.mirror;
    const found = new Map<string, BusyAnswer>();
    if (mirror === undefined || fresh) return found;
    const from = Date.parse(timeMin);
    const to = Date.parse(timeMax);
    const mirrored = subjects.filter((s) => mirror.has(s));
    const iso = isoWriter(); // users synced the same day: each asOf's date is written once
    const answers = await Promise.all(
      mirrored.map((s) =>
        mirror.read(s, from, to).then(
          (a) => a,
          (error: unknown) => {
            ctx.log(
              JSON.stringify({
                level: "warn",
                msg: `mirror: cannot read "${s}", asking Google: ${errorText(error)}`,
              }),
            );
            return undefined;
          },
        ),
      ),
    );
    mirrored.forEach((s, i) => {
      const a = answers[i];
      if (a === undefined) return;
      found.set(s, {
        spans: a.busy,
        source: "mirror",
        asOf: iso(a.asOf),
      });
    });
    return found;
  }

  /**
   * Busy intervals of each subject: from the mirror when it can answer (and `fresh` is not asked),
   * else acting as that subject (one token each), in one batch when the client has it.
   */
  async function busyOf(
    caller: Caller,
    subjects: string[],
    timeMin: string,
    timeMax: string,
    operation: "freebusy" | "availability",
    fresh: boolean,
  ): Promise<Record<string, BusyAnswer>> {
    const all = [...new Set(subjects.map((s) => s.toLowerCase()))];
    const mirrored = await fromMirror(all, timeMin, timeMax, fresh);
    const unique = all.filter((s) => !mirrored.has(s));
    const asOf = new Date(ctx.now()).toISOString();
    const live =
      unique.length === 0 ? {} : await liveBusyOf(caller, unique, timeMin, timeMax, operation);
    return Object.fromEntries(
      all.map((s) => [s, mirrored.get(s) ?? { ...live[s]!, source: "google" as const, asOf }]),
    );
  }

  /** Busy intervals of each subject from Google, acting as that subject. */
  async function liveBusyOf(
    caller: Caller,
    unique: string[],
    timeMin: string,
    timeMax: string,
    operation: "freebusy" | "availability",
  ): Promise<Record<string, Omit<BusyAnswer, "source" | "asOf">>> {
    const scope = options.policy().scopeFor(caller, operation)!;
    let outcomes: Record<
      string,
      { ok: true; value: FreeBusyAnswer } | { ok: false; error: unknown }
    >;
    if (options.freeBusyMany) {
      outcomes = await options.freeBusyMany(unique, scope, { timeMin, timeMax });
    } else {
      const settled = await Promise.all(
        unique.map(async (subject) => {
          try {
            return {
              ok: true as const,
              value: await needs(options.calendar(subject, scope), "freebusy").query({
                timeMin,
                timeMax,
                items: [{ id: subject }],
              }),
            };
          } catch (error) {
            return { ok: false as const, error };
          }
        }),
      );
      outcomes = Object.fromEntries(unique.map((s, i) => [s, settled[i]!]));
    }
    return Object.fromEntries(unique.map((s) => [s, busyEntry(s, outcomes[s]!)]));
  }

  return {
    async freebusy(_c, { caller, body }) {
      const b = body as { subjects: string[]; timeMin: string; timeMax: string; fresh?: boolean };
      rangeOf(b, 62);
      const iso = isoWriter();
      return json({
        timeMin: b.timeMin,
        timeMax: b.timeMax,
        subjects: Object.fromEntries(
          Object.entries(
            await busyOf(caller, b.subjects, b.timeMin, b.timeMax, "freebusy", b.fresh === true),
          ).map(([subject, a]) => [subject, written(a, iso)]),
        ),
      });
    },
    async availability(_c, { caller, body }) {
      const b = body as {
        subjects: string[];
        timeMin: string;
        timeMax: string;
        durationMinutes: number;
        stepMinutes?: number;
        timeZone: string;
        workingHours?: { start?: string; end?: string; days?: number[] };
        minAttendees?: number;
        maxSlots?: number;
        fresh?: boolean;
      };
      const { timeMin, timeMax } = rangeOf(b, 62);
      if (!isTimeZone(b.timeZone))
        throw invalid([
          {
            field: "timeZone",
            problem: `must be an IANA time zone such as "Europe/Berlin", got "${b.timeZone}"`,
          },
        ]);
      const subjects = [...new Set(b.subjects.map((s) => s.toLowerCase()))];
      const minAttendees = b.minAttendees ?? subjects.length;
      if (minAttendees > subjects.length)
        throw invalid([
          {
            field: "minAttendees",
            problem: `must be at most the number of subjects (${subjects.length}), got ${minAttendees}`,
          },
        ]);
      const maxSlots = b.maxSlots ?? 100;
      if (maxSlots * subjects.length > maxAnswerEntries)
        throw invalid([
          {
            field: "maxSlots",
            problem: `must be at most ${Math.floor(maxAnswerEntries / subjects.length)} for ${subjects.length} subjects (maxSlots × subjects is at most ${maxAnswerEntries}), got ${maxSlots}`,
          },
        ]);
      const start = b.workingHours?.start ?? "09:00";
      const end = b.workingHours?.end ?? "17:00";
      if (end <= start)
        throw invalid([
          {
            field: "workingHours.end",
            problem: `must be after workingHours.start ("${start}"), got "${end}"`,
          },
        ]);
      const answers = await busyOf(
        caller,
        subjects,
        b.timeMin,
        b.timeMax,
        "availability",
        b.fresh === true,
      );
      const busy: Record<string, Interval[]> = {};
      const unknown: Record<string, NonNullable<BusyAnswer["error"]>> = {};
      const sources: Record<string, Pick<BusyAnswer, "source" | "asOf">> = {};
      for (const [subject, a] of Object.entries(answers)) {
        sources[subject] = { source: a.source, asOf: a.asOf };
        if (a.spans !== undefined)
          busy[subject] = a.spans.map(([start, end]) => ({
            start: wholeSecond(start),
            end: wholeSecond(end),
          }));
        else if (a.busy === undefined) unknown[subject] = a.error!;
        else
          busy[subject] = a.busy.map((i) => ({
            start: Date.parse(i.start),
            end: Date.parse(i.end),
          }));
      }
      if (Object.keys(busy).length < minAttendees) {
        // The caller's fault when every missing answer is (users that do not exist, are suspended, or
        // whose calendars cannot be read); otherwise Google's.
        const callers = Object.values(unknown).every((e) => e.status >= 400 && e.status < 500);
        throw new ProblemError(
          callers ? 422 : 502,
          "freebusy_unavailable",
          `Cannot answer: free/busy is known for ${Object.keys(busy).length} of ${subjects.length} subjects, fewer than minAttendees (${minAttendees})`,
          {
            hint: "See the error of each subject in /v1/freebusy",
          },
        );
      }
      const slots = await findSlots({
        busy,
        timeMin,
        timeMax,
        durationMinutes: b.durationMinutes,
        stepMinutes: b.stepMinutes ?? 15,
        timeZone: b.timeZone,
        workStart: start,
        workEnd: end,
        days: b.workingHours?.days ?? [1, 2, 3, 4, 5],
        minAttendees,
        maxSlots,
      });
      // Written here: a long answer repeats the same free subjects in many slots (written once each).
      return {
        status: 200,
        jsonText: availabilityJson({
          timeZone: b.timeZone,
          durationMinutes: b.durationMinutes,
          minAttendees,
          slots,
          sources,
          ...(Object.keys(unknown).length > 0 ? { unknown } : {}),
        }),
        headers: {},
      };
    },
  };
}
