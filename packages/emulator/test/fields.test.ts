/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- JSON bodies are read as any */
import { describe, expect, it } from "vitest";
import { applyFields, parseFields, unknownField } from "../src/_internal/fields.ts";
import { harness, legacyError, read } from "./calendar-helpers.ts";

const show = (text: string): unknown => {
  const p = parseFields(text);
  const plain = (m: Map<string, unknown>): unknown =>
    Object.fromEntries(
      [...m].map(([k, v]) => [k, v === true ? true : plain(v as Map<string, unknown>)]),
    );
  return p instanceof Map ? plain(p) : p;
};

describe("fields selections", () => {
  it("parse lists, sub-selections, paths and *", () => {
    expect(show("items(id,summary),nextPageToken")).toEqual({
      items: { id: true, summary: true },
      nextPageToken: true,
    });
    expect(show("items/start/dateTime,items/id")).toEqual({
      items: { start: { dateTime: true }, id: true },
    });
    expect(show("items(start(dateTime),attendees(email)),*")).toEqual({
      items: { start: { dateTime: true }, attendees: { email: true } },
      "*": true,
    });
    expect(show("items,items(id)")).toEqual({ items: true });
  });

  it("refuse what does not parse, naming it", () => {
    expect(show("items(id")).toEqual({ invalid: "items(id" });
    expect(show("items)")).toEqual({ invalid: "items)" });
    expect(show("id,,summary")).toEqual({ invalid: "id,,summary" });
    expect(show("")).toEqual({ invalid: "" });
    expect(show("a b")).toEqual({ invalid: "a b" });
  });

  it("are checked against the answer's discovery schema", () => {
    const sel = (t: string) => parseFields(t) as Map<string, never>;
    expect(unknownField(sel("items(id,start/dateTime),nextSyncToken"), "Events")).toBeUndefined();
    expect(unknownField(sel("items(id,bogus)"), "Events")).toBe("items/bogus");
    expect(unknownField(sel("nope"), "CalendarListEntry")).toBe("nope");
    expect(unknownField(sel("kind,timeMin,calendars"), "FreeBusyResponse")).toBeUndefined();
  });

  it("cut objects and every element of arrays", () => {
    const value = {
      kind: "calendar#events",
      items: [
        { id: "a", summary: "A", start: { dateTime: "t", timeZone: "UTC" } },
        { id: "b", start: { date: "d" } },
      ],
    };
    expect(applyFields(value, parseFields("items(id,start/dateTime)") as never)).toEqual({
      items: [
        { id: "a", start: { dateTime: "t" } },
        { id: "b", start: {} },
      ],
    });
    expect(applyFields(value, parseFields("*") as never)).toEqual(value);
  });
});

describe("fields on the wire", () => {
  it("events.list answers only the selected fields, alone and in a batch", async () => {
    const h = await harness();
    const t = await h.token("info@example.com");
    const res = await h.call(
      t,
      "GET",
      "calendars/primary/events?fields=items(id,summary),nextSyncToken",
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(["items", "nextSyncToken"]);
    expect(res.json.items.length).toBeGreaterThan(0);
    for (const e of res.json.items) expect(Object.keys(e).sort()).toEqual(["id", "summary"]);
    expect(Number(res.headers.get("content-length"))).toBe(
      new TextEncoder().encode(res.text).byteLength,
    );

    const boundary = "b";
    const body = [
      `--${boundary}`,
      "Content-Type: application/http",
      "Content-ID: <x>",
      "",
      "GET /calendar/v3/calendars/primary/events?fields=items/id HTTP/1.1",
      "",
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const batch = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/batch/calendar/v3`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${t}`,
          "content-type": `multipart/mixed; boundary=${boundary}`,
        },
        body,
      }),
    );
    const text = await batch.text();
    const part = text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1);
    const parsed = JSON.parse(part) as { items: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(["items"]);
    expect(parsed.items.every((e) => Object.keys(e).join() === "id")).toBe(true);
  });

  it("a get with fields, and a selection Google refuses: 400 invalidParameter naming it", async () => {
    const h = await harness();
    const t = await h.token("info@example.com");
    const entry = await h.call(t, "GET", "users/me/calendarList/primary?fields=id,accessRole");
    expect(entry.json).toEqual({ id: "info@example.com", accessRole: "owner" });

    const broken = await h.call(t, "GET", "calendars/primary/events?fields=items(id");
    expect(broken.status).toBe(400);
    expect(broken.text).toBe(
      legacyError(400, "global", "invalidParameter", "Invalid field selection items(id", [
        "parameter",
        "fields",
      ]),
    );
    const unknown = await read(
      await h.emulator.fetch(
        new Request(`${h.emulator.baseUrl}/calendar/v3/colors?fields=calendar,bogus`, {
          headers: { authorization: `Bearer ${t}` },
        }),
      ),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toBe("Invalid field selection bogus");
  });
});
