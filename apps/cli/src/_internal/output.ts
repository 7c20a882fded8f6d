// How list commands print: a table for people, --json (one document) or --ndjson (one object a line) for
// scripts. Tables follow gh's convention: on a terminal a header, aligned columns cut to the width; piped,
// tab-separated fields with no header and nothing cut, so `cut -f` and `awk -F'\t'` work.
import type { ArgsDef } from "citty";
import { fieldsArg } from "./csv.ts";
import { visibleControls } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/** `--json`, `--ndjson` and `--csv` (with `--fields`). */
export const outputArgs = {
  json: { type: "boolean", description: "Print one JSON document" },
  ndjson: {
    type: "boolean",
    description: "Print one JSON object a line (tagged with its subject when acting as many users)",
  },
  csv: {
    type: "boolean",
    description:
      "Print CSV: a header row, then one record a line (nested fields as start.dateTime)",
  },
  fields: {
    type: "string",
    valueHint: "paths",
    description:
      "With --csv: the columns, comma-separated field paths (e.g. id,summary,start.dateTime)",
  },
} as const satisfies ArgsDef;

/** The output format of a run. */
export type OutputMode = "table" | "json" | "ndjson" | "csv";

/** Reads --json / --ndjson / --csv (one at most). */
export function outputMode(args: Record<string, unknown>): OutputMode {
  const given = (["json", "ndjson", "csv"] as const).filter((m) => args[m] === true);
  if (given.length > 1)
    throw new UsageError(
      `Conflicting options ${given.map((m) => `--${m}`).join(" and ")}: give one output format`,
      "Use --json for one document, --ndjson for one object a line, --csv for a spreadsheet",
    );
  fieldsArg(args); // --fields: well-formed, and only with --csv
  return given[0] ?? "table";
}

/**
 * Makes text from Google (an event's summary, a calendar's name) safe in a table cell: control characters
 * become visible escapes (io.ts's one sanitizer), and a tab a space, so a crafted summary can neither
 * repaint the screen nor break a row or a tab-separated column. The one place table text goes through.
 */
export function terminalText(value: string): string {
  return visibleControls(value.replace(/\t/g, " "));
}

/** One column of a table. */
export interface Column<T> {
  /** Header text (upper case by convention). */
  header: string;
  /** The cell's text for one row. */
  value: (row: T) => string;
  /** Whether this column may be shortened to fit the terminal (the widest such column gives way first). */
  shrink?: boolean;
}

/** Where a table goes and how it looks. */
export interface TableTarget {
  /** stdout is a terminal: header, alignment, cutting to `width`. */
  tty: boolean;
  /** Terminal width in characters (only used on a terminal). */
  width?: number;
  /** Styles the header (bold on a color terminal). */
  header?: (text: string) => string;
}

function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? "…".slice(0, width) : `${chars.slice(0, width - 1).join("")}…`;
}

const length = (text: string): number => [...text].length;

/** Column widths on a terminal, and which columns may be cut to them. */
export interface TableWidths {
  widths: number[];
  /** The terminal's width (Infinity when unknown): the last column may run to it. */
  limit: number;
  /** Per column: whether a longer cell is cut (`…`), as only shrinkable columns are. */
  cuts: boolean[];
}

const gap = 2;

/**
 * The widths of a terminal table: each column as wide as its header and its widest cell among `cells`,
 * then the widest shrinkable column narrowed, one character at a time, until the row fits `width`.
 */
export function tableWidths<T>(
  columns: readonly Column<T>[],
  cells: readonly (readonly string[])[],
  width: number | undefined,
): TableWidths {
  const widths = columns.map((c, i) =>
    Math.max(length(c.header), ...cells.map((r) => length(r[i] ?? ""))),
  );
  const total = (): number => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const limit = width ?? Infinity;
  // Shrink the widest shrinkable column, one character at a time, down to its header's width.
  while (total() > limit) {
    let widest = -1;
    for (const [i, c] of columns.entries()) {
      if (
        c.shrink === true &&
        (widths[i] ?? 0) > Math.max(length(c.header), 8) &&
        (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))
      )
        widest = i;
    }
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return { widths, limit, cuts: columns.map((c) => c.shrink === true) };
}

/**
 * One row of a terminal table, padded to the widths. A cell of a shrinkable column longer than its width
 * is cut with `…` (the last column's at the terminal's edge); any other cell is never cut (an ID or an
 * address cut is no use), so a longer one, which only a row after those that fixed the widths can hold,
 * pushes the rest of its row right.
 */
export function tableLine(cells: readonly string[], { widths, limit, cuts }: TableWidths): string {
  let line = "";
  for (const [i, cell] of cells.entries()) {
    const width = widths[i] ?? 0;
    if (i === cells.length - 1) {
      // The last column is not padded: it may take the room left to the terminal's edge.
      const room = Math.max(width, limit - length(line));
      line += cuts[i] === true ? cut(cell, room) : cell;
      break;
    }
    const text = cuts[i] === true ? cut(cell, width) : cell;
    line += text + " ".repeat(Math.max(0, width - length(text)) + gap);
  }
  return line.trimEnd();
}

/** The cells of one row, made safe for a table (see {@link terminalText}). */
export function tableCells<T>(columns: readonly Column<T>[], row: T): string[] {
  return columns.map((c) => terminalText(c.value(row)));
}

/** Renders rows as lines (see the file comment for the two shapes). */
export function renderTable<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  target: TableTarget,
): string[] {
  const cells = rows.map((row) => tableCells(columns, row));
  if (!target.tty) return cells.map((r) => r.join("\t").trimEnd());
  const widths = tableWidths(columns, cells, target.width);
  const style = target.header ?? ((t: string) => t);
  return [
    style(
      tableLine(
        columns.map((c) => c.header),
        widths,
      ),
    ),
    ...cells.map((r) => tableLine(r, widths)),
  ];
}

/** An item of a list, with the user it was read as (absent when acting as the service account itself). */
export interface Tagged<T> {
  subject: string | undefined;
  item: T;
}

/** One JSON object for --json/--ndjson: the item with its `subject` first (Google's resources have no such field). */
export function taggedJson<T extends object>(tagged: Tagged<T>): Record<string, unknown> {
  const item = tagged.item as Record<string, unknown>;
  return tagged.subject === undefined ? { ...item } : { subject: tagged.subject, ...item };
}
