// Redaction for values that are not text: an error's `cause` (Google's parsed error body, a network
// error) and its facts. Strings anywhere inside pass through redactSecrets(); what holds no secret comes
// back as the very same value, so `err.cause === body` stays true for an ordinary body.

import { REDACTED, redactSecrets } from "../redact.ts";

const MAX_DEPTH = 16;

/** Returns `value` with every string inside redacted: the same value when nothing changed, else a copy. */
export function redactValue(value: unknown): unknown {
  return redact(value, 0, new Set());
}

function redact(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep to show]";
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `${REDACTED} bytes`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((item: unknown) => redact(item, depth + 1, ancestors));
      return items.some((item, i) => item !== value[i]) ? items : value;
    }
    if (value instanceof Error) return redactError(value, depth, ancestors);
    const proto: unknown = Object.getPrototypeOf(value);
    // Class instances other than errors (a Response, a Map) are kept: they are not data dwd put there.
    if (proto !== Object.prototype && proto !== null) return value;
    let changed = false;
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = redactSecrets(k);
      const item = redact(v, depth + 1, ancestors);
      if (key !== k || item !== v) changed = true;
      copy[key] = item;
    }
    return changed ? copy : value;
  } finally {
    ancestors.delete(value);
  }
}

/** An Error whose message, stack, cause or own fields hold a secret becomes a redacted copy of the same class. */
function redactError(error: Error, depth: number, ancestors: Set<object>): Error {
  const own: [string, unknown, unknown][] = Object.entries(error).map(([k, v]) => [
    k,
    v,
    redact(v, depth + 1, ancestors),
  ]);
  const message = redactSecrets(error.message);
  const stack = typeof error.stack === "string" ? redactSecrets(error.stack) : error.stack;
  const hasCause = "cause" in error;
  const cause = hasCause ? redact(error.cause, depth + 1, ancestors) : undefined;
  const changed =
    message !== error.message ||
    stack !== error.stack ||
    (hasCause && cause !== error.cause) ||
    own.some(([, v, r]) => v !== r);
  if (!changed) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  const hidden = { writable: true, configurable: true, enumerable: false };
  Object.defineProperty(copy, "message", { ...hidden, value: message });
  Object.defineProperty(copy, "stack", { ...hidden, value: stack });
  if (hasCause) Object.defineProperty(copy, "cause", { ...hidden, value: cause });
  for (const [k, , r] of own) (copy as unknown as Record<string, unknown>)[k] = r;
  return copy;
}
