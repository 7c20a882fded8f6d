import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generateAll } from "../scripts/generate.ts";
import { discovery } from "../src/_generated/discovery.ts";
import type { DiscoveryParameter } from "../src/_generated/discovery.ts";
import { createCalendarClient, methods } from "../src/index.ts";
import type { MethodKey } from "../src/index.ts";

const sample = (name: string, p: DiscoveryParameter): unknown => {
  if (p.enum !== undefined)
    return p.repeated === true ? [p.enum[0], p.enum[1] ?? p.enum[0]] : p.enum[0];
  if (p.type === "integer") return 7;
  if (p.type === "boolean") return true;
  return p.repeated === true ? [`${name}-1`, `${name}-2`] : `${name}-value`;
};

describe("discovery coverage", () => {
  it("the method table has every one of the 37 methods, with the discovery's path, HTTP method, order and scopes", () => {
    expect(discovery.methods).toHaveLength(37);
    const keys = discovery.methods.map((m) => m.id.replace(/^calendar\./, "")).sort();
    expect(Object.keys(methods).sort()).toEqual(keys);
    for (const m of discovery.methods) {
      const spec = methods[m.id.replace(/^calendar\./, "") as MethodKey];
      expect(spec).toMatchObject({
        id: m.id,
        httpMethod: m.httpMethod,
        path: m.path,
        parameterOrder: m.parameterOrder,
        scopes: m.scopes,
      });
      expect(spec.request).toBe(m.request);
      expect(spec.response).toBe(m.response);
      for (const name of Object.keys(m.parameters))
        expect([...spec.parameterOrder, ...spec.query], `${m.id} ${name}`).toContain(name);
    }
  });

  const client = (record: Request[]) =>
    createCalendarClient({
      tokenSource: {
        getToken: (o) => Promise.resolve({ accessToken: "t", expiresAt: 0, scopes: o.scopes }),
      },
      rootUrl: "http://api.test/calendar/v3",
      retry: false,
      fetch: (url, init) => {
        const request = new Request(url, init);
        record.push(request);
        return Promise.resolve(
          new Response(request.method === "DELETE" ? null : "{}", {
            status: request.method === "DELETE" ? 204 : 200,
          }),
        );
      },
    });

  for (const m of discovery.methods) {
    it(`${m.id}: the client sends every parameter, positional ones in order, and the body`, async () => {
      const record: Request[] = [];
      const cal = client(record) as unknown as Record<
        string,
        Record<string, (...args: unknown[]) => Promise<unknown>>
      >;
      const fn = cal[m.resource]?.[m.name];
      expect(fn, `cal.${m.resource}.${m.name}`).toBeTypeOf("function");
      const positional = m.parameterOrder.map((n) => `${n}/value @x`);
      const query = Object.fromEntries(
        Object.entries(m.parameters)
          .filter(([n]) => !m.parameterOrder.includes(n))
          .map(([n, p]) => [n, sample(n, p)]),
      );
      const body = m.request !== undefined ? [{ id: "abcde12345", summary: "s" }] : [];
      await fn!(...positional, ...body, query);
      const request = record[0]!;
      const url = new URL(request.url);
      expect(request.method).toBe(m.httpMethod);
      let path = m.path;
      for (const n of m.parameterOrder)
        path = path.replace(`{${n}}`, encodeURIComponent(`${n}/value @x`));
      expect(url.pathname).toBe(`/calendar/v3/${path}`);
      for (const [n, p] of Object.entries(m.parameters)) {
        if (p.location === "path") continue;
        const expected = m.parameterOrder.includes(n)
          ? [`${n}/value @x`]
          : ([] as unknown[]).concat(query[n]).map(String);
        expect(url.searchParams.getAll(n), `${m.id} ${n}`).toEqual(expected);
      }
      if (m.request !== undefined)
        expect(JSON.parse(await request.text())).toMatchObject({ summary: "s" });
      else expect(await request.text()).toBe("");
    });
  }

  it("rejects a parameter the method does not have, naming the ones it has", async () => {
    const cal = client([]);
    await expect(cal.events.get("primary", "e1", { maxResult: 3 } as never)).rejects.toThrow(
      'events.get() has no parameter "maxResult": it takes "alwaysIncludeEmail", "maxAttendees", "timeZone", and the options',
    );
  });

  it("the generated files are what scripts/generate.ts makes from discovery.ts (not stale)", async () => {
    for (const [path, text] of Object.entries(generateAll())) {
      expect(
        await readFile(new URL(`../${path}`, import.meta.url), "utf8"),
        `${path} is stale: run pnpm --filter @dwd/calendar generate`,
      ).toBe(text);
    }
  });
});
