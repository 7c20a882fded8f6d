/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- JSON bodies are read as any */
/**
 * Every one of the 37 methods, called once in a realistic order; each success body is checked
 * against the discovery document's response schema (field names and JSON types, recursively).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { DiscoverySchema } from "../src/_generated/discovery.ts";
import { discovery } from "../src/_generated/discovery.ts";
import type { ApiResponse, Harness } from "./calendar-helpers.ts";
import { harness } from "./calendar-helpers.ts";

/** Problems of `value` against `schema`, as paths. */
export function schemaProblems(value: unknown, schema: DiscoverySchema, path = "$"): string[] {
  const s = schema.ref === undefined ? schema : discovery.schemas[schema.ref];
  if (s === undefined) return [`${path}: unknown schema ${schema.ref ?? ""}`];
  switch (s.type) {
    case "string":
      if (typeof value !== "string") return [`${path}: expected string, got ${typeof value}`];
      if (s.format === "date-time" && Number.isNaN(Date.parse(value)))
        return [`${path}: "${value}" is not a date-time`];
      if ((s.format === "int64" || s.format === "uint64") && !/^-?\d+$/.test(value))
        return [`${path}: "${value}" is not an int64 string`];
      return [];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path}: expected boolean, got ${typeof value}`];
    case "integer":
      return Number.isInteger(value)
        ? []
        : [`${path}: expected integer, got ${JSON.stringify(value)}`];
    case "number":
      return typeof value === "number" ? [] : [`${path}: expected number`];
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected array`];
      return value.flatMap((v, i) => schemaProblems(v, s.items ?? {}, `${path}[${i}]`));
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return [`${path}: expected object`];
      return Object.entries(value).flatMap(([k, v]) => {
        const field = s.properties?.[k] ?? s.additionalProperties;
        return field === undefined
          ? [`${path}.${k}: not in the schema`]
          : schemaProblems(v, field, `${path}.${k}`);
      });
    }
    default:
      return [];
  }
}

const byId = new Map(discovery.methods.map((m) => [m.id, m]));
let h: Harness;
let t: string;
const state: Record<string, string> = {};
const called = new Set<string>();

beforeAll(async () => {
  h = await harness({
    pushFetch: () => Promise.resolve(new Response(null, { status: 200 })),
    pushAllowedOrigins: ["https://hooks.example.com"],
  });
  t = await h.token("info@example.com");
});

const enc = encodeURIComponent;
const ev = (summary: string, extra: Record<string, unknown> = {}) => ({
  summary,
  start: { dateTime: "2026-04-02T10:00:00+02:00" },
  end: { dateTime: "2026-04-02T11:00:00+02:00" },
  ...extra,
});

interface Step {
  id: string;
  run: () => Promise<ApiResponse>;
  after?: (res: ApiResponse) => void;
}

