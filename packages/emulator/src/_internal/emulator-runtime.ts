import type { Scenario } from "../scenario.ts";
import type { CalendarRuntime } from "./calendar-routes.ts";
import { seedEvents } from "./calendar-seed.ts";
import type { CalendarData } from "./calendar-state.ts";
import { buildCalendarData } from "./calendar-state.ts";
import type { EmulatorContext } from "./context.ts";
import type { FaultInjector } from "./faults.ts";
import { createFaultInjector } from "./faults.ts";
import type { PushHub } from "./push.ts";
import { createPushHub } from "./push.ts";

/** The mutable parts behind the routes: Calendar data, push hub and fault injector. */
export interface EmulatorRuntime extends CalendarRuntime {
  ctx: EmulatorContext;
  /** The scenario it runs (validated). */
  scenario: Scenario;
  injector: FaultInjector;
  /** Calendar data back to the scenario's seed; channels dropped. Keys and issued tokens stay. */
  resetData(): void;
  /** Every sync token issued so far now answers 410 fullSyncRequired. */
  expireSyncTokens(): void;
}

/** Builds the runtime: seeds the scenario's calendars and events. */
export function createRuntime(
  ctx: EmulatorContext,
  scenario: Scenario,
  pushFetch?: typeof fetch,
): EmulatorRuntime {
  const injector = createFaultInjector(ctx.faults);
  const hub: PushHub = createPushHub(pushFetch, () => ctx.clock(), injector);
  const build = (epoch: number): CalendarData => {
    const data = buildCalendarData(ctx.store, scenario);
    seedEvents(data, scenario, ctx.clock());
    data.syncEpoch = epoch;
    data.onChange = (collection) => hub.notify(data, collection);
    return data;
  };
  let data = build(0);
  return {
    ctx,
    scenario,
    hub,
    injector,
    data: () => data,
    resetData() {
      data = build(data.syncEpoch + 1);
    },
    expireSyncTokens() {
      data.syncEpoch += 1;
    },
  };
}
