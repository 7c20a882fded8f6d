/**
 * An availability answer written as JSON text, exactly as `JSON.stringify` writes it, but with each
 * distinct list of free subjects written once: a week for 50 subjects lists the same 50 emails in a
 * hundred slots (about 130 KB), and slots in a row share their `available` array (findSlots).
 *
 * @module
 */

import type { Slot } from "../availability.ts";

/**
 * The JSON text of `answer`, equal to `JSON.stringify(answer)`.
 *
 * @param answer the answer; its `slots` are written with each shared `available` array written once
 * @returns the text
 * @example
 * ```ts
 * const free = ["ana@example.com"];
 * availabilityJson({ slots: [{ start: "…", end: "…", available: free }] }); // as JSON.stringify
 * ```
 */
export function availabilityJson(
  answer: { slots: readonly Slot[] } & Record<string, unknown>,
): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(answer)) {
    const text = key === "slots" ? slotsJson(answer.slots) : JSON.stringify(value);
    // JSON.stringify leaves out a member it cannot write (undefined, a function).
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}

function slotsJson(slots: readonly Slot[]): string {
  const written = new Map<readonly string[], string>();
  const parts: string[] = [];
  for (const slot of slots) {
    let available = written.get(slot.available);
    if (available === undefined) {
      available = JSON.stringify(slot.available);
      written.set(slot.available, available);
    }
    parts.push(
      `{"start":${JSON.stringify(slot.start)},"end":${JSON.stringify(slot.end)},"available":${available}}`,
    );
  }
  return `[${parts.join(",")}]`;
}
