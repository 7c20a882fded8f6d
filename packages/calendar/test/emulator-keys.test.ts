import { createTokenSource, loadKey } from "@dwd/auth";
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";

describe("keys written by the emulator are enough", { timeout: 120_000 }, () => {
  it("a client over the emulator's JSON key sends its Calendar calls to the emulator, with no rootUrl and no DWD_EMULATOR_HOST", async () => {
    const running = await startEmulator({
      scenario: demoScenario,
      keysDir: mkdtempSync(join(tmpdir(), "dwd-cal-keys-")),
    });
    try {
      const key = await loadKey(running.keyFiles["calendar-bot"]!.json, { env: {} });
      const tokenSource = createTokenSource(key, { env: {} });
      const cal = createCalendarClient({ tokenSource, subject: "info@example.com", env: {} });
      expect(cal.rootUrl).toBe(`${running.url}/calendar/v3`);
      const entry = await cal.calendarList.get("info@example.com");
      expect(entry.id).toBe("info@example.com");
    } finally {
      await running.close();
    }
  });

  it("a token source posting to Google keeps Google's Calendar root", () => {
    const cal = createCalendarClient({
      tokenSource: {
        tokenUri: "https://oauth2.googleapis.com/token",
        getToken: () => Promise.reject(new Error("not called")),
      },
      env: {},
    });
    expect(cal.rootUrl).toBe("https://www.googleapis.com/calendar/v3");
  });
});
