import { calendar } from "@googleapis/calendar";
import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import { JWT } from "google-auth-library";
import { beforeAll, describe, expect, it } from "vitest";
import { DelegationError, createTokenSource, loadKey } from "../src/index.ts";
import { toAuthClient } from "../src/google-auth-library.ts";
import { tempDir } from "./helpers.ts";

const RO = "https://www.googleapis.com/auth/calendar.readonly";
const BASE = "http://emulator.test";
let emulator: Emulator;
const fetchVia =
  (e: Emulator): typeof fetch =>
  (input, init) =>
    e.fetch(new Request(input, init));

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", baseUrl: BASE });
});

describe("toAuthClient()", () => {
  it("@googleapis/calendar calendarList.get works with toAuthClient() against the emulator", async () => {
    emulator.stats.reset();
    const source = createTokenSource(
      await loadKey(await emulator.serviceAccountKeyJson("calendar-bot")),
      { fetch: fetchVia(emulator), env: {} },
    );
    const auth = toAuthClient(source, {
      subject: "info@example.com",
      scopes: [RO],
      fetch: fetchVia(emulator),
    });
    const api = calendar({ version: "v3", auth, rootUrl: `${BASE}/` });
    const first = await api.calendarList.get({ calendarId: "info@example.com" });
    const second = await api.calendarList.get({ calendarId: "info@example.com" });
    expect(first.status).toBe(200);
    expect(first.data.summary).toBe("info@example.com");
    expect(second.data.id).toBe("info@example.com");
    expect(emulator.stats.tokensIssued).toBe(1);
    expect(source.stats).toEqual({ exchanges: 1, hits: 1 });
  });

  it("toAuthClient() getAccessToken() and getRequestHeaders() use the token source", async () => {
    const source = createTokenSource(
      await loadKey(await emulator.serviceAccountKeyJson("calendar-bot")),
      { fetch: fetchVia(emulator), env: {} },
    );
    const auth = toAuthClient(source, { subject: "ana@example.com", scopes: [RO] });
    const { token } = await auth.getAccessToken();
    expect(token).toMatch(/^ya29\.emu\./);
    expect((await auth.getRequestHeaders()).get("authorization")).toBe(`Bearer ${token}`);
    expect(source.stats.exchanges).toBe(1);
  });

  it("toAuthClient() surfaces the DelegationError through @googleapis/calendar", async () => {
    const source = createTokenSource(
      await loadKey(await emulator.serviceAccountKeyJson("ungranted-bot")),
      { fetch: fetchVia(emulator), env: {} },
    );
    const api = calendar({
      version: "v3",
      auth: toAuthClient(source, {
        subject: "info@example.com",
        scopes: [RO],
        fetch: fetchVia(emulator),
      }),
      rootUrl: `${BASE}/`,
    });
    const error = await api.calendarList
      .get({ calendarId: "info@example.com" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect((error as DelegationError).code).toBe("delegation_not_authorized");
  });

  it("toAuthClient() refuses empty scopes instead of dropping the subject", () => {
    const source = createTokenSource(
      { clientEmail: "x@y", tokenUri: "http://x/token", kind: "json" } as never,
      { env: {} },
    );
    expect(() => toAuthClient(source, { subject: "info@example.com", scopes: [] })).toThrow(
      TypeError,
    );
  });

  it("@googleapis/calendar works with toAuthClient() against the emulator on a real port (global fetch)", async () => {
    const running = await startEmulator({
      scenario: "demo",
      port: 0,
      host: "127.0.0.1",
      keysDir: tempDir(),
    });
    try {
      const key = await loadKey(running.keyFiles["calendar-bot"]!.p12, {
        email: running.emulator.serviceAccount("calendar-bot").email,
        tokenUri: `${running.url}/token`,
      });
      const auth = toAuthClient(createTokenSource(key, { env: {} }), {
        subject: "info@example.com",
        scopes: [RO],
      });
      const res = await calendar({
        version: "v3",
        auth,
        rootUrl: `${running.url}/`,
      }).calendarList.get({ calendarId: "info@example.com" });
      expect(res.data.summary).toBe("info@example.com");
    } finally {
      await running.close();
    }
  }, 60_000); // a real port, key files and RSA: seconds on a busy machine
});

describe("Google's own google-auth-library JWT against the emulator", () => {
  // google-auth-library's JWT always posts to https://oauth2.googleapis.com/token (it ignores the key's
  // token_uri). Its token request goes through the client's gaxios transporter, so a
  // `transporterOptions.fetchImplementation` that rewrites Google's token URL to the emulator routes it;
  // the assertion's aud stays Google's URL, which the emulator accepts as Google does.
  const routed =
    (e: Emulator, origin: string): typeof fetch =>
    (input, init) => {
      const url = String(input instanceof Request ? input.url : input).replace(
        /^https:\/\/oauth2\.googleapis\.com\/token/,
        `${origin}/token`,
      );
      return e.fetch(new Request(url, init));
    };

  it("JWT({ email, key, subject, scopes }) + @googleapis/calendar calendarList.get gets the entry", async () => {
    emulator.stats.reset();
    const json = await emulator.serviceAccountKeyJson("calendar-bot");
    const auth = new JWT({
      email: json["client_email"],
      key: json["private_key"],
      subject: "info@example.com",
      scopes: [RO],
      transporterOptions: { fetchImplementation: routed(emulator, BASE) },
    });
    const res = await calendar({ version: "v3", auth, rootUrl: `${BASE}/` }).calendarList.get({
      calendarId: "info@example.com",
    });
    expect(res.data.summary).toBe("info@example.com");
    expect(emulator.stats.tokensIssued).toBe(1);
  });

  it("JWT without scopes falls back to a self-signed JWT and loses the subject (the trap toAuthClient avoids)", async () => {
    const json = await emulator.serviceAccountKeyJson("calendar-bot");
    emulator.stats.reset();
    const auth = new JWT({
      email: json["client_email"],
      key: json["private_key"],
      subject: "info@example.com",
      transporterOptions: { fetchImplementation: routed(emulator, BASE) },
    });
    const error = await calendar({ version: "v3", auth, rootUrl: `${BASE}/` })
      .calendarList.get({ calendarId: "info@example.com" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.stats.tokensIssued).toBe(0);
  });
});
