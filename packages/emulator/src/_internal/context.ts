import type { IamState } from "./iam-state.ts";
import type { Store } from "./store.ts";

/** How the token endpoint answers a `sub` that is a suspended user (Google's behaviour is unconfirmed). */
export type SuspendedSubjectBehaviour = "invalid_account" | "invalid_grant" | "access_denied" | "allow";

/** Counters shared with the public `Emulator.stats`. */
export interface Stats {
  tokenRequests: number;
  tokensIssued: number;
  apiRequests: number;
  reset(): void;
}

/** Fault switches shared with the public `Emulator.faults`. */
export interface Faults {
  clockOffsetMs: number;
  tokenOutage?: boolean;
  iamCredentialsDisabled?: boolean;
}

/** What route handlers need; built once by createEmulator. */
export interface EmulatorContext {
  store: Store;
  /** The emulated Google clock in ms: injected `now()` plus `faults.clockOffsetMs`. */
  clock(): number;
  /** Current public base URL (settable on the emulator). */
  baseUrl(): string;
  stats: Stats;
  faults: Faults;
  tokenLifetimeSeconds: number;
  suspendedSubject: SuspendedSubjectBehaviour;
  /** Keyless state: Token Creator grants, authorized users, the metadata identity. */
  iam?: IamState;
}
