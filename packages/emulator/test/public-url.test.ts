import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEmulator } from "../src/index.ts";
import { startEmulator } from "../src/node.ts";
import { exchange, signerFor } from "./helpers.ts";

describe("publicUrl", { timeout: 60_000 }, () => {
  it("startEmulator({ publicUrl }) names it in token_uri and accepts it (and the listening URL) as aud, nothing else", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-public-url-"));
    const running = await startEmulator({
      port: 0,
      keysDir: dir,
      publicUrl: "https://google.test:8443/",
    });
    try {
      expect(running.publicUrl).toBe("https://google.test:8443");
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(running.emulator.baseUrl).toBe("https://google.test:8443");
      const file = JSON.parse(
        await readFile(running.keyFiles["calendar-bot"]?.json ?? "", "utf8"),
      ) as Record<string, string>;
      expect(file["token_uri"]).toBe("https://google.test:8443/token");
      const bot = await signerFor(running.emulator, "calendar-bot", Date.now);
      const cases = [
        { aud: "https://google.test:8443/token", status: 200 },
        { aud: `${running.url}/token`, status: 200 },
        { aud: "https://google.test/token", status: 400 },
        { aud: "http://google.test:8443/token", status: 400 },
      ];
      for (const c of cases) {
        const res = await fetch(`${running.url}/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
            assertion: await bot.assertion({ aud: c.aud }),
          }).toString(),
        });
        const body = (await res.json()) as Record<string, unknown>;
        expect({ aud: c.aud, status: res.status }).toEqual(c);
        if (c.status === 400)
          expect(body).toEqual({
            error: "invalid_grant",
            error_description: "Invalid JWT: Failed audience check.",
          });
      }
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("without publicUrl an assertion for a proxy's origin fails Google's audience check", async () => {
    const emulator = await createEmulator({ baseUrl: "http://127.0.0.1:9" });
    const bot = await signerFor(emulator, "calendar-bot", Date.now);
    const res = await exchange(
      emulator,
      await bot.assertion({ aud: "https://google.test:8443/token" }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "invalid_grant",
      error_description: "Invalid JWT: Failed audience check.",
    });
  });

  const bad = [
    "google.test:8443",
    "ftp://google.test",
    "https://google.test/prefix",
    "https://u:p@google.test",
    "https://google.test/?a=1",
  ];
  for (const value of bad) {
    it(`refuses publicUrl "${value}" with a RangeError`, async () => {
      await expect(createEmulator({ publicUrl: value })).rejects.toThrow(
        new RangeError(
          `publicUrl must be an http(s) origin such as "https://google.test:8443", got "${value}"`,
        ),
      );
    });
  }
});
