/**
 * `dwd`: check, debug and use Google domain-wide delegation from the command line.
 *
 * Each command's module is imported only when that command runs, so `dwd --help` evaluates almost nothing.
 *
 * @module
 */
import pkg from "../package.json" with { type: "json" };
import { endpointArgs, retriesArgs } from "./_internal/args.ts";
import type { Root } from "./_internal/dispatch.ts";
import { dispatch } from "./_internal/dispatch.ts";
import { processIo } from "./_internal/io.ts";
import { exitCodeFor, reportError } from "./_internal/report-error.ts";

const root: Root = {
  meta: {
    name: "dwd",
    version: pkg.version,
    description: "Google service accounts with domain-wide delegation: tokens, Calendar, diagnoses",
  },
  args: { ...endpointArgs, ...retriesArgs },
  commands: {
    calendars: {
      meta: {
        name: "calendars",
        description: "A user's calendar list and calendars (get, list, subscribe, create, …)",
      },
      load: async () => (await import("./commands/calendars.ts")).calendarsCommand,
    },
    events: {
      meta: {
        name: "events",
        description:
          "List, read, create (exactly once), change and sync events, for one user or many",
      },
      load: async () => (await import("./commands/events.ts")).eventsCommand,
    },
    freebusy: {
      meta: {
        name: "freebusy",
        description: "Busy times of many users: a grid with the common free slots, or JSON",
      },
      load: async () => (await import("./commands/freebusy.ts")).freebusyCommand,
    },
    acl: {
      meta: { name: "acl", description: "Who may see or change a calendar (list, add, remove)" },
      load: async () => (await import("./commands/acl.ts")).aclCommand,
    },
    settings: {
      meta: { name: "settings", description: "A user's Calendar settings" },
      load: async () => (await import("./commands/settings.ts")).settingsCommand,
    },
    colors: {
      meta: { name: "colors", description: "The calendar and event color palettes" },
      load: async () => (await import("./commands/colors.ts")).colorsCommand,
    },
    token: {
      meta: { name: "token", description: "Print a delegated access token (for curl)" },
      load: async () => (await import("./commands/token.ts")).tokenCommand,
    },
    doctor: {
      meta: {
        name: "doctor",
        description: "Check a delegation setup step by step, with the fix for each failure",
      },
      load: async () => (await import("./commands/doctor.ts")).doctorCommand,
    },
    emulator: {
      meta: {
        name: "emulator",
        description: "Run the local Google emulator (token endpoint + Calendar v3)",
      },
      load: async () => (await import("./commands/emulator.ts")).emulatorCommand,
    },
    demo: {
      meta: {
        name: "demo",
        description:
          "Show the classic DWD job and its two classic failures, on the embedded emulator",
      },
      load: async () => (await import("./commands/demo.ts")).demoCommand,
    },
  },
};

const io = processIo();
try {
  process.exitCode = await dispatch(root, process.argv.slice(2), io);
} catch (error) {
  // The exit code is decided before the report is written: when stderr itself cannot be written (a full
  // disk, EIO), the report is lost but the code still says what happened (2 if that write was all that failed).
  process.exitCode = exitCodeFor(error);
  try {
    reportError(error, io);
  } catch {
    // stderr is unwritable: nothing more can be said
  }
}
