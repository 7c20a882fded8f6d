import type { IamState } from "./iam-state.ts";
import type { FaultSettings } from "./faults.ts";
import type { Store } from "./store.ts";
import type { TrafficStats } from "./traffic-stats.ts";

/** How the token endpoint answers a `sub` that is a suspended user (Google's behaviour is unconfirmed). */
export type SuspendedSubjectBehaviour =
  "invalid_account" | "invalid_grant" | "access_denied" | "allow";

/** Counters shared with the public `Emulator.stats`. */
export type Stats = TrafficStats;

/** Fault switches shared with the public `Emulator.faults`. */
export interface Faults extends FaultSettings {
  clockOffsetMs: number;
  tokenOutage?: boolean | undefined;
  iamCredentialsDisabled?: boolean | undefined;
}

/** What route handlers need; built once by createEmulator. */
export interface EmulatorContext {
  store: Store;
  /** The emulated Google clock in ms: injected `now()` plus `faults.clockOffsetMs`. */
  clock(): number;
  /** Current public base URL (settable on the emulator). */
  baseUrl(): string;
  /** The listening URL when it differs from the public base URL (also an accepted `aud`). */
  listenUrl?: (() => string | undefined) | undefined;
  /** Origins watch channels may deliver to (`pushAllowedOrigins`, `loopback` for any loopback origin); empty: none. */
  pushAllowed?: ReadonlySet<string> | undefined;
  /** True when a custom `pushFetch` sends notifications: then listed non-loopback origins are allowed too. */
  pushFetchGiven?: boolean | undefined;
  stats: Stats;
  faults: Faults;
  tokenLifetimeSeconds: number;
  suspendedSubject: SuspendedSubjectBehaviour;
  /** Keyless state: Token Creator grants, authorized users, the metadata identity. */
  iam?: IamState | undefined;
}
