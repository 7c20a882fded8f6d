/**
 * The emulator on Deno: create the demo, mint a delegated token by signing with WebCrypto,
 * call calendarList.get, and write a .p12 (node-forge loaded lazily through npm resolution).
 */
import { assertEquals, assertMatch } from "./deno-assert.ts";
import { createEmulator } from "../src/index.ts";
import { CALENDAR, calendarGet, exchange, mint, signerFor } from "./helpers.ts";

Deno.test("createEmulator() builds the demo with Google-format JSON keys", async () => {
  const emulator = await createEmulator({ scenario: "demo" });
  const key = await emulator.serviceAccountKeyJson("calendar-bot");
  assertEquals(key["client_email"], "calendar-bot@dwd-emulator.iam.gserviceaccount.com");
  assertMatch(key["client_id"] ?? "", /^\d{21}$/);
  assertEquals(key["token_uri"], `${emulator.baseUrl}/token`);
});

Deno.test(
  "a WebCrypto-signed assertion mints a token and calendarList.get returns info@example.com",
  async () => {
    const emulator = await createEmulator();
    const signer = await signerFor(emulator, "calendar-bot", Date.now);
    const token = await mint(emulator, signer, { scope: CALENDAR });
    assertMatch(token, /^ya29\.emu\./);
    const res = await calendarGet(emulator, "users/me/calendarList/info%40example.com", token);
    assertEquals(res.status, 200);
    assertEquals(((await res.json()) as { summary: string }).summary, "info@example.com");
    assertEquals(emulator.stats.tokensIssued, 1);
  },
);

Deno.test("without a subject calendarList.get(user) is the exact 404 notFound body", async () => {
  const emulator = await createEmulator();
  const signer = await signerFor(emulator, "calendar-bot", Date.now);
  const token = await mint(emulator, signer, { sub: undefined });
  const res = await calendarGet(emulator, "users/me/calendarList/info%40example.com", token);
  assertEquals(res.status, 404);
  assertEquals(
    await res.text(),
    '{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":404,"message":"Not Found"}}',
  );
});

Deno.test("an ungranted client gets 401 unauthorized_client", async () => {
  const emulator = await createEmulator();
  const signer = await signerFor(emulator, "ungranted-bot", Date.now);
  const res = await exchange(emulator, await signer.assertion());
  assertEquals(res.status, 401);
  assertEquals(((await res.json()) as { error: string }).error, "unauthorized_client");
});

Deno.test("serviceAccountKeyP12() works on Deno and opens with node-forge", async () => {
  const emulator = await createEmulator();
  const der = await emulator.serviceAccountKeyP12("calendar-bot");
  const { default: forge } = await import("node-forge");
  let binary = "";
  for (const b of der) binary += String.fromCharCode(b);
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(binary), true, "notasecret");
  const oid = forge.pki.oids["pkcs8ShroudedKeyBag"] ?? "";
  assertEquals(p12.getBags({ bagType: oid })[oid]?.length, 1);
});

Deno.test("Deno.serve(emulator.fetch) serves a real token exchange", async () => {
  const emulator = await createEmulator();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, emulator.fetch);
  try {
    emulator.baseUrl = `http://127.0.0.1:${server.addr.port}`;
    const signer = await signerFor(emulator, "calendar-bot", Date.now);
    const res = await fetch(`${emulator.baseUrl}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: await signer.assertion({ aud: `${emulator.baseUrl}/token` }),
      }),
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

async function calendarCall(
  emulator: Awaited<ReturnType<typeof createEmulator>>,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return emulator.fetch(
    new Request(`${emulator.baseUrl}/calendar/v3/${path}`, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    }),
  );
}

Deno.test(
  "events.insert, then events.list pages of 2 end with a nextSyncToken; a sync sees a deletion",
  async () => {
    const emulator = await createEmulator();
    const signer = await signerFor(emulator, "calendar-bot", Date.now);
    const token = await mint(emulator, signer, { sub: "bob@example.com" });
    // Bob starts with the demo's "Quarterly review" invitation: clear his calendar first.
    const cleared = await calendarCall(emulator, token, "POST", "calendars/primary/clear");
    assertEquals(cleared.status, 204);
    for (let i = 0; i < 5; i++) {
      const res = await calendarCall(emulator, token, "POST", "calendars/primary/events", {
        id: `deno0000${i}`,
        summary: `E${i}`,
        start: { date: "2026-04-02" },
        end: { date: "2026-04-03" },
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
    }
    const ids: string[] = [];
    let pageToken: string | undefined;
    let syncToken: string | undefined;
    let pages = 0;
    do {
      const q = pageToken === undefined ? "" : `&pageToken=${encodeURIComponent(pageToken)}`;
      const page = (await (
        await calendarCall(emulator, token, "GET", `calendars/primary/events?maxResults=2${q}`)
      ).json()) as { items: { id: string }[]; nextPageToken?: string; nextSyncToken?: string };
      ids.push(...page.items.map((e) => e.id));
      pageToken = page.nextPageToken;
      syncToken = page.nextSyncToken;
      pages++;
    } while (pageToken !== undefined);
    assertEquals(pages, 3);
    assertEquals(ids.length, 5);
    assertEquals(
      (await calendarCall(emulator, token, "DELETE", "calendars/primary/events/deno00001")).status,
      204,
    );
    const delta = (await (
      await calendarCall(
        emulator,
        token,
        "GET",
        `calendars/primary/events?syncToken=${encodeURIComponent(syncToken ?? "")}`,
      )
    ).json()) as { items: { id: string; status: string }[] };
    assertEquals(
      delta.items.map((e) => [e.id, e.status]),
      [["deno00001", "cancelled"]],
    );
  },
);

Deno.test("a batch acts as two users through inner Authorization headers", async () => {
  const emulator = await createEmulator();
  const signer = await signerFor(emulator, "calendar-bot", Date.now);
  const info = await mint(emulator, signer, { sub: "info@example.com" });
  const ana = await mint(emulator, signer, { sub: "ana@example.com" });
  const part = (id: string, auth?: string) =>
    [
      `--b1`,
      "Content-Type: application/http",
      `Content-ID: <${id}>`,
      "",
      "GET /calendar/v3/users/me/calendarList/primary HTTP/1.1",
      ...(auth === undefined ? [] : [`Authorization: Bearer ${auth}`]),
      "",
      "",
    ].join("\r\n");
  const res = await emulator.fetch(
    new Request(`${emulator.baseUrl}/batch/calendar/v3`, {
      method: "POST",
      headers: { authorization: `Bearer ${info}`, "content-type": "multipart/mixed; boundary=b1" },
      body: `${part("x")}${part("y", ana)}--b1--\r\n`,
    }),
  );
  const text = await res.text();
  assertEquals(res.status, 200);
  assertMatch(
    text,
    /Content-ID: <response-x>[\s\S]*"id":"info@example\.com"[\s\S]*Content-ID: <response-y>[\s\S]*"id":"ana@example\.com"/,
  );
  assertEquals(emulator.stats.batchParts, 2);
});
