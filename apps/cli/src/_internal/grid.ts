// The free/busy grid `dwd freebusy` draws on a terminal: one row per user, one cell per time slot, busy
// or free, and a last row marking the slots where everyone is free. Pure: times in, lines out.
import { terminalText } from "./output.ts";

/** A busy interval, in epoch milliseconds (end exclusive). */
export interface BusyInterval {
  start: number;
  end: number;
}

/** One row of the grid: a user's busy intervals, or why they are unknown. */
export interface GridRow {
  label: string;
  busy: readonly BusyInterval[];
  /** Set when the user's free/busy could not be read (e.g. `notFound`): the row is drawn as unknown. */
  error?: string;
}

/** What to draw. */
export interface GridInput {
  /** Start of the window (epoch ms). */
  from: number;
  /** End of the window (epoch ms, exclusive). */
  to: number;
  /** Slot length in minutes. */
  slotMinutes: number;
  /** IANA time zone for the time labels. */
  timeZone: string;
  rows: readonly GridRow[];
}

/** How cells look; plain characters by default, so the grid reads without color too. */
export interface GridStyle {
  busy: (text: string) => string;
  free: (text: string) => string;
  common: (text: string) => string;
  dim: (text: string) => string;
}

const plain: GridStyle = { busy: (t) => t, free: (t) => t, common: (t) => t, dim: (t) => t };

/** The state of each slot for a row: true busy, false free, undefined unknown. */
export function slotStates(input: GridInput, row: GridRow): (boolean | undefined)[] {
  const slot = input.slotMinutes * 60_000;
  const count = Math.max(0, Math.ceil((input.to - input.from) / slot));
  return Array.from({ length: count }, (_, i) => {
    if (row.error !== undefined) return undefined;
    const start = input.from + i * slot;
    const end = Math.min(start + slot, input.to);
    return row.busy.some((b) => b.start < end && b.end > start);
  });
}

/**
 * Indexes of the slots where every row that answered is free. A row that failed (`error`) is left out:
 * one user who could not be asked must not hide the time everyone else has free.
 */
export function commonFreeSlots(input: GridInput): number[] {
  const answered = input.rows.filter((r) => r.error === undefined);
  const states = answered.map((r) => slotStates(input, r));
  const count = Math.max(0, Math.ceil((input.to - input.from) / (input.slotMinutes * 60_000)));
  return Array.from({ length: count }, (_, i) => i).filter(
    (i) => answered.length > 0 && states.every((s) => s[i] === false),
  );
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
}

/** Runs of consecutive slot indexes as [first, last] pairs. */
function runs(indexes: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const i of indexes) {
    const last = out.at(-1);
    if (last !== undefined && last[1] === i - 1) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

/** The common free time as `HH:MM–HH:MM` ranges. */
export function commonFreeRanges(input: GridInput): string[] {
  const slot = input.slotMinutes * 60_000;
  const time = formatter(input.timeZone);
  return runs(commonFreeSlots(input)).map(
    ([a, b]) =>
      `${time.format(input.from + a * slot)}–${time.format(Math.min(input.from + (b + 1) * slot, input.to))}`,
  );
}

/**
 * Draws the grid: a time ruler, one row per user (`█` busy, `·` free, `?` unknown, and `failed:` with
 * the reason for a user who could not be asked), and an `all free` row with `▲` under each slot where
 * everyone is free, then the common free ranges in words. When some users failed, the common slots are
 * those of the users who answered (`free (answered)`), and the last line says how many were left out.
 * Each slot is 1 to 3 characters wide, as many as fit in `width` (default 80).
 */
export function renderFreeBusyGrid(
  input: GridInput,
  options: { width?: number; style?: GridStyle } = {},
): string[] {
  const style = options.style ?? plain;
  const slot = input.slotMinutes * 60_000;
  const count = Math.max(0, Math.ceil((input.to - input.from) / slot));
  const time = formatter(input.timeZone);
  const labels = input.rows.map((r) => terminalText(r.label));
  const labelWidth = Math.min(40, Math.max(8, ...labels.map((l) => [...l].length)));
  const fit = (l: string): string => {
    const chars = [...l];
    return chars.length > labelWidth
      ? `${chars.slice(0, labelWidth - 1).join("")}…`
      : l + " ".repeat(labelWidth - chars.length);
  };
  const cell = Math.max(
    1,
    Math.min(3, Math.floor(((options.width ?? 80) - labelWidth - 2) / Math.max(1, count))),
  );
  // A time label ("09:00") over the first slot and each slot that starts on the hour, with a space
  // between labels; one that would touch the previous label is left out.
  let ruler = "";
  for (let i = 0; i < count; i++) {
    const label = time.format(input.from + i * slot);
    const at = i * cell;
    if ((i > 0 && !label.endsWith(":00")) || (ruler !== "" && at < ruler.length + 1)) continue;
    ruler = ruler.padEnd(at) + label;
  }
  const lines: string[] = [`${" ".repeat(labelWidth)}  ${style.dim(ruler)}`];
  const common = new Set(commonFreeSlots(input));
  for (const [r, row] of input.rows.entries()) {
    const cells = slotStates(input, row)
      .map((s) =>
        s === undefined
          ? style.dim("?".repeat(cell))
          : s
            ? style.busy("█".repeat(cell))
            : style.free("·".repeat(cell)),
      )
      .join("");
    lines.push(
      `${fit(labels[r] ?? "")}  ${cells}${row.error !== undefined ? `  ${style.busy("failed:")} ${terminalText(row.error)}` : ""}`,
    );
  }
  const failed = input.rows.filter((r) => r.error !== undefined).length;
  const answered = input.rows.length - failed;
  const marks = Array.from({ length: count }, (_, i) =>
    common.has(i) ? style.common("▲".repeat(cell)) : " ".repeat(cell),
  ).join("");
  lines.push(`${fit(failed > 0 ? "free (answered)" : "all free")}  ${marks}`.trimEnd());
  const ranges = commonFreeRanges(input);
  const users = (n: number): string => `${n} ${n === 1 ? "user" : "users"}`;
  if (failed === 0)
    lines.push(
      ranges.length > 0
        ? `Everyone is free ${ranges.join(", ")} (${input.timeZone})`
        : `No slot is free for everyone (${input.timeZone})`,
    );
  else if (answered === 0) lines.push(`No user answered: no free time to compute`);
  else
    lines.push(
      `${ranges.length > 0 ? `The ${users(answered)} who answered ${answered === 1 ? "is" : "are"} all free ${ranges.join(", ")}` : `No slot is free for the ${users(answered)} who answered`} (${input.timeZone}); ${users(failed)} failed and ${failed === 1 ? "is" : "are"} left out`,
    );
  return lines;
}
