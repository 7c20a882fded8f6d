/**
 * `createMirror()`: the availability mirror's engine — watch channels, full and incremental syncs,
 * push notifications, renewals, reconcile, leases across replicas.
 *
 * PLACEHOLDER: the engine is being built (issue 15); until then `createMirror` refuses to start.
 *
 * @module
 */

import type { CalendarClient } from "@dwd/calendar";
import type { MirrorStore } from "./store.ts";
import type { Mirror, MirrorConfig } from "./types.ts";

/** What {@link createMirror} needs. */
export interface CreateMirrorOptions {
  config: MirrorConfig;
  /** The mirrored users' emails, resolved (`list:NAME` expanded, lower-cased, no duplicates). */
  subjects: string[];
  /** A Calendar client (scope calendar.readonly, falling back to calendar); `.as(subject)` acts as each. */
  client: CalendarClient;
  /** Where the mirror's state lives: memory, or Redis shared by every replica. */
  store: MirrorStore;
  /** Diagnostic lines (JSON), never with a token. */
  log: (line: string) => void;
  now?: (() => number) | undefined;
}

/**
 * Creates the mirror (it does nothing until `start()`).
 *
 * @param options configuration, users, client, store, log
 * @returns the mirror
 */
export function createMirror(options: CreateMirrorOptions): Mirror {
  void options;
  throw new Error("the mirror engine is not built yet");
}
