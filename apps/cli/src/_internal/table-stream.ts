// A list's table written as it comes. Piped, a row is tab-separated cells with nothing cut, so each row
// goes out as it arrives. On a terminal the columns are aligned, which needs widths: the first rows (at
// most `sampleRows`) fix them, with the header; later rows follow in those columns (see tableLine: a
// longer shrinkable cell is cut with `…`, any other pushes the rest of its row right).
import type { Io } from "./io.ts";
import type { Column, TableTarget, TableWidths } from "./output.ts";
import { tableCells, tableLine, tableWidths } from "./output.ts";

/** Characters of lines gathered before a write (Io.outLines writes in blocks of the same size). */
const streamChunkChars = 64 * 1024;

/** Rows held on a terminal to fix the column widths. */
export const sampleRows = 100;

/** A table written row by row. */
export interface TableStream<T> {
  add(row: T): void;
  /** Writes the rows ready (on a terminal, none until the widths are fixed). */
  flush(): void;
  /** Writes the rest (on a terminal, the header and the held rows if fewer than `sampleRows` came). */
  finish(): void;
}

/**
 * Streams a table to `io` as {@link renderTable} would print it whole, while at most `sample` rows (plus
 * one chunk of lines) are held: the same lines when the rows fit in the sample.
 */
export function tableStream<T>(
  columns: readonly Column<T>[],
  target: TableTarget,
  io: Pick<Io, "outLines">,
  options: { sample?: number; chunkChars?: number } = {},
): TableStream<T> {
  const sample = options.sample ?? sampleRows;
  const chunkChars = options.chunkChars ?? streamChunkChars;
  let lines: string[] = [];
  let size = 0;
  let held: string[][] = [];
  let widths: TableWidths | undefined;
  let finished = false;
  const write = (): void => {
    if (lines.length === 0) return;
    const block = lines;
    lines = [];
    size = 0;
    io.outLines(block);
  };
  const push = (line: string): void => {
    lines.push(line);
    size += line.length + 1;
  };
  const fix = (): TableWidths => {
    const fixed = tableWidths(columns, held, target.width);
    const style = target.header ?? ((t: string) => t);
    push(
      style(
        tableLine(
          columns.map((c) => c.header),
          fixed,
        ),
      ),
    );
    for (const cells of held) push(tableLine(cells, fixed));
    held = [];
    return fixed;
  };
  return {
    add(row) {
      if (finished) return;
      const cells = tableCells(columns, row);
      if (!target.tty) push(cells.join("\t").trimEnd());
      else if (widths !== undefined) push(tableLine(cells, widths));
      else {
        held.push(cells);
        if (held.length >= sample) widths = fix();
      }
      if (size >= chunkChars) write();
    },
    flush: write,
    finish() {
      if (finished) return;
      finished = true;
      if (target.tty && widths === undefined) widths = fix();
      write();
    },
  };
}
