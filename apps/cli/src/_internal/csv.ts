// --csv: RFC 4180 fields (quoted when they hold a comma, a quote or white space at an edge; quotes doubled)
// under a header row, one record a line, for admins who feed spreadsheets and GAM. The columns are field
// paths fixed before the first record (`start.dateTime`), so records stream as they arrive and nothing is
// kept per user. A path that crosses an array takes the field of every element, joined by a space
// (`attendees.email` → "ana@example.com bob@example.com"); a path that ends at an object is written as JSON.
// Line breaks inside a value are written as `\n` (io.ts makes every control character visible), so each
// record stays one line for line-oriented tools.
import { UsageError } from "./usage-error.ts";

/** Default columns of each list method's items (`--fields` overrides). */
export const csvFields: Record<string, readonly string[]> = {
  event: [
    "id",
    "status",
    "summary",
    "start.dateTime",
    "start.date",
    "start.timeZone",
    "end.dateTime",
    "end.date",
    "end.timeZone",
    "location",
    "organizer.email",
    "attendees.email",
    "attendees.responseStatus",
    "recurringEventId",
    "recurrence",
    "transparency",
    "visibility",
    "hangoutLink",
    "htmlLink",
    "created",
    "updated",
  ],
  calendarListEntry: [
    "id",
    "summary",
    "summaryOverride",
    "accessRole",
    "primary",
    "timeZone",
    "selected",
    "hidden",
    "backgroundColor",
  ],
  aclRule: ["id", "role", "scope.type", "scope.value"],
  setting: ["id", "value"],
  busy: ["calendar", "start", "end", "errors"],
};

/** The item kind each list method yields (for {@link csvFields}). */
export const csvKindOf: Record<string, string> = {
  "events.list": "event",
  "events.instances": "event",
  "calendarList.list": "calendarListEntry",
  "acl.list": "aclRule",
  "settings.list": "setting",
};

const pathShape = /^[A-Za-z_@$][\w@$-]*(\.[A-Za-z_@$][\w@$-]*)*$/;

/** `--fields a,b.c`: the columns; undefined when absent; a usage error when a path is malformed. */
export function fieldsArg(args: Record<string, unknown>): string[] | undefined {
  const value = args["fields"];
  if (value === undefined || value === false) return undefined;
  const fields =
    typeof value === "string"
      ? value
          .split(",")
          .map((f) => f.trim())
          .filter((f) => f !== "")
      : [];
  const bad = fields.find((f) => !pathShape.test(f));
  if (fields.length === 0 || bad !== undefined)
    throw new UsageError(
      `Invalid --fields "${typeof value === "string" ? value : ""}": ${bad === undefined ? "no field" : `"${bad}" is not a field path`}`,
      "Give field paths, comma-separated, e.g. --fields id,summary,start.dateTime,attendees.email",
    );
  if (args["csv"] !== true)
    throw new UsageError("--fields needs --csv", "Add --csv, or drop --fields");
  return fields;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** The value at `path` in `item`, as CSV text (see the file comment for arrays and objects). */
export function fieldText(item: unknown, path: string): string {
  let values: unknown[] = [item];
  for (const key of path.split(".")) {
    const next: unknown[] = [];
    for (const v of values) {
      if (Array.isArray(v)) {
        for (const element of v as unknown[]) {
          if (element !== null && typeof element === "object" && Object.hasOwn(element, key))
            next.push((element as Record<string, unknown>)[key]);
        }
      } else if (v !== null && typeof v === "object" && Object.hasOwn(v, key)) {
        next.push((v as Record<string, unknown>)[key]);
      }
    }
    values = next;
  }
  return values
    .flatMap((v): unknown[] =>
      Array.isArray(v) && v.every((e) => typeof e !== "object") ? (v as unknown[]) : [v],
    )
    .map(text)
    .join(" ");
}

/**
 * One CSV field, quoted when RFC 4180 needs it (and when white space at an edge would be lost). Text that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@` first, as an outsider's event summary may be) gets a
 * leading `'`, as OWASP advises against CSV injection; numbers such as `-5` are left as they are.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$|^'/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One record. */
export function csvRecord(values: readonly string[]): string {
  return values.map(csvField).join(",");
}
