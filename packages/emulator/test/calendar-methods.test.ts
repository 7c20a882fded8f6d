import { describe, expect, it } from "vitest";
import { discovery } from "../src/_generated/discovery.ts";
import { calendarMethods, routePath } from "../src/_internal/calendar-methods.ts";
import { servedMethodIds } from "../src/_internal/calendar-routes.ts";

const byId = new Map(discovery.methods.map((m) => [m.id, m]));

describe("the served Calendar methods agree with the discovery document", () => {
  it("serves all 37 discovery methods, each with a handler", () => {
    expect(discovery.methods).toHaveLength(37);
    expect([...servedMethodIds].sort()).toEqual(discovery.methods.map((m) => m.id).sort());
    expect(calendarMethods.map((m) => m.id).sort()).toEqual(
      discovery.methods.map((m) => m.id).sort(),
    );
  });

  for (const method of calendarMethods) {
    it(`${method.id}: same path, HTTP method and scopes, in discovery order`, () => {
      const described = byId.get(method.id);
      expect(described, method.id).toBeDefined();
      expect(method.path).toBe(described?.path);
      expect(method.httpMethod).toBe(described?.httpMethod);
      expect(method.scopes).toEqual(described?.scopes);
    });

    it(`${method.id}: the RPC name is calendar.v3.<Resource>.<Method>`, () => {
      const [, resource = "", name = ""] = method.id.split(".");
      const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
      expect(method.rpc).toBe(`calendar.v3.${upper(resource)}.${upper(name)}`);
    });
  }

  it("routePath() turns {calendarId} and {eventId} into Hono parameters", () => {
    const paths = calendarMethods.map(routePath);
    expect(paths).toContain("/users/me/calendarList/:calendarId");
    expect(paths).toContain("/calendars/:calendarId/events/:eventId/instances");
  });
});
