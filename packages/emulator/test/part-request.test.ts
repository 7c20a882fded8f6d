import { describe, expect, it } from "vitest";
import { partRequest } from "../src/_internal/part-request.ts";

const url = "http://127.0.0.1:1/calendar/v3/calendars/primary/events?maxResults=5";
const headers = new Map([
  ["authorization", "Bearer ya29.x"],
  ["if-none-match", '"e1"'],
  ["content-type", "application/json"],
  ["accept", "application/json"],
]);

describe("partRequest", () => {
  it("reads as the Request it stands for: url, method, headers in any case and order, body", async () => {
    const part = partRequest(url, "POST", headers, '{"summary":"x"}')!;
    const real = new Request(url, {
      method: "POST",
      headers: [...headers],
      body: '{"summary":"x"}',
    });
    expect(part.url).toBe(real.url);
    expect(part.method).toBe(real.method);
    expect(part.headers.get("If-None-Match")).toBe(real.headers.get("If-None-Match"));
    expect(part.headers.get("x-missing")).toBeNull();
    expect(part.headers.has("AUTHORIZATION")).toBe(true);
    expect([...part.headers]).toEqual([...real.headers]);
    const seen: string[] = [];
    part.headers.forEach((value, name) => seen.push(`${name}=${value}`));
    expect(seen).toEqual([...real.headers].map(([n, v]) => `${n}=${v}`));
    expect(await part.clone().json()).toEqual({ summary: "x" });
    expect(await part.text()).toBe('{"summary":"x"}');
    expect(part.bodyUsed).toBe(true);
  });

  it("refuses what no Request can carry, as Request does", () => {
    for (const [name, value] of [
      ["bad name", "v"],
      ["x-ok", "line\r\nbreak"],
      ["x-ok", "nul\0"],
      ["x-ok", "snow ☃"],
    ] as const) {
      const map = new Map([[name, value]]);
      expect(partRequest(url, "GET", map, null)).toBeUndefined();
      expect(() => new Request(url, { headers: [...map] })).toThrow();
    }
    expect(partRequest(url, "GET", new Map([["x-latin1", "café"]]), null)).toBeDefined();
  });
});
