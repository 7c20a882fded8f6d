// CSV in for `dwd events create --csv-file rows.csv`: RFC 4180 records under a header row, one event a row,
// the inverse of csv.ts's flattening. A `subject` column names the user of each row; the other columns are
// event field paths (`summary`, `start.dateTime`, `attendees.email`). A path into a list (`attendees.email`,
// `recurrence`) takes its values separated by spaces, as csv.ts writes them; `attendees.email` and
// `attendees.responseStatus` pair up by position. Anything else is refused naming the line, before a
// request is sent.
import { UsageError } from "./usage-error.ts";

/** One row: its line in the file (of the record's first line), its user, its event. */
export interface CsvEventRow {
  line: number;
  subject: string | undefined;
  event: Record<string, unknown>;
}

const scalars = new Set([
  "id",
  "iCalUID",
  "summary",
  "description",
  "location",
  "colorId",
  "status",
  "transparency",
  "visibility",
  "eventType",
  "start.dateTime",
  "start.date",
  "start.timeZone",
  "end.dateTime",
  "end.date",
  "end.timeZone",
  "source.url",
  "source.title",
]);
const booleans = new Set([
  "guestsCanModify",
  "guestsCanInviteOthers",
  "guestsCanSeeOtherGuests",
  "anyoneCanAddSelf",
  "reminders.useDefault",
]);
const attendeeFields = new Set(["email", "displayName", "responseStatus", "optional", "comment"]);
const extended = /^extendedProperties\.(private|shared)\.[\w@$-]+$/;

const columnHint =
  "Columns: subject, summary, description, location, start.dateTime, start.date, start.timeZone, end.dateTime, end.date, end.timeZone, attendees.email, recurrence, … (as `dwd events list --csv` writes them)";

/** RFC 4180 records with the line each begins on; a quote left open is a usage error. */
export function parseCsvRecords(
  text: string,
  source: string,
): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: start, fields });
    fields = [];
    field = "";
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else field += c;
  }
  if (quoted)
    throw new UsageError(
      `Invalid CSV in "${source}" line ${start}: a quoted field is never closed`,
      'Close each quoted field with " (a quote inside one is written "")',
    );
  if (field !== "" || fields.length > 0) endRecord();
  return records;
}

function checkColumn(column: string, source: string): void {
  if (column === "subject" || scalars.has(column) || booleans.has(column)) return;
  if (column === "recurrence" || extended.test(column)) return;
  const [head, sub, more] = column.split(".");
  if (head === "attendees" && sub !== undefined && more === undefined && attendeeFields.has(sub))
    return;
  throw new UsageError(`Invalid CSV in "${source}" line 1: unknown column "${column}"`, columnHint);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next !== null && typeof next === "object") node = next as Record<string, unknown>;
    else node = node[key] = {};
  }
  node[keys[keys.length - 1] ?? ""] = value;
}

/** Parses CSV rows of events (see the file comment); every problem is a usage error naming its line. */
export function parseCsvEvents(text: string, source: string): CsvEventRow[] {
  const [header, ...records] = parseCsvRecords(text, source);
  if (header === undefined) throw new UsageError(`No header row in "${source}"`, columnHint);
  const columns = header.fields.map((c) => c.trim());
  const seen = new Set<string>();
  for (const column of columns) {
    checkColumn(column, source);
    if (seen.has(column))
      throw new UsageError(
        `Invalid CSV in "${source}" line 1: column "${column}" appears twice`,
        "Give each column once",
      );
    seen.add(column);
  }
  const rows: CsvEventRow[] = [];
  for (const { line, fields } of records) {
    if (fields.length !== columns.length)
      throw new UsageError(
        `Invalid CSV in "${source}" line ${line}: ${fields.length} fields, the header has ${columns.length}`,
        "Give every row as many fields as the header (quote a value that holds a comma)",
      );
    const event: Record<string, unknown> = {};
    const attendees: Record<string, unknown>[] = [];
    let subject: string | undefined;
    for (const [i, column] of columns.entries()) {
      const value = (fields[i] ?? "").trim();
      if (value === "") continue;
      if (column === "subject") {
        if (!/^[^\s@]+@[^\s@]+$/.test(value))
          throw new UsageError(
            `Invalid CSV in "${source}" line ${line}: subject "${value}" is not an email address`,
            "Give each row's user as an email address, e.g. ana@example.com",
          );
        subject = value;
      } else if (booleans.has(column)) {
        if (value !== "true" && value !== "false")
          throw new UsageError(
            `Invalid CSV in "${source}" line ${line}: ${column} "${value}" is not true or false`,
            "Write true or false (or leave the field empty)",
          );
        setPath(event, column, value === "true");
      } else if (column === "recurrence") event["recurrence"] = value.split(/\s+/);
      else if (column.startsWith("attendees.")) {
        const key = column.slice("attendees.".length);
        for (const [k, part] of value.split(/\s+/).entries()) {
          const attendee = (attendees[k] ??= {});
          if (key === "optional") {
            if (part !== "true" && part !== "false")
              throw new UsageError(
                `Invalid CSV in "${source}" line ${line}: attendees.optional "${part}" is not true or false`,
                "Write true or false for each attendee, separated by spaces",
              );
            attendee[key] = part === "true";
          } else attendee[key] = part;
        }
      } else setPath(event, column, value);
    }
    if (attendees.length > 0) {
      if (attendees.some((a) => typeof a["email"] !== "string"))
        throw new UsageError(
          `Invalid CSV in "${source}" line ${line}: an attendee without an email`,
          "Give attendees.email as many values (space-separated) as the other attendees.* columns",
        );
      event["attendees"] = attendees;
    }
    rows.push({ line, subject, event });
  }
  if (rows.length === 0) throw new UsageError(`No events in "${source}"`, columnHint);
  const withSubject = rows.filter((r) => r.subject !== undefined).length;
  if (withSubject !== 0 && withSubject !== rows.length) {
    const missing = rows.find((r) => r.subject === undefined)?.line ?? 0;
    throw new UsageError(
      `Invalid CSV in "${source}" line ${missing}: no subject (other rows have one)`,
      "Give every row its user in the subject column, or leave the column out and name users with --subjects",
    );
  }
  return rows;
}
