/**
 * Typed Google Calendar v3 over any token source: every method of the discovery document, page
 * iterators, incremental sync, batch requests that act as many users, retries with backoff, ETags,
 * and API errors turned into diagnoses.
 *
 * @example
 * ```ts
 * import { createTokenSource, loadKey } from "@dwd/auth";
 * import { createCalendarClient } from "@dwd/calendar";
 *
 * const cal = createCalendarClient({ tokenSource: createTokenSource(await loadKey("key.json")), subject: "info@example.com" });
 * for await (const event of cal.events.all("primary")) console.log(event.summary);
 * ```
 *
 * @module
 */
export { createCalendarClient, defaultCalendarScopes } from "./calendar-client.ts";
export type {
  AclResource,
  BatchOptions,
  CalendarCalls,
  CalendarClient,
  CalendarClientOptions,
  CalendarFetch,
  CalendarFetchResponse,
  CalendarListResource,
  CalendarTokenSource,
  EventsResource,
  SettingsResource,
} from "./calendar-client.ts";
export type { BatchPartError, BatchResult, BatchResults } from "./batch-result.ts";
export { CalendarApiError } from "./calendar-api-error.ts";
export type {
  CalendarApiErrorCode,
  CalendarApiErrorFacts,
  CalendarApiErrorOptions,
} from "./calendar-api-error.ts";
export type { CallOptions, CallResult, HasEtag, PreparedCall, ResultKind } from "./call-types.ts";
export { createEventSync } from "./event-sync.ts";
export type {
  EventSync,
  EventSyncOptions,
  EventSyncParams,
  EventSyncResult,
} from "./event-sync.ts";
export { defaultScopeFor, methodScopes } from "./method-scopes.ts";
export {
  createScopeChoice,
  isGrantRefusal,
  scopeChoiceFor,
  withScopeFallback,
} from "./scope-choice.ts";
export type {
  ScopeChoice,
  ScopeChoiceOptions,
  ScopeChoiceRequest,
  ScopeChoiceTokenSource,
} from "./scope-choice.ts";
export type { MethodSpec } from "./method-spec.ts";
export { batchPath, discoveryRevision, methods } from "./_generated/methods.ts";
export type { MethodKey } from "./_generated/methods.ts";
export { wasNotModified } from "./not-modified.ts";
export type { RetryEvent, RetryOptions } from "./retry-options.ts";
export { createMemorySyncStore } from "./sync-store.ts";
export type { SyncStore } from "./sync-store.ts";
export type * from "./_generated/types.ts";
export type * from "./_generated/resources.ts";
