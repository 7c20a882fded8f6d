import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import { jwtBearer, signerFor } from "./helpers.ts";

// `emulator.fetch` is a fetch: a Request, or a URL and an init, each answered as Google would.
let emulator: Emulator;
let bot: Signer;
const now = Date.UTC(2026, 3, 1, 12, 0, 0);

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", now: () => now });
  bot = await signerFor(emulator, "calendar-bot", () => now);
});

async function tokenThen(
  call: (url: string, init: RequestInit) => Promise<Response>,
): Promise<{ status: number; summary: unknown }> {
  const url = `${emulator.baseUrl}/token`;
  const form = new URLSearchParams({ grant_type: jwtBearer, assertion: await bot.assertion() });
  const init = {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  };
  const token = (await (await call(url, init)).json()) as { access_token: string };
  const res = await call(`${emulator.baseUrl}/calendar/v3/users/me/calendarList/primary`, {
    headers: { authorization: `Bearer ${token.access_token}` },
  });
  return { status: res.status, summary: ((await res.json()) as { summary?: unknown }).summary };
}

describe("emulator.fetch", () => {
  const forms: { name: string; call: (url: string, init: RequestInit) => Promise<Response> }[] = [
    { name: "a Request", call: (url, init) => emulator.fetch(new Request(url, init)) },
    { name: "a URL string and an init", call: (url, init) => emulator.fetch(url, init) },
    { name: "a URL object and an init", call: (url, init) => emulator.fetch(new URL(url), init) },
    {
      name: "a Request and an init that completes it",
      call: (url, init) => emulator.fetch(new Request(url), init),
    },
    {
      name: "unbound, as fetch is passed around",
      call: (url, init) => {
        const { fetch } = emulator;
        return fetch(url, init);
      },
    },
  ];
  for (const f of forms) {
    it(`takes ${f.name}: a token exchange, then a Calendar read with that token`, async () => {
      expect(await tokenThen(f.call)).toEqual({ status: 200, summary: "info@example.com" });
    });
  }

  const refused: { name: string; input: unknown; message: string }[] = [
    {
      name: "a relative URL",
      input: "/token",
      message:
        'emulator.fetch() needs an absolute URL, e.g. "http://127.0.0.1/token"; got "/token"',
    },
    {
      name: "no URL at all",
      input: 42,
      message: "emulator.fetch() takes a Request, or a URL and an init as fetch does; got number",
    },
    {
      name: "null",
      input: null,
      message: "emulator.fetch() takes a Request, or a URL and an init as fetch does; got null",
    },
  ];
  for (const c of refused) {
    it(`rejects ${c.name} with a TypeError that names the call (no network failure look-alike)`, async () => {
      const call = emulator.fetch as (input: unknown) => Promise<Response>;
      const error = await call(c.input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toBe(c.message);
      expect((error as TypeError).cause).toBeUndefined();
    });
  }
});
