// What the mirror's end-to-end tests share: the bundled emulator (`dwd emulator start`) in its own
// process with push delivery to loopback, a user changing their own calendar through Google's API
// with a delegated token, availability questions whose answer shows a given change, Prometheus
// counters, and bounded polling (by attempts, not by time). The round-robin proxy in front of replicas
// is round-robin.ts (the bench uses it too).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenSource, loadKey } from "@dwd/auth";
import { demoScenario } from "@dwd/emulator";
import { CAL, seen } from "./helpers.ts";

const cli = fileURLToPath(new URL("../../cli/dist/dwd.js", import.meta.url));

/** `mirror00@example.com`, … : the users a test mirrors. */
export const mirrorUsers = (count: number, prefix = "mirror"): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, "0")}@example.com`);

/** An emulator process (`dwd emulator start`). */
export interface EmulatorProcess {
  url: string;
  dir: string;
  keyFile: string;
  child: ChildProcess;
  stderr: string[];
  /** GET/PUT/POST `/_emulator/<path>` as JSON. */
  control: (path: string, body?: unknown, method?: string) => Promise<Record<string, unknown>>;
  stop: () => Promise<void>;
}

/**
 * Starts the bundled emulator with the demo scenario plus `users`, push delivery allowed to loopback,
 * and `extra` flags (e.g. `--push-drop 0.3`); resolves with the URL it prints first.
 */
export async function startEmulatorProcess(
  users: readonly string[],
  extra: string[] = [],
): Promise<EmulatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), "dwd-mirror-e2e-"));
  const scenario = join(dir, "scenario.json");
  writeFileSync(
    scenario,
    JSON.stringify({
      ...demoScenario,
      users: [...demoScenario.users, ...users.map((email) => ({ email }))],
    }),
  );
  const child = spawn(
    process.execPath,
    [
      cli,
      "emulator",
      "start",
      "--scenario",
      scenario,
      "--keys-dir",
      join(dir, "keys"),
      "--port",
      "0",
      "--push-allow",
      "loopback",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  const stderr: string[] = [];
  child.stderr.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0]!.trim());
    });
    void exited.then(() => reject(new Error(`dwd emulator start exited: ${stderr.join("")}`)));
  });
  child.stdout.resume();
  return {
    url,
    dir,
    keyFile: join(dir, "keys", "calendar-bot.json"),
    child,
    stderr,
    async control(path, body, method) {
      const r = await fetch(`${url}/_emulator/${path}`, {
        method: method ?? (body === undefined ? "GET" : "PUT"),
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
          : {}),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`/_emulator/${path} answered ${r.status}: ${text}`);
      return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A user acting on their own primary calendar through Google's API, with a delegated token. */
export interface CalendarUser {
  insert: (event: object) => Promise<{ id: string }>;
  patch: (id: string, patch: object) => Promise<void>;
  remove: (id: string) => Promise<void>;
}

/** `subject`'s hands on their calendar at the emulator (calendar-bot's key, the calendar scope). */
export async function asUser(emulator: EmulatorProcess, subject: string): Promise<CalendarUser> {
  const tokens = createTokenSource(await loadKey(emulator.keyFile));
  const send = async (method: string, path: string, body?: object): Promise<Response> => {
    const { accessToken } = await tokens.getToken({ subject, scopes: [CAL] });
    const r = await fetch(`${emulator.url}/calendar/v3/calendars/primary/events${path}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!r.ok)
      throw new Error(`${method} events${path} as ${subject}: ${r.status} ${await r.text()}`);
    return r;
  };
  return {
    insert: async (event) => (await (await send("POST", "", event)).json()) as { id: string },
    patch: async (id, patch) => void (await (await send("PATCH", `/${id}`, patch)).text()),
    remove: async (id) => void (await (await send("DELETE", `/${id}`)).text()),
  };
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Midnight UTC `days` days from today. */
export const dayStart = (days: number): number => Math.floor(Date.now() / DAY) * DAY + days * DAY;

/**
 * The `n`th one-hour test slot: a distinct hour between 09:00 and 17:00 UTC from tomorrow on (8 a day),
 * as the event a user adds and the slot the availability answer loses.
 */
export function slot(n: number): { start: number; end: number; event: object } {
  const start = dayStart(1 + Math.floor(n / 8)) + (9 + (n % 8)) * HOUR;
  const end = start + HOUR;
  return {
    start,
    end,
    event: {
      summary: `change ${n}`,
      start: { dateTime: new Date(start).toISOString() },
      end: { dateTime: new Date(end).toISOString() },
    },
  };
}

/** An availability question for `subjects` over the days of slots 0…`slots`-1: one-hour slots in UTC. */
export function availabilityBody(subjects: readonly string[], slots: number): object {
  return {
    subjects,
    timeMin: new Date(dayStart(1)).toISOString(),
    timeMax: new Date(dayStart(1 + Math.ceil(slots / 8))).toISOString(),
    durationMinutes: 60,
    stepMinutes: 60,
    timeZone: "UTC",
    workingHours: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5, 6, 7] },
    maxSlots: Math.min(1000, Math.floor(5000 / subjects.length)),
  };
}

/** The starts (ms) of the slots an availability answer offers. */
export const slotStarts = (body: Record<string, unknown>): Set<number> =>
  new Set(((body.slots as { start: string }[] | undefined) ?? []).map((s) => Date.parse(s.start)));

/**
 * Calls `attempt` until it returns a value other than undefined, at most `attempts` times with a short
 * pause between tries; throws with `what` and the last observation when it never does.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  attempts = 800,
): Promise<T> {
  let last: string | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      const got = await attempt();
      if (got !== undefined) return got;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what}: not after ${attempts} attempts${last ? ` (last: ${last})` : ""}`);
}

/**
 * The value of the Prometheus sample `name{labels}` in `text`: 0 when the family is there without that
 * sample (a counter not yet counted); throws when the family is missing altogether.
 */
export function sample(text: string, name: string, labels = ""): number {
  if (!text.includes(`# TYPE ${name} `)) throw new Error(`/metrics has no ${name}`);
  const key = labels === "" ? name : `${name}{${labels}}`;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${key} `)) return Number(line.slice(key.length + 1));
  }
  return 0;
}

/** The counters a test reads from one replica's /metrics. */
export async function metricsOf(url: string): Promise<string> {
  const r = await fetch(`${url}/metrics`);
  const text = await r.text();
  seen.push(text);
  return text;
}
