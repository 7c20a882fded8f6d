import type { Setting } from "@dwd/calendar";
import { defineCommand } from "citty";
import type { Lister } from "../_internal/calendar-run.ts";
import { listArgs, openCalendarRun, runFlags, runList } from "../_internal/calendar-run.ts";
import type { Io } from "../_internal/io.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import { ioOf } from "../_internal/io.ts";
import type { Column } from "../_internal/output.ts";
import { outputMode } from "../_internal/output.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";

type Args = Record<string, unknown>;

/** Table columns of a setting. */
export const settingColumns: readonly Column<Setting>[] = [
  { header: "SETTING", value: (s) => s.id ?? "" },
  { header: "VALUE", value: (s) => s.value ?? "", shrink: true },
];

/**
 * `dwd settings [SETTING]`: every setting of the user (settings.list), or one (settings.get), for one
 * user or many.
 */
export async function settings(
  setting: string | undefined,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  outputMode(args);
  const run = await openCalendarRun(
    setting === undefined ? "settings.list" : "settings.get",
    flags,
    keyOptionsFrom(args),
    io,
    terminal,
  );
  const lister: Lister<Setting> =
    setting === undefined
      ? {
          method: "settings.list",
          all: (client, scopes) => client.settings.all({ scopes }),
          page: (calls, scopes, pageToken) => calls.settings.list({ pageToken, scopes }),
        }
      : {
          method: "settings.get",
          async *all(client, scopes) {
            yield await client.settings.get(setting, { scopes });
          },
        };
  return await runList(run, lister, settingColumns, args);
}

/** The `settings` command. */
export const settingsCommand = defineCommand({
  meta: {
    name: "dwd settings",
    description: "A user's Calendar settings (settings.list, or settings.get with SETTING)",
  },
  args: {
    setting: {
      type: "positional",
      required: false,
      description: "One setting, e.g. timezone (default: all)",
    },
    ...listArgs,
  },
  run: (ctx) => settings(ctx.args.setting, ctx.args, ioOf(ctx)),
});
