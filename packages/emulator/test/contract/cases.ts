/**
 * The emulator's contract with Google, written once: token errors, Calendar semantics and batch, each
 * case a function of a {@link ContractTarget}. contract.test.ts runs them against the emulator on every
 * test run; google.live.ts runs the same functions against Google (`pnpm test:live`).
 */
import { expect } from "vitest";
import type { ContractTarget } from "./target.ts";
import { assertion, batchGet, batchParts, calendar, postToken, strangerKey } from "./target.ts";

/** One case of the contract. */
export interface ContractCase {
  name: string;
  /** Skipped (with this reason) when the target lacks what the case needs. */
  skip?: (target: ContractTarget) => string | undefined;
  run(target: ContractTarget): Promise<void>;
}

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Google's legacy Calendar error envelope, parsed. */
function legacy(code: number, domain: string, reason: string, message: string): unknown {
  return { error: { errors: [{ domain, reason, message }], code, message } };
}

const run = `dwd-contract-${Date.now().toString(36)}`;

async function tokenError(
  target: ContractTarget,
  form: Record<string, string>,
  status: number,
  error: string,
  descriptions: readonly string[],
): Promise<void> {
  const res = await postToken(target, form);
  expect(res.status).toBe(status);
  const body = res.json as { error?: unknown; error_description?: unknown };
  expect(body.error).toBe(error);
  expect(descriptions).toContain(body.error_description);
}

