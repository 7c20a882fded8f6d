import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { beforeAll, describe, expect, it } from "vitest";
import { DelegationError, createTokenSource, loadKey, measureClockOffset } from "../src/index.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const RO = "https://www.googleapis.com/auth/calendar.readonly";
const BASE = "http://emulator.test";

let emulator: Emulator;
let clock = Date.UTC(2026, 3, 1, 9, 0, 0);
const now = (): number => clock;
const fetchVia =
  (e: Emulator): typeof fetch =>
  (input, init) =>
    e.fetch(new Request(input, init));

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", baseUrl: BASE, now });
});

describe("createTokenSource() against the emulator", () => {
  it("getToken() shares one exchange between 1,000 concurrent callers, counted at the emulator", async () => {
    emulator.stats.reset();
    const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
    const source = createTokenSource(key, { fetch: fetchVia(emulator), now, env: {} });
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () =>
        source.getToken({ subject: "info@example.com", scopes: [CAL] }),
      ),
    );
    expect(emulator.stats.tokensIssued).toBe(1);
    expect(emulator.stats.tokenRequests).toBe(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(tokens[0]!.accessToken).toMatch(/^ya29\.emu\./);
  });

  it("getToken() gets a token with a .p12 key from the emulator and the token works for calendarList.get", async () => {
    const info = emulator.serviceAccount("calendar-bot");
    const key = await loadKey(await emulator.serviceAccountKeyP12("calendar-bot"), {
      email: info.email,
      tokenUri: `${BASE}/token`,
    });
    const source = createTokenSource(key, { fetch: fetchVia(emulator), now, env: {} });
    const { accessToken } = await source.getToken({ subject: "info@example.com", scopes: [RO] });
    const res = await emulator.fetch(
      new Request(`${BASE}/calendar/v3/users/me/calendarList/info%40example.com`, {
        headers: { authorization: `Bearer ${accessToken}` },
      }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { summary: string }).summary).toBe("info@example.com");
  });

  it("createTokenSource() takes emulator.fetch itself as its fetch (called as fetch(url, init))", async () => {
    const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
    const source = createTokenSource(key, { fetch: emulator.fetch, now, env: {} });
    const { accessToken } = await source.getToken({ subject: "bob@example.com", scopes: [RO] });
    expect(accessToken).toMatch(/^ya29\.emu\./);
  });

  it("getToken() refreshes on expiry with injected time, counted at the emulator", async () => {
    emulator.stats.reset();
    const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
    const source = createTokenSource(key, { fetch: fetchVia(emulator), now, env: {} });
    const first = await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
    clock += 3599_000 - 226_000;
    expect((await source.getToken({ subject: "ana@example.com", scopes: [CAL] })).accessToken).toBe(
      first.accessToken,
    );
    clock += 2_000;
    const second = await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(emulator.stats.tokensIssued).toBe(2);
  });

  const failures = [
    {
      name: "an ungranted client",
      account: "ungranted-bot",
      subject: "info@example.com",
      code: "delegation_not_authorized",
      message: (id: string) =>
        `Cannot get a token for "info@example.com": Google refused client "${id}" for scope "${CAL}" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks that scope, "info@example.com" is not a user of the Workspace domain that granted the client, or the entry names another client ID`,
    },
    {
      name: "a scope outside the grant",
      account: "calendar-bot",
      subject: "info@example.com",
      scopes: [CAL, "https://www.googleapis.com/auth/drive"],
      code: "scope_not_granted",
      message: (id: string) =>
        `Cannot get a token for "info@example.com": client "${id}" is not authorized for every one of scopes "${CAL}", "https://www.googleapis.com/auth/drive"`,
    },
    {
      name: "an unknown user",
      account: "calendar-bot",
      subject: "nobody@example.com",
      code: "unknown_subject",
      message: () =>
        `Cannot get a token for "nobody@example.com": "nobody@example.com" is not a user of the Workspace domain`,
    },
    {
      name: "a suspended user",
      account: "calendar-bot",
      subject: "former@example.com",
      code: "user_suspended",
      message: () =>
        `Cannot get a token for "former@example.com": the user is suspended or disabled`,
    },
  ];
  for (const f of failures) {
    it(`getToken() diagnoses ${f.name} (${f.code})`, async () => {
      const key = await loadKey(await emulator.serviceAccountKeyJson(f.account));
      const source = createTokenSource(key, { fetch: fetchVia(emulator), now, env: {} });
      const error = await source
        .getToken({ subject: f.subject, scopes: f.scopes ?? [CAL] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DelegationError);
      const e = error as DelegationError;
      expect({ code: e.code, message: e.message }).toEqual({
        code: f.code,
        message: f.message(emulator.serviceAccount(f.account).clientId),
      });
      expect(e.keyId).toBe(emulator.serviceAccount(f.account).keyId);
    });
  }

  it("getToken() diagnoses a signature by another key as invalid_signature", async () => {
    const good = await emulator.serviceAccountKeyJson("calendar-bot");
    const other = await emulator.serviceAccountKeyJson("ungranted-bot");
    const key = await loadKey({ ...good, private_key: other["private_key"] });
    const error = (await createTokenSource(key, { fetch: fetchVia(emulator), now, env: {} })
      .getToken({ subject: "info@example.com", scopes: [CAL] })
      .catch((e: unknown) => e)) as DelegationError;
    expect(error.code).toBe("invalid_signature");
  });

  it("getToken() measures a skewed emulator clock from its Date header", async () => {
    emulator.faults.clockOffsetMs = -600_000; // Google's clock 10 min behind ours: our iat is in its future
    try {
      const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
      const error = (await createTokenSource(key, { fetch: fetchVia(emulator), now, env: {} })
        .getToken({ subject: "bob@example.com", scopes: [CAL] })
        .catch((e: unknown) => e)) as DelegationError;
      expect({
        code: error.code,
        message: error.message,
        clockOffsetMs: error.clockOffsetMs,
      }).toEqual({
        code: "clock_skew",
        message: `Cannot get a token for "bob@example.com": this machine's clock is 600 s (10.0 min) ahead of the token endpoint's`,
        clockOffsetMs: -600_000,
      });
      expect(
        await measureClockOffset({ tokenUri: `${BASE}/token`, fetch: fetchVia(emulator), now }),
      ).toBe(-600_000);
    } finally {
      emulator.faults.clockOffsetMs = 0;
    }
  });

  it("getToken() retries a token outage, then reports it as token_endpoint_unavailable after the attempts", async () => {
    emulator.faults.tokenOutage = true;
    try {
      const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
      const before = emulator.stats.tokenRequests;
      const error = (await createTokenSource(key, {
        fetch: fetchVia(emulator),
        now,
        env: {},
        retry: { retries: 2, sleep: () => Promise.resolve() },
      })
        .getToken({ scopes: [CAL] })
        .catch((e: unknown) => e)) as DelegationError;
      expect({ code: error.code, retryable: error.retryable, status: error.status }).toEqual({
        code: "token_endpoint_unavailable",
        retryable: true,
        status: 503,
      });
      expect(error.message).toBe(
        `Cannot get a token for service account "${key.clientEmail}": the token endpoint answered 503 "temporarily_unavailable" (after 3 attempts)`,
      );
      expect(emulator.stats.tokenRequests - before).toBe(3);
    } finally {
      emulator.faults.tokenOutage = false;
    }
  });
});
