// Where a list command's items go, in the chosen format, as they come: nothing waits for the end of the
// run, and what is held stays flat in the number of users (a chunk of output, and on a terminal the
// first rows of a table until they fix its column widths).
import { csvRecord, fieldText } from "./csv.ts";
import type { Io } from "./io.ts";
import { jsonArrayStream } from "./json-stream.ts";
import type { Column, OutputMode, Tagged } from "./output.ts";
import { taggedJson } from "./output.ts";
import { tableStream } from "./table-stream.ts";
import type { Terminal } from "./terminal.ts";

/** Streams the items of a list command in the chosen format. */
export interface ListOutput<T> {
  add(subject: string | undefined, item: T): void;
  /** Writes what is ready; a lister calls it when a batch of items is out (a chunk is written anyway). */
  flush(): void;
  /** Writes the rest: closes the JSON array, prints a short table, writes a CSV header for no records. */
  finish(): void;
}

/**
 * Where list items go. Every format streams in the order the items are added: NDJSON and CSV a line
 * each; `--json` one array, element by element (see jsonArrayStream); a table row by row, on a terminal
 * aligned by its first rows (see tableStream). Over many users each item is tagged with its subject.
 */
export function listOutput<T extends object>(
  mode: OutputMode,
  columns: readonly Column<T>[],
  run: { io: Io; terminal: Terminal; many: boolean },
  fields: readonly string[] = [],
): ListOutput<T> {
  const { io } = run;
  if (mode === "json") {
    const json = jsonArrayStream(io);
    return {
      add: (subject, item) => json.add(taggedJson({ subject, item })),
      flush: () => json.flush(),
      finish: () => json.finish(),
    };
  }
  if (mode === "ndjson")
    return {
      add: (subject, item) => io.out(JSON.stringify(taggedJson({ subject, item }))),
      flush: () => undefined,
      finish: () => undefined,
    };
  if (mode === "csv") {
    // The header goes out before the first record (or alone, for no records).
    let header = false;
    const csvHeader = (): void => {
      if (header) return;
      header = true;
      io.out(csvRecord(run.many ? ["subject", ...fields] : fields));
    };
    return {
      add(subject, item) {
        csvHeader();
        const values = fields.map((f) => fieldText(item, f));
        io.out(csvRecord(run.many ? [subject ?? "", ...values] : values));
      },
      flush: () => undefined,
      finish: csvHeader,
    };
  }
  const table = tableStream<Tagged<T>>(
    [
      ...(run.many ? [{ header: "SUBJECT", value: (r: Tagged<T>) => r.subject ?? "" }] : []),
      ...columns.map((c) => ({ ...c, value: (r: Tagged<T>) => c.value(r.item) })),
    ],
    {
      tty: run.terminal.stdoutTty,
      ...(run.terminal.columns !== undefined ? { width: run.terminal.columns } : {}),
      header: (t) => io.styleOut("bold", t),
    },
    io,
  );
  return {
    add: (subject, item) => table.add({ subject, item }),
    flush: () => table.flush(),
    finish: () => table.finish(),
  };
}
