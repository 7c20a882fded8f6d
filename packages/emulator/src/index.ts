/**
 * `@dwd/emulator`: a faithful local Google for domain-wide delegation. A pure `fetch(Request) → Response`
 * handler that serves Google's token endpoint (jwt-bearer grant, RS256 verified against generated
 * service-account keys, DWD grants enforced), all 37 Calendar v3 methods and the batch endpoint, with
 * Google's exact errors, plus a control API (`/_emulator/stats`, `/faults`, `/reset`).
 *
 * @example
 * ```ts
 * import { createEmulator } from "@dwd/emulator";
 * const emulator = await createEmulator({ scenario: "demo" });
 * const key = await emulator.serviceAccountKeyJson("calendar-bot");
 * ```
 * @module
 */
export { createEmulator } from "./create-emulator.ts";
export type {
  Emulator,
  EmulatorFaults,
  EmulatorFetch,
  EmulatorOptions,
  EmulatorStats,
  FaultKind,
  FaultRates,
  ServiceAccountInfo,
  SuspendedSubjectBehaviour,
} from "./create-emulator.ts";
export { demoScenario } from "./demo-scenario.ts";
export { EmulatorError } from "./emulator-error.ts";
export type { EmulatorErrorCode, EmulatorErrorOptions } from "./emulator-error.ts";
export type {
  KeylessScenario,
  ScenarioAuthorizedUser,
  ScenarioMetadata,
  ScenarioTokenCreator,
} from "./keyless-scenario.ts";
export { loadScenario, serviceAccountEmail } from "./scenario.ts";
export type {
  Scenario,
  ScenarioCalendar,
  ScenarioInput,
  ScenarioGrant,
  ScenarioGroup,
  ScenarioServiceAccount,
  ScenarioUser,
} from "./scenario.ts";
export type {
  ScenarioEvent,
  ScenarioEventTime,
  ScenarioGeneratedUsers,
} from "./scenario-events.ts";