const steps: Step[] = [
  { id: "calendar.colors.get", run: () => h.call(t, "GET", "colors") },
  { id: "calendar.settings.list", run: () => h.call(t, "GET", "users/me/settings") },
  { id: "calendar.settings.get", run: () => h.call(t, "GET", "users/me/settings/timezone") },
  {
    id: "calendar.calendars.insert",
    run: () =>
      h.call(t, "POST", "calendars", { body: { summary: "Schema", timeZone: "Europe/Berlin" } }),
    after: (r) => {
      state["cal"] = r.json.id;
    },
  },
  {
    id: "calendar.calendars.get",
    run: () => h.call(t, "GET", `calendars/${enc(state["cal"] ?? "")}`),
  },
  {
    id: "calendar.calendars.patch",
    run: () =>
      h.call(t, "PATCH", `calendars/${enc(state["cal"] ?? "")}`, { body: { description: "d" } }),
  },
  {
    id: "calendar.calendars.update",
    run: () =>
      h.call(t, "PUT", `calendars/${enc(state["cal"] ?? "")}`, {
        body: { summary: "Schema 2", location: "Berlin" },
      }),
  },
  { id: "calendar.calendarList.list", run: () => h.call(t, "GET", "users/me/calendarList") },
  {
    id: "calendar.calendarList.get",
    run: () => h.call(t, "GET", `users/me/calendarList/${enc(state["cal"] ?? "")}`),
  },
  {
    id: "calendar.calendarList.patch",
    run: () =>
      h.call(t, "PATCH", `users/me/calendarList/${enc(state["cal"] ?? "")}`, {
        body: { colorId: "3" },
      }),
  },
  {
    id: "calendar.calendarList.update",
    run: () =>
      h.call(t, "PUT", `users/me/calendarList/${enc(state["cal"] ?? "")}?colorRgbFormat=true`, {
        body: { backgroundColor: "#112233", foregroundColor: "#ffffff", summaryOverride: "Mine" },
      }),
  },
  {
    id: "calendar.calendarList.delete",
    run: () => h.call(t, "DELETE", `users/me/calendarList/${enc(state["cal"] ?? "")}`),
  },
  {
    id: "calendar.calendarList.insert",
    run: () =>
      h.call(t, "POST", "users/me/calendarList", { body: { id: state["cal"], hidden: true } }),
  },
  {
    id: "calendar.acl.insert",
    run: () =>
      h.call(t, "POST", `calendars/${enc(state["cal"] ?? "")}/acl`, {
        body: { role: "reader", scope: { type: "user", value: "bob@example.com" } },
      }),
    after: (r) => {
      state["rule"] = r.json.id;
    },
  },
  {
    id: "calendar.acl.list",
    run: () => h.call(t, "GET", `calendars/${enc(state["cal"] ?? "")}/acl`),
  },
  {
    id: "calendar.acl.get",
    run: () =>
      h.call(t, "GET", `calendars/${enc(state["cal"] ?? "")}/acl/${enc(state["rule"] ?? "")}`),
  },
  {
    id: "calendar.acl.patch",
    run: () =>
      h.call(t, "PATCH", `calendars/${enc(state["cal"] ?? "")}/acl/${enc(state["rule"] ?? "")}`, {
        body: { role: "writer" },
      }),
  },
  {
    id: "calendar.acl.update",
    run: () =>
      h.call(t, "PUT", `calendars/${enc(state["cal"] ?? "")}/acl/${enc(state["rule"] ?? "")}`, {
        body: { role: "freeBusyReader", scope: { type: "user", value: "bob@example.com" } },
      }),
  },
  {
    id: "calendar.acl.delete",
    run: () =>
      h.call(t, "DELETE", `calendars/${enc(state["cal"] ?? "")}/acl/${enc(state["rule"] ?? "")}`),
  },
  {
    id: "calendar.events.insert",
    run: () =>
      h.call(t, "POST", "calendars/primary/events?conferenceDataVersion=1", {
        body: ev("Schema event", {
          attendees: [{ email: "ana@example.com" }],
          conferenceData: { createRequest: { requestId: "r1" } },
          recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
          extendedProperties: { private: { k: "v" } },
          reminders: { useDefault: false, overrides: [{ method: "popup", minutes: 5 }] },
        }),
      }),
    after: (r) => {
      state["event"] = r.json.id;
    },
  },
  {
    id: "calendar.events.get",
    run: () => h.call(t, "GET", `calendars/primary/events/${state["event"] ?? ""}`),
  },
  {
    id: "calendar.events.list",
    run: () =>
      h.call(
        t,
        "GET",
        "calendars/primary/events?singleEvents=true&timeMin=2026-03-01T00:00:00Z&timeMax=2026-05-01T00:00:00Z",
      ),
  },
  {
    id: "calendar.events.instances",
    run: () => h.call(t, "GET", `calendars/primary/events/${state["event"] ?? ""}/instances`),
  },
  {
    id: "calendar.events.patch",
    run: () =>
      h.call(t, "PATCH", `calendars/primary/events/${state["event"] ?? ""}`, {
        body: { colorId: "5" },
      }),
  },
  {
    id: "calendar.events.update",
    run: () =>
      h.call(t, "PUT", `calendars/primary/events/${state["event"] ?? ""}`, {
        body: ev("Schema event 2"),
      }),
  },
  {
    id: "calendar.events.import",
    run: () =>
      h.call(t, "POST", "calendars/primary/events/import", {
        body: ev("Imported", { iCalUID: "x1@example.org", organizer: { email: "x@example.org" } }),
      }),
  },
  {
    id: "calendar.events.quickAdd",
    run: () =>
      h.call(t, "POST", `calendars/primary/events/quickAdd?text=${enc("Tea tomorrow at 4pm")}`),
    after: (r) => {
      state["quick"] = r.json.id;
    },
  },
  {
    id: "calendar.events.move",
    run: () =>
      h.call(
        t,
        "POST",
        `calendars/primary/events/${state["quick"] ?? ""}/move?destination=${enc(state["cal"] ?? "")}`,
      ),
  },
  {
    id: "calendar.events.delete",
    run: () => h.call(t, "DELETE", `calendars/primary/events/${state["event"] ?? ""}`),
  },
  {
    id: "calendar.freebusy.query",
    run: () =>
      h.call(t, "POST", "freeBusy", {
        body: {
          timeMin: "2026-04-01T00:00:00Z",
          timeMax: "2026-04-30T00:00:00Z",
          items: [{ id: "info@example.com" }, { id: "bob@example.com" }],
        },
      }),
  },
  {
    id: "calendar.events.watch",
    run: () =>
      h.call(t, "POST", "calendars/primary/events/watch", {
        body: { id: "w-events", type: "web_hook", address: "https://hooks.example.com/e" },
      }),
    after: (r) => {
      state["w-events"] = r.json.resourceId;
    },
  },
  {
    id: "calendar.acl.watch",
    run: () =>
      h.call(t, "POST", "calendars/primary/acl/watch", {
        body: { id: "w-acl", type: "web_hook", address: "https://hooks.example.com/a" },
      }),
  },
  {
    id: "calendar.calendarList.watch",
    run: () =>
      h.call(t, "POST", "users/me/calendarList/watch", {
        body: { id: "w-list", type: "web_hook", address: "https://hooks.example.com/l" },
      }),
  },
  {
    id: "calendar.settings.watch",
    run: () =>
      h.call(t, "POST", "users/me/settings/watch", {
        body: { id: "w-settings", type: "web_hook", address: "https://hooks.example.com/s" },
      }),
  },
  {
    id: "calendar.channels.stop",
    run: () =>
      h.call(t, "POST", "channels/stop", {
        body: { id: "w-events", resourceId: state["w-events"] },
      }),
  },
  { id: "calendar.calendars.clear", run: () => h.call(t, "POST", "calendars/primary/clear") },
  {
    id: "calendar.calendars.delete",
    run: () => h.call(t, "DELETE", `calendars/${enc(state["cal"] ?? "")}`),
  },
];

describe("every method answers a body valid against its discovery response schema", () => {
  it("the walk covers all 37 discovery methods", () => {
    expect(steps.map((s) => s.id).sort()).toEqual(discovery.methods.map((m) => m.id).sort());
  });

  for (const step of steps) {
    it(step.id, async () => {
      const res = await step.run();
      const method = byId.get(step.id);
      expect(res.status, res.text).toBeLessThan(300);
      called.add(step.id);
      if (method?.response === undefined) {
        expect(res.status).toBe(204);
        expect(res.text).toBe("");
      } else {
        expect(schemaProblems(res.json, { ref: method.response })).toEqual([]);
        expect(Object.keys(res.json as object).length).toBeGreaterThan(1);
      }
      step.after?.(res);
    });
  }

  it("the validator itself catches an unknown field and a wrong type", () => {
    expect(
      schemaProblems(
        { kind: "calendar#event", bogus: 1, sequence: "1", start: { dateTime: 5 } },
        { ref: "Event" },
      ),
    ).toEqual([
      "$.bogus: not in the schema",
      '$.sequence: expected integer, got "1"',
      "$.start.dateTime: expected string, got number",
    ]);
  });
});
