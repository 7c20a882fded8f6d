// The mirror engine against an in-process emulator: push notifications handed straight to an engine's
// push(), a fake clock for expiry and reconcile, Google calls counted and optionally held at a gate.
import { createTokenSource, loadKey } from "@dwd/auth";
import type { ServiceAccountKey } from "@dwd/auth";
import { createCalendarClient } from "@dwd/calendar";
import type { CalendarClient } from "@dwd/calendar";
import { createEmulator, demoScenario } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { createMirror } from "../src/mirror/engine.ts";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import type { MirrorStore } from "../src/mirror/store.ts";
import type { MirrorConfig, PushHeaders, PushOutcome } from "../src/mirror/types.ts";

export const PUSH_URL = "http://127.0.0.1:9/v1/push";
export const USERS = ["ana@example.com", "bob@example.com", "info@example.com"];
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const mirrorConfig: MirrorConfig = {
  users: USERS,
  pushUrl: PUSH_URL,
  horizonDays: 90,
  channelTtlHours: 168,
  reconcileMinutes: 15,
  callsPerSecond: 1000,
};

/** One Google call the mirror made: method and the user it acted as. */
export interface Call {
  method: "list" | "watch" | "stop" | "other";
  subject: string;
  syncToken: boolean;
}

export interface World {
  emulator: Emulator;
  key: ServiceAccountKey;
  /** The mirror's client: its calls are counted in `calls`, and wait at `gate` while it is set. */
  client: CalendarClient;
  calls: Call[];
  gate: { hold?: Promise<void> | undefined; reached?: (() => void) | undefined };
  /** Acts as users with the full scope (changes made "through Google's API"). */
  writer: CalendarClient;
  /** Where notifications go (set per test); `drop` loses them as a flaky network would. */
  delivery: { to?: ((h: PushHeaders) => Promise<PushOutcome>) | undefined; drop: boolean };
  /** Every notification delivered, with what push() answered. */
  delivered: { headers: PushHeaders; outcome: PushOutcome }[];
  clock: { now: number };
  logs: string[];
  mirror(store: MirrorStore, overrides?: Partial<MirrorConfig>, subjects?: string[]): MirrorEngine;
  /** Waits until the emulator's notifications and the engines' work have all settled. */
  settle(...engines: MirrorEngine[]): Promise<void>;
  /** Inserts an event as `subject`, `startMs` for `minutes`; returns its ID. */
  insert(subject: string, startMs: number, minutes?: number): Promise<string>;
}

function authorizationOf(init: RequestInit | undefined): string {
  return new Headers(init?.headers).get("authorization") ?? "";
}

export async function world(): Promise<World> {
  const delivery: World["delivery"] = { drop: false };
  const delivered: World["delivered"] = [];
  const emulator = await createEmulator({
    scenario: demoScenario,
    baseUrl: "http://emulator.test",
    pushAllowedOrigins: ["http://127.0.0.1:9"],
    pushFetch: async (_url, init) => {
      const h = new Headers(init?.headers);
      const headers: PushHeaders = {
        channelId: h.get("x-goog-channel-id") ?? undefined,
        channelToken: h.get("x-goog-channel-token") ?? undefined,
        resourceId: h.get("x-goog-resource-id") ?? undefined,
        resourceState: h.get("x-goog-resource-state") ?? undefined,
        messageNumber: h.get("x-goog-message-number") ?? undefined,
      };
      if (!delivery.drop && delivery.to !== undefined) {
        const outcome = await delivery.to(headers);
        delivered.push({ headers, outcome });
      }
      return new Response(null, { status: 200 });
    },
  });
  const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
  const tokenSource = createTokenSource(key, { fetch: emulator.fetch });
  const calls: Call[] = [];
  const gate: World["gate"] = {};
  const tokens = new Map<string, string>();
  const client = createCalendarClient({
    tokenSource,
    scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
    rootUrl: "http://emulator.test/calendar/v3",
    retry: false,
    fetch: async (url, init) => {
      const u = new URL(String(url));
      const method = u.pathname.endsWith("/events/watch")
        ? "watch"
        : u.pathname.endsWith("/channels/stop")
          ? "stop"
          : u.pathname.endsWith("/events")
            ? "list"
            : "other";
      calls.push({
        method,
        subject: tokens.get(authorizationOf(init)) ?? "",
        syncToken: u.searchParams.has("syncToken"),
      });
      if (gate.hold !== undefined && method === "list") {
        gate.reached?.();
        await gate.hold;
      }
      return emulator.fetch(String(url), init);
    },
  });
  // Which user a call acted as: learnt from each user's access token.
  for (const s of [...USERS, "former@example.com", "ghost@example.com"]) {
    try {
      const token = await tokenSource.getToken({
        subject: s,
        scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
      });
      tokens.set(`Bearer ${token.accessToken}`, s);
    } catch {
      // suspended or unknown: no token
    }
  }
  const writer = createCalendarClient({
    tokenSource,
    scopes: ["https://www.googleapis.com/auth/calendar"],
    rootUrl: "http://emulator.test/calendar/v3",
    fetch: (url, init) => emulator.fetch(String(url), init),
  });
  const clock = { now: Date.now() };
  const logs: string[] = [];
  return {
    emulator,
    key,
    client,
    calls,
    gate,
    writer,
    delivery,
    delivered,
    clock,
    logs,
    mirror(store, overrides = {}, subjects = USERS) {
      return createMirror({
        config: { ...mirrorConfig, ...overrides },
        subjects,
        client,
        store,
        log: (line) => logs.push(line),
        now: () => clock.now,
        every: () => () => undefined,
      });
    },
    async settle(...engines) {
      for (let i = 0; i < 3; i++) {
        await emulator.pushIdle();
        for (const e of engines) await e.idle();
      }
    },
    async insert(subject, startMs, minutes = 60) {
      const event = await writer.as(subject).events.insert("primary", {
        summary: "mirror test",
        start: { dateTime: new Date(startMs).toISOString() },
        end: { dateTime: new Date(startMs + minutes * 60_000).toISOString() },
      });
      return event.id ?? "";
    },
  };
}
