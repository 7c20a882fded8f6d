// --from / --to: an RFC 3339 time (`2026-12-01T09:00:00Z`, `…+01:00`) or a date (`2026-12-01`, midnight UTC).
import type { ArgsDef } from "citty";
import { stringArg } from "./args.ts";
import { UsageError } from "./usage-error.ts";

/** `--from` and `--to`. */
export const timeRangeArgs = {
  from: {
    type: "string",
    valueHint: "time",
    description: "Start: RFC 3339 (2026-12-01T09:00:00Z) or a date (2026-12-01, UTC midnight)",
  },
  to: { type: "string", valueHint: "time", description: "End (exclusive), same forms as --from" },
} as const satisfies ArgsDef;

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Parses one time flag to epoch ms; undefined when absent; a usage error when malformed. */
export function timeArg(args: Record<string, unknown>, name: string): number | undefined {
  const value = stringArg(args, name);
  if (value === undefined) return undefined;
  const ms = dateOnly.test(value)
    ? Date.parse(`${value}T00:00:00Z`)
    : dateTime.test(value)
      ? Date.parse(value)
      : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `Invalid --${name} "${value}": not an RFC 3339 time or a date`,
      `Give e.g. --${name} 2026-12-01T09:00:00Z, --${name} 2026-12-01T09:00:00+01:00 or --${name} 2026-12-01`,
    );
  return ms;
}

/** Both flags, checked for order. */
export function timeRange(args: Record<string, unknown>): {
  from: number | undefined;
  to: number | undefined;
} {
  const from = timeArg(args, "from");
  const to = timeArg(args, "to");
  if (from !== undefined && to !== undefined && to <= from)
    throw new UsageError(
      `Invalid time range: --to "${stringArg(args, "to") ?? ""}" is not after --from "${stringArg(args, "from") ?? ""}"`,
      "Give an end after the start",
    );
  return { from, to };
}

/** Epoch ms as RFC 3339 in UTC, as Google takes it. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString();
