const served = new WeakSet<object>();

/** Marks a held resource as the answer to a 304 (internal). */
export function markNotModified<T>(value: T): T {
  if (typeof value === "object" && value !== null) served.add(value);
  return value;
}

/**
 * Whether a result was served from the resource the caller held, because the API answered
 * 304 Not Modified to `ifNoneMatch`.
 *
 * @param value A result of a call made with `ifNoneMatch: heldResource`.
 * @returns True when nothing changed (the value is the held object itself).
 * @example
 * ```ts
 * const again = await cal.events.get("primary", held.id!, { ifNoneMatch: held });
 * if (wasNotModified(again)) console.log("unchanged");
 * ```
 */
export function wasNotModified(value: unknown): boolean {
  return typeof value === "object" && value !== null && served.has(value);
}
