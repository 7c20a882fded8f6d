import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { CachedRouter } from "../src/_internal/cached-router.ts";
import { calendarMethods, routePath } from "../src/_internal/calendar-methods.ts";

/** One app per router, every Calendar route answering its method id and decoded parameters. */
function appWith(router?: CachedRouter<never>): Hono {
  const app = router === undefined ? new Hono() : new Hono({ router });
  app.use("*", async (_c, next) => next());
  for (const m of calendarMethods)
    app.on(m.httpMethod, `/calendar/v3${routePath(m)}`, (c) =>
      c.json({ id: m.id, params: c.req.param() }),
    );
  app.notFound((c) => c.text("none", 404));
  return app;
}

describe("CachedRouter", () => {
  it("answers every Calendar path as Hono's own router does, asked once or many times", async () => {
    const cached = appWith(new CachedRouter());
    const plain = appWith();
    const requests: [string, string][] = [
      ["GET", "/calendar/v3/calendars/primary/events"],
      ["GET", "/calendar/v3/calendars/ana%40example.com/events/abc123"],
      ["GET", "/calendar/v3/calendars/bob%40example.com/events/def456"],
      ["POST", "/calendar/v3/calendars/primary/events/quickAdd"],
      ["POST", "/calendar/v3/calendars/primary/events/abc123/move"],
      ["GET", "/calendar/v3/calendars/primary/events/abc123/instances"],
      ["PATCH", "/calendar/v3/users/me/calendarList/primary"],
      ["POST", "/calendar/v3/freeBusy"],
      ["GET", "/calendar/v3/nowhere"],
      ["DELETE", "/calendar/v3/freeBusy"],
    ];
    for (let round = 0; round < 3; round++)
      for (const [method, path] of requests) {
        const a = await cached.request(path, { method });
        const b = await plain.request(path, { method });
        expect(a.status).toBe(b.status);
        expect(await a.text()).toBe(await b.text());
      }
    const got = (await (
      await cached.request("/calendar/v3/calendars/ana%40example.com/events/abc123")
    ).json()) as { id: string; params: Record<string, string> };
    expect(got).toEqual({
      id: "calendar.events.get",
      params: { calendarId: "ana@example.com", eventId: "abc123" },
    });
  });

  it("keeps a bounded number of paths and still answers right past the bound", async () => {
    const app = appWith(new CachedRouter());
    for (let i = 0; i < 2100; i++) {
      const res = await app.request(`/calendar/v3/calendars/primary/events/e${i}`);
      const body = (await res.json()) as { params: { eventId: string } };
      expect(body.params.eventId).toBe(`e${i}`);
    }
  });
});
