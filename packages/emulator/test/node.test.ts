import { stat, mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startEmulator } from "../src/node.ts";
import { CALENDAR, importPrivateKey, jwtBearer, signRs256 } from "./helpers.ts";

describe("startEmulator()", { timeout: 60_000 }, () => {
  it("refuses an assertion whose aud is the Host header the client sent (Host: evil.example), with Google's audience error", async () => {
    const running = await startEmulator({ port: 0 });
    try {
      const key = await running.emulator.serviceAccountKeyJson("calendar-bot");
      const now = Math.floor(Date.now() / 1000);
      const assertion = await signRs256(
        await importPrivateKey(key["private_key"] ?? ""),
        { alg: "RS256" },
        {
          iss: key["client_email"],
          sub: "info@example.com",
          scope: CALENDAR,
          aud: "http://evil.example/token",
          iat: now,
          exp: now + 3600,
        },
      );
      const body = new URLSearchParams({ grant_type: jwtBearer, assertion }).toString();
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          `${running.url}/token`,
          {
            method: "POST",
            headers: { host: "evil.example", "content-type": "application/x-www-form-urlencoded" },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8").on("data", (d: string) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toEqual({
        error: "invalid_grant",
        error_description: "Invalid JWT: Failed audience check.",
      });
      expect(running.emulator.stats.tokensIssued).toBe(0);
    } finally {
      await running.close();
    }
  });

  it("listens on port 0, writes 0600 key files pointing at itself, serves a real token exchange, and closes promptly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-emulator-keys-"));
    const running = await startEmulator({ port: 0, keysDir: dir });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(running.emulator.baseUrl).toBe(running.url);
      expect(Object.keys(running.keyFiles).sort()).toEqual([
        "calendar-bot",
        "deployer",
        "intruder",
        "ungranted-bot",
      ]);
      const files = running.keyFiles["calendar-bot"];
      if (files === undefined) throw new Error("no key files");
      for (const path of [files.json, files.p12])
        expect((await stat(path)).mode & 0o777).toBe(0o600);

      const key = JSON.parse(await readFile(files.json, "utf8")) as Record<string, string>;
      expect(key["token_uri"]).toBe(`${running.url}/token`);
      const now = Math.floor(Date.now() / 1000);
      const assertion = await signRs256(
        await importPrivateKey(key["private_key"] ?? ""),
        { alg: "RS256", kid: key["private_key_id"] },
        {
          iss: key["client_email"],
          sub: "info@example.com",
          scope: CALENDAR,
          aud: key["token_uri"],
          iat: now,
          exp: now + 3600,
        },
      );
      // keep-alive is fetch's default: close() must still return promptly.
      const res = await fetch(key["token_uri"] ?? "", {
        method: "POST",
        body: new URLSearchParams({ grant_type: jwtBearer, assertion }),
      });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      const cal = await fetch(
        `${running.url}/calendar/v3/users/me/calendarList/info%40example.com`,
        { headers: { authorization: `Bearer ${access_token}` } },
      );
      expect(((await cal.json()) as { summary: string }).summary).toBe("info@example.com");
    } finally {
      const t0 = performance.now();
      await running.close();
      expect(performance.now() - t0).toBeLessThan(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects with listen_failed when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      await expect(startEmulator({ port })).rejects.toMatchObject({
        code: "listen_failed",
        message: expect.stringMatching(
          new RegExp(`^Cannot listen on "127\\.0\\.0\\.1:${port}": .*EADDRINUSE`),
        ) as unknown,
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe("startEmulator() injected connection resets", () => {
  it("destroys the socket, so a client's fetch rejects", async () => {
    const running = await startEmulator({ port: 0, faults: { errorRates: { reset: 1 } } });
    try {
      const err = await fetch(`${running.url}/calendar/v3/colors`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TypeError);
      expect(running.emulator.stats.faultsInjected["reset"]).toBe(1);
    } finally {
      await running.close();
    }
  });
});
