import { describe, expect, it } from "vitest";
import { discovery } from "../src/_generated/discovery.ts";
import { calendarMethods, routePath } from "../src/_internal/calendar-methods.ts";

const byId = new Map(discovery.methods.map((m) => [m.id, m]));

describe("the served Calendar methods agree with the discovery document", () => {
  it("serves calendarList.get and calendarList.list", () => {
    expect(calendarMethods.map((m) => m.id).sort()).toEqual(["calendar.calendarList.get", "calendar.calendarList.list"]);
  });

  for (const method of calendarMethods) {
    it(`${method.id}: same path and the same scopes, in discovery order`, () => {
      const described = byId.get(method.id);
      expect(described, method.id).toBeDefined();
      expect(method.path).toBe(described?.path);
      expect(method.scopes).toEqual(described?.scopes);
    });

    it(`${method.id}: the RPC name is calendar.v3.<Resource>.<Method>`, () => {
      const [, resource = "", name = ""] = method.id.split(".");
      const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
      expect(method.rpc).toBe(`calendar.v3.${upper(resource)}.${upper(name)}`);
    });
  }

  it("routePath() turns {calendarId} into a Hono parameter", () => {
    expect(calendarMethods.map(routePath).sort()).toEqual(["/users/me/calendarList", "/users/me/calendarList/:calendarId"]);
  });
});