export const contractCases: readonly ContractCase[] = [
  {
    name: "token: a good assertion gets a Bearer token for about an hour",
    async run(t) {
      const res = await postToken(t, { grant_type: jwtBearer, assertion: await assertion(t) });
      expect(res.status).toBe(200);
      const body = res.json as Record<string, unknown>;
      expect(body["token_type"]).toBe("Bearer");
      expect(typeof body["access_token"]).toBe("string");
      expect(Number.isInteger(body["expires_in"])).toBe(true);
      expect(body["expires_in"] as number).toBeGreaterThan(3000);
      expect(body["expires_in"] as number).toBeLessThanOrEqual(3600);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    },
  },
  {
    name: "token: another audience fails the audience check",
    run: async (t) =>
      tokenError(
        t,
        {
          grant_type: jwtBearer,
          assertion: await assertion(t, { aud: "https://example.com/token" }),
        },
        400,
        "invalid_grant",
        ["Invalid JWT: Failed audience check."],
      ),
  },
  {
    name: "token: a signature by a key that is not the account's is refused",
    run: async (t) =>
      tokenError(
        t,
        { grant_type: jwtBearer, assertion: await assertion(t, {}, await strangerKey()) },
        400,
        "invalid_grant",
        ["Invalid JWT Signature."],
      ),
  },
  {
    name: "token: a two-hour assertion is not short-lived",
    run: async (t) => {
      const iat = Math.floor(Date.now() / 1000) - 10;
      await tokenError(
        t,
        { grant_type: jwtBearer, assertion: await assertion(t, { iat, exp: iat + 7200 }) },
        400,
        "invalid_grant",
        [
          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        ],
      );
    },
  },
  {
    name: "token: another grant_type is unsupported",
    run: async (t) =>
      tokenError(
        t,
        { grant_type: "client_credentials", assertion: await assertion(t) },
        400,
        "unsupported_grant_type",
        ["Invalid grant_type: client_credentials"],
      ),
  },
  {
    name: "token: a subject outside the domain is an unauthorized client",
    run: async (t) =>
      tokenError(
        t,
        { grant_type: jwtBearer, assertion: await assertion(t, { sub: `${run}@gmail.com` }) },
        401,
        "unauthorized_client",
        [
          "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
        ],
      ),
  },
  {
    name: "token: an unknown user of the domain is an invalid grant",
    run: async (t) =>
      tokenError(
        t,
        { grant_type: jwtBearer, assertion: await assertion(t, { sub: `${run}@${t.domain}` }) },
        400,
        "invalid_grant",
        // Both spellings are on record (google-wire.md §2); clients match either.
        ["Invalid email or User ID", "Not a valid email or user ID."],
      ),
  },
  {
    name: "calendar: the subject's primary calendar-list entry",
    async run(t) {
      const res = await calendar(t, "GET", "users/me/calendarList/primary");
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        kind: "calendar#calendarListEntry",
        id: t.subject,
        primary: true,
        accessRole: "owner",
      });
    },
  },
  {
    name: "calendar: an unknown event is 404 Not Found",
    async run(t) {
      const res = await calendar(t, "GET", `calendars/primary/events/${run.replace(/-/g, "")}x`);
      expect(res.status).toBe(404);
      expect(res.json).toEqual(legacy(404, "global", "notFound", "Not Found"));
    },
  },
  {
    name: "calendar: an event ending before it starts is an empty time range",
    async run(t) {
      const res = await calendar(t, "POST", "calendars/primary/events?sendUpdates=none", {
        body: {
          summary: run,
          start: { dateTime: "2030-01-02T11:00:00Z" },
          end: { dateTime: "2030-01-02T10:00:00Z" },
        },
      });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(
        legacy(400, "calendar", "timeRangeEmpty", "The specified time range is empty."),
      );
    },
  },
  {
    name: "calendar: dateTime + timeZone comes back with an offset; a second delete is 410",
    async run(t) {
      const zone = ((await calendar(t, "GET", "calendars/primary")).json as { timeZone: string })
        .timeZone;
      const inserted = await calendar(t, "POST", "calendars/primary/events?sendUpdates=none", {
        body: {
          summary: run,
          start: { dateTime: "2030-01-02T10:00:00", timeZone: zone },
          end: { dateTime: "2030-01-02T11:00:00", timeZone: zone },
        },
      });
      expect(inserted.status).toBe(200);
      const event = inserted.json as { id: string; start: { dateTime: string; timeZone: string } };
      try {
        expect(event.start.timeZone).toBe(zone);
        expect(event.start.dateTime).toMatch(/^2030-01-02T10:00:00(?:Z|[+-]\d{2}:\d{2})$/);
        const got = await calendar(t, "GET", `calendars/primary/events/${event.id}`);
        expect((got.json as typeof event).start.dateTime).toBe(event.start.dateTime);
      } finally {
        const first = await calendar(
          t,
          "DELETE",
          `calendars/primary/events/${event.id}?sendUpdates=none`,
        );
        expect(first.status).toBe(204);
      }
      const second = await calendar(t, "DELETE", `calendars/primary/events/${event.id}`);
      expect(second.status).toBe(410);
      expect(second.json).toEqual(legacy(410, "global", "deleted", "Resource has been deleted"));
      const tombstone = await calendar(t, "GET", `calendars/primary/events/${event.id}`);
      expect(tombstone.status).toBe(200);
      expect((tombstone.json as { status: string }).status).toBe("cancelled");
    },
  },
  {
    name: "calendar: a secondary calendar syncs incrementally and cannot be cleared",
    async run(t) {
      const created = await calendar(t, "POST", "calendars", { body: { summary: run } });
      expect(created.status).toBe(200);
      const id = encodeURIComponent((created.json as { id: string }).id);
      try {
        const full = await calendar(t, "GET", `calendars/${id}/events`);
        expect(full.status).toBe(200);
        expect((full.json as { items: unknown[] }).items).toEqual([]);
        const syncToken = (full.json as { nextSyncToken: string }).nextSyncToken;
        expect(typeof syncToken).toBe("string");
        const inserted = await calendar(t, "POST", `calendars/${id}/events`, {
          body: { summary: run, start: { date: "2030-01-03" }, end: { date: "2030-01-04" } },
        });
        expect(inserted.status).toBe(200);
        const delta = await calendar(
          t,
          "GET",
          `calendars/${id}/events?syncToken=${encodeURIComponent(syncToken)}`,
        );
        expect(delta.status).toBe(200);
        expect((delta.json as { items: { id: string }[] }).items.map((e) => e.id)).toEqual([
          (inserted.json as { id: string }).id,
        ]);
        const clear = await calendar(t, "POST", `calendars/${id}/clear`);
        expect(clear.status).toBe(400);
        expect((clear.json as { error: { message: string } }).error.message).toBe(
          "Cannot clear primary calendar.",
        );
      } finally {
        expect((await calendar(t, "DELETE", `calendars/${id}`)).status).toBe(204);
      }
    },
  },
  {
    name: "attendees: a guest of the domain finds the event on its own calendar, then cancelled",
    skip: (t) => (t.attendee === undefined ? "no attendee user (DWD_LIVE_ATTENDEE)" : undefined),
    async run(t) {
      const guest = t.attendee ?? "";
      const inserted = await calendar(t, "POST", "calendars/primary/events?sendUpdates=none", {
        body: {
          summary: run,
          start: { dateTime: "2030-01-05T10:00:00Z" },
          end: { dateTime: "2030-01-05T11:00:00Z" },
          attendees: [{ email: guest }],
        },
      });
      expect(inserted.status).toBe(200);
      const event = inserted.json as { id: string; iCalUID: string };
      let deleted = false;
      try {
        const copy = await calendar(t, "GET", `calendars/primary/events/${event.id}`, {
          subject: guest,
        });
        expect(copy.status).toBe(200);
        expect(copy.json).toMatchObject({
          id: event.id,
          iCalUID: event.iCalUID,
          organizer: { email: t.subject },
          attendees: [{ email: guest, responseStatus: "needsAction", self: true }],
        });
        const gone = await calendar(
          t,
          "DELETE",
          `calendars/primary/events/${event.id}?sendUpdates=none`,
        );
        expect(gone.status).toBe(204);
        deleted = true;
        const after = await calendar(t, "GET", `calendars/primary/events/${event.id}`, {
          subject: guest,
        });
        expect((after.json as { status: string }).status).toBe("cancelled");
      } finally {
        if (!deleted)
          await calendar(t, "DELETE", `calendars/primary/events/${event.id}?sendUpdates=none`);
      }
    },
  },
  {
    name: "batch: parts answer on their own, in order, as <response-…>",
    async run(t) {
      const res = await batchGet(t, [
        "users/me/calendarList/primary",
        `calendars/primary/events/${run.replace(/-/g, "")}y`,
      ]);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^multipart\/mixed; boundary=/);
      const parts = batchParts(res);
      expect(parts.map((p) => [p.contentId, p.status])).toEqual([
        ["<response-part1>", 200],
        ["<response-part2>", 404],
      ]);
      expect(JSON.parse(parts[0]?.body ?? "null")).toMatchObject({ id: t.subject });
      expect(JSON.parse(parts[1]?.body ?? "null")).toEqual(
        legacy(404, "global", "notFound", "Not Found"),
      );
    },
  },
  {
    name: "batch: more than 1000 parts is refused whole",
    async run(t) {
      const res = await batchGet(
        t,
        Array.from({ length: 1001 }, () => "users/me/calendarList/primary"),
      );
      expect(res.status).toBe(400);
      expect(res.json).toEqual(
        legacy(
          400,
          "global",
          "batchSizeTooLarge",
          "A batch request cannot contain more than 1000 requests.",
        ),
      );
    },
  },
];
