import { defineCommand } from "citty";
import type { Io } from "../_internal/io.ts";
import { ioOf } from "../_internal/io.ts";
import { reportError } from "../_internal/report-error.ts";
import { calendarsGet } from "./calendars.ts";
import type { CalendarsOptions } from "./calendars.ts";

interface Step {
  title: string;
  argv: string[];
  options: CalendarsOptions;
  /** What "behaved as expected" means: the printed summary, or the error's name and code. */
  expect: { stdout: string } | { error: string; code: string };
  expectation: string;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./$-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * `dwd demo`: starts the embedded emulator on 127.0.0.1:0 with the demo scenario, writes its keys to a temporary
 * directory and runs `calendars get` four times in-process: JSON key, .p12 key, no subject (404), ungranted client.
 */
export async function demo(io: Io): Promise<number> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const path = await import("node:path");
  const { startEmulator } = await import("@dwd/emulator/node");

  const keysDir = await mkdtemp(path.join(tmpdir(), "dwd-demo-"));
  const server = await startEmulator({ scenario: "demo", port: 0, host: "127.0.0.1", keysDir });
  try {
    const bot = server.keyFiles["calendar-bot"];
    const ungranted = server.keyFiles["ungranted-bot"];
    if (bot === undefined || ungranted === undefined)
      throw new Error("the demo scenario lacks calendar-bot or ungranted-bot");
    const botEmail = server.emulator.serviceAccount("calendar-bot").email;
    // Explicit endpoints, not DWD_EMULATOR_HOST: the demo must not depend on (or change) the environment.
    const endpoints = { tokenUri: `${server.url}/token`, apiRoot: `${server.url}/calendar/v3` };
    const user = "info@example.com";
    const display = (path: string): string => path.replace(keysDir, "$KEYS");

    const steps: Step[] = [
      {
        title: `Impersonate ${user} with calendar-bot's JSON key`,
        argv: ["calendars", "get", user, "--key", display(bot.json), "--subject", user],
        options: { key: bot.json, subject: user, ...endpoints },
        expect: { stdout: user },
        expectation: "the entry's summary",
      },
      {
        title: "The same with the legacy .p12 key (password notasecret; a .p12 holds no email)",
        argv: [
          "calendars",
          "get",
          user,
          "--key",
          display(bot.p12),
          "--key-email",
          botEmail,
          "--subject",
          user,
        ],
        options: { key: bot.p12, keyEmail: botEmail, subject: user, ...endpoints },
        expect: { stdout: user },
        expectation: "the entry's summary",
      },
      {
        title:
          "Forget --subject: the call runs as the service account, whose own calendar list is empty",
        argv: ["calendars", "get", user, "--key", display(bot.json)],
        options: { key: bot.json, ...endpoints },
        expect: { error: "CalendarApiError", code: "not_in_service_account_list" },
        expectation: "404 with the hint to set the subject",
      },
      {
        title: "A service account whose client ID is not authorized in the Admin console",
        argv: ["calendars", "get", user, "--key", display(ungranted.json), "--subject", user],
        options: { key: ungranted.json, subject: user, ...endpoints },
        expect: { error: "DelegationError", code: "delegation_not_authorized" },
        expectation: "unauthorized_client, diagnosed with client ID, scopes and Admin-console link",
      },
    ];

    io.out(
      io.styleOut(
        "bold",
        "dwd demo: domain-wide delegation against the embedded emulator (no key, no network)",
      ),
    );
    io.out(`emulator ${server.url} (scenario demo); keys written to ${keysDir} ($KEYS)`);
    io.out(`the commands below run as with DWD_EMULATOR_HOST=${new URL(server.url).host}`);
    let passed = 0;
    for (const [i, step] of steps.entries()) {
      io.out("");
      io.out(io.styleOut("bold", `${i + 1}. ${step.title}`));
      io.out(io.styleOut("cyan", `   $ dwd ${step.argv.map(quote).join(" ")}`));
      const lines: string[] = [];
      const stepIo: Io = {
        ...io,
        out: (line) => void lines.push(line),
        outLines: (more) => void lines.push(...more),
        outText: (text) => void lines.push(...text.split("\n")),
        outJson: (text) => void lines.push(...text.split("\n")),
        err: (line) => void lines.push(line),
        styleErr: io.styleOut,
      };
      let ok: boolean;
      try {
        await calendarsGet(user, step.options, stepIo);
        ok = "stdout" in step.expect && lines.join("\n") === step.expect.stdout;
      } catch (error) {
        reportError(error, stepIo);
        ok =
          "error" in step.expect &&
          error instanceof Error &&
          error.name === step.expect.error &&
          (error as { code?: unknown }).code === step.expect.code;
      }
      for (const line of lines) io.out(`   ${line}`);
      io.out(
        ok
          ? io.styleOut("green", `   ✓ as expected: ${step.expectation}`)
          : io.styleOut("red", `   ✗ unexpected: wanted ${step.expectation}`),
      );
      if (ok) passed++;
    }
    io.out("");
    io.out(
      passed === steps.length
        ? io.styleOut("green", `All ${steps.length} steps behaved as expected`)
        : io.styleOut(
            "red",
            `${steps.length - passed} of ${steps.length} steps did not behave as expected`,
          ),
    );
    return passed === steps.length ? 0 : 1;
  } finally {
    await server.close();
    await rm(keysDir, { recursive: true, force: true });
  }
}

/** The `demo` command. */
export const demoCommand = defineCommand({
  meta: {
    name: "dwd demo",
    description:
      "The classic DWD job and its two classic failures, on the embedded emulator (no key, no network)",
  },
  args: {},
  run: (ctx) => demo(ioOf(ctx)),
});
