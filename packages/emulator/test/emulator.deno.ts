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

Deno.test("a WebCrypto-signed assertion mints a token and calendarList.get returns info@example.com", async () => {
  const emulator = await createEmulator();
  const signer = await signerFor(emulator, "calendar-bot", Date.now);
  const token = await mint(emulator, signer, { scope: CALENDAR });
  assertMatch(token, /^ya29\.emu\./);
  const res = await calendarGet(emulator, "users/me/calendarList/info%40example.com", token);
  assertEquals(res.status, 200);
  assertEquals(((await res.json()) as { summary: string }).summary, "info@example.com");
  assertEquals(emulator.stats.tokensIssued, 1);
});

Deno.test("without a subject calendarList.get(user) is the exact 404 notFound body", async () => {
  const emulator = await createEmulator();
  const signer = await signerFor(emulator, "calendar-bot", Date.now);
  const token = await mint(emulator, signer, { sub: undefined });
  const res = await calendarGet(emulator, "users/me/calendarList/info%40example.com", token);
  assertEquals(res.status, 404);
  assertEquals(await res.text(), '{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":404,"message":"Not Found"}}');
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
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: await signer.assertion({ aud: `${emulator.baseUrl}/token` }) }),
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
  } finally {
    await server.shutdown();
  }
});
