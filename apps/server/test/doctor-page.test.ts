// The doctor page in a real headless browser (Debian's chromium): it renders the checks and, for a scope
// the Admin console has not granted, the prefilled fix link. The run leaves a screenshot in test-output/.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RO, expectNoSecrets, seen, sha256Hex } from "./helpers.ts";
import type { RunningServer } from "./spawn.ts";
import { call, startServer, waitFor } from "./spawn.ts";

const EVENTS = "https://www.googleapis.com/auth/calendar.events"; // not granted in the demo scenario
const outDir = fileURLToPath(new URL("../test-output/", import.meta.url));

function chromium(args: string[], profile: string): Promise<string> {
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      "chromium",
      [...flags, ...args],
      { timeout: 60_000, maxBuffer: 10_000_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

describe("the doctor page in headless Chromium", () => {
  let emulator: RunningEmulator;
  let server: RunningServer;
  let adminUrl: string;
  const tmp = mkdtempSync(join(tmpdir(), "dwd-doctor-page-"));

  beforeAll(async () => {
    emulator = await startEmulator({ keysDir: tmp, scenario: "demo" });
    const config = {
      listen: { port: 0 },
      admin: { port: 0 },
      delegation: {
        keyFile: emulator.keyFiles["calendar-bot"]!.json,
        checkSubject: "info@example.com",
        calendarRoot: `${emulator.url}/calendar/v3`,
      },
      callers: [
        {
          name: "booking-app",
          tokenSha256: await sha256Hex("page-test-token-123"),
          subjects: ["*@example.com"],
          operations: ["events.insert"],
          scopes: [RO, EVENTS],
        },
      ],
    };
    writeFileSync(join(tmp, "dwd-server.json"), JSON.stringify(config));
    server = await startServer("node", ["--config", join(tmp, "dwd-server.json")]);
    // The page is the admin listener's: no token (a browser sends none).
    await waitFor(() => server.stdout.some((l) => l.startsWith("dwd-server admin on ")));
    adminUrl = server.stdout.find((l) => l.startsWith("dwd-server admin on "))!.slice(20);
    await waitFor(async () => (await call(`${adminUrl}/v1/doctor`)).status === 503);
  });

  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await emulator.close();
    rmSync(tmp, { recursive: true, force: true });
    expectNoSecrets(seen);
  });

  it("renders every check and the Admin-console link for the missing scope; the screenshot is written", async () => {
    const dom = await chromium(["--dump-dom", `${adminUrl}/`], join(tmp, "profile-dom"));
    expect(dom).toContain('<h1 id="summary">Delegation needs attention</h1>');
    const rows = [
      ...dom.matchAll(
        /<tr class="(pass|fail|skip)"><td class="status">(PASS|FAIL|SKIP)<\/td><td>(\w+)/g,
      ),
    ].map((m) => `${m[3]}:${m[1]}`);
    expect(rows).toStrictEqual(["key:pass", "clock:pass", "token:fail", "token:pass", "api:pass"]);
    const clientId = emulator.emulator.serviceAccount("calendar-bot").clientId;
    const link = /<a id="admin-console-link" href="([^"]+)">Grant them in the Admin console<\/a>/
      .exec(dom)?.[1]
      ?.replaceAll("&amp;", "&");
    expect(link).toBe(
      `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${clientId}&clientScopeToAdd=${EVENTS},${RO}&overwriteClientId=true`,
    );
    expect(dom).toContain(`<code>${EVENTS}</code>`);

    mkdirSync(outDir, { recursive: true });
    const png = join(outDir, "doctor-page.png");
    rmSync(png, { force: true });
    await chromium(
      [`--screenshot=${png}`, "--window-size=1100,800", "--hide-scrollbars", `${adminUrl}/`],
      join(tmp, "profile-shot"),
    );
    expect(statSync(png).size).toBeGreaterThan(10_000);
  });
});
