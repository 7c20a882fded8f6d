/** Kinds of injected API failures. */
export type FaultKind = "429" | "403" | "500" | "503" | "reset";

/** Chance per API request of each failure, 0–1; they add up (at most 1 in total). */
export type FaultRates = Partial<Record<FaultKind, number>>;

/** The fault switches the injector reads on every request. */
export interface FaultSettings {
  latencyMs?: number | undefined;
  errorRates?: FaultRates | undefined;
  seed?: number | undefined;
  retryAfterSeconds?: number | undefined;
  /** Share of change notifications (`exists`/`not_exists`) never POSTed, 0–1; each still uses its message number. */
  pushDropRate?: number | undefined;
  /** Delay before each push notification is POSTed, ms: a number, or `[min, max]` drawn per notification. */
  pushDelayMs?: number | readonly [number, number] | undefined;
}

/** Every fault kind, in the order a draw checks them. */
export const faultKinds: readonly FaultKind[] = ["429", "403", "500", "503", "reset"];

// mulberry32: a tiny seeded PRNG, so a run with the same seed fails the same requests.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws faults deterministically from the settings' seed (re-seeded whenever the seed changes). */
export interface FaultInjector {
  /** The fault for the next API request, if any. */
  draw(): FaultKind | undefined;
  /** True when the next change notification is to be dropped (`pushDropRate`). */
  dropPush(): boolean;
  /** The delay of the next push notification in ms (`pushDelayMs`; a range is drawn). */
  pushDelay(): number;
  /** Starts the sequence again from the seed. */
  reseed(): void;
}

/** Validates fault settings (from JSON or options); a message naming the bad field, or undefined. */
export function checkFaultSettings(value: FaultSettings): string | undefined {
  if (
    value.latencyMs !== undefined &&
    (typeof value.latencyMs !== "number" || !(value.latencyMs >= 0) || value.latencyMs > 600_000)
  ) {
    return `latencyMs must be a number of milliseconds from 0 to 600000, got ${JSON.stringify(value.latencyMs)}`;
  }
  if (value.seed !== undefined && (typeof value.seed !== "number" || !Number.isInteger(value.seed)))
    return `seed must be an integer, got ${JSON.stringify(value.seed)}`;
  if (
    value.retryAfterSeconds !== undefined &&
    (typeof value.retryAfterSeconds !== "number" || !(value.retryAfterSeconds >= 0))
  ) {
    return `retryAfterSeconds must be a number of seconds, got ${JSON.stringify(value.retryAfterSeconds)}`;
  }
  if (
    value.pushDropRate !== undefined &&
    (typeof value.pushDropRate !== "number" || !(value.pushDropRate >= 0) || value.pushDropRate > 1)
  ) {
    return `pushDropRate must be a number from 0 to 1, got ${JSON.stringify(value.pushDropRate)}`;
  }
  if (value.pushDelayMs !== undefined) {
    const d = value.pushDelayMs;
    const ms = (n: unknown): boolean => typeof n === "number" && n >= 0 && n <= 600_000;
    const fine = Array.isArray(d)
      ? d.length === 2 && ms(d[0]) && ms(d[1]) && (d[0] as number) <= (d[1] as number)
      : ms(d);
    if (!fine)
      return `pushDelayMs must be milliseconds from 0 to 600000, or [min, max] with min <= max, got ${JSON.stringify(d)}`;
  }
  if (value.errorRates !== undefined) {
    if (typeof value.errorRates !== "object" || value.errorRates === null)
      return 'errorRates must be an object like {"429": 0.1}';
    let total = 0;
    for (const [k, v] of Object.entries(value.errorRates)) {
      if (!faultKinds.includes(k as FaultKind))
        return `errorRates has unknown kind "${k}": use ${faultKinds.map((f) => `"${f}"`).join(", ")}`;
      if (typeof v !== "number" || !(v >= 0) || v > 1)
        return `errorRates["${k}"] must be a number from 0 to 1, got ${JSON.stringify(v)}`;
      total += v;
    }
    if (total > 1 + 1e-9) return `errorRates add up to ${total}, more than 1`;
  }
  return undefined;
}

/** An injector over `settings` (read live, so changes apply to the next request). */
export function createFaultInjector(settings: FaultSettings): FaultInjector {
  let seed = settings.seed ?? 1;
  let random = mulberry32(seed);
  // Push draws have their own sequence, so notifications never shift which API calls fail.
  let pushRandom = mulberry32(seed ^ 0x5bd1e995);
  const current = (): void => {
    if ((settings.seed ?? 1) !== seed) injector.reseed();
  };
  const injector: FaultInjector = {
    reseed() {
      seed = settings.seed ?? 1;
      random = mulberry32(seed);
      pushRandom = mulberry32(seed ^ 0x5bd1e995);
    },
    dropPush() {
      const rate = settings.pushDropRate ?? 0;
      if (rate <= 0) return false;
      current();
      return pushRandom() < rate;
    },
    pushDelay() {
      const d = settings.pushDelayMs ?? 0;
      if (typeof d === "number") return d;
      const [min, max] = d;
      if (max <= min) return min;
      current();
      return Math.round(min + pushRandom() * (max - min));
    },
    draw() {
      const rates = settings.errorRates;
      if (rates === undefined) return undefined;
      current();
      const r = random();
      let acc = 0;
      for (const kind of faultKinds) {
        acc += rates[kind] ?? 0;
        if (r < acc) return kind;
      }
      return undefined;
    },
  };
  return injector;
}
