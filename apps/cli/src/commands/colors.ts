import type { Colors } from "@dwd/calendar";
import { defineCommand } from "citty";
import { callArgs, openCalendarRun, runFlags } from "../_internal/calendar-run.ts";
import type { Io } from "../_internal/io.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import { ioOf, printJson } from "../_internal/io.ts";
import { renderTable } from "../_internal/output.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";

type Args = Record<string, unknown>;

interface ColorRow {
  kind: "calendar" | "event";
  id: string;
  background: string;
  foreground: string;
}

/** The palettes as rows, calendar colors then event colors, by numeric ID. */
export function colorRows(colors: Colors): ColorRow[] {
  const rows = (kind: ColorRow["kind"], palette: Colors["calendar"]): ColorRow[] =>
    Object.entries(palette ?? {})
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([id, c]) => ({
        kind,
        id,
        background: c.background ?? "",
        foreground: c.foreground ?? "",
      }));
  return [...rows("calendar", colors.calendar), ...rows("event", colors.event)];
}

/** `dwd colors`: the calendar and event color palettes (colors.get). */
export async function colors(
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const run = await openCalendarRun(
    "colors.get",
    runFlags(args),
    keyOptionsFrom(args),
    io,
    terminal,
  );
  const subject = run.subjects[0];
  const value = await run.client
    .as(subject)
    .colors.get({ scopes: await run.scopes.scopesFor(subject) });
  if (args["json"] === true) {
    printJson(io, value);
    return 0;
  }
  const columns = [
    { header: "KIND", value: (r: ColorRow) => r.kind },
    { header: "ID", value: (r: ColorRow) => r.id },
    { header: "BACKGROUND", value: (r: ColorRow) => r.background },
    { header: "FOREGROUND", value: (r: ColorRow) => r.foreground },
  ];
  for (const line of renderTable(columns, colorRows(value), {
    tty: terminal.stdoutTty,
    width: terminal.columns,
    header: (t) => io.styleOut("bold", t),
  }))
    io.out(line);
  return 0;
}

/** The `colors` command. */
export const colorsCommand = defineCommand({
  meta: { name: "dwd colors", description: "The calendar and event color palettes (colors.get)" },
  args: { ...callArgs, json: { type: "boolean", description: "Print Google's answer as JSON" } },
  run: (ctx) => colors(ctx.args, ioOf(ctx)),
});
