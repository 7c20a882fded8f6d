/**
 * `dwd`: check, debug and use Google domain-wide delegation from the command line.
 *
 * Each command's module is imported only when that command runs (in the bundle: the commands chunk, a
 * script chunk with V8's code cache of an earlier run), so `dwd --help` loads and evaluates almost nothing.
 * This module runs nothing when imported: {@link main} runs the command line.
 *
 * @module
 */
import pkg from "../package.json" with { type: "json" };
import { applyProfile } from "./_internal/apply-profile.ts";
import { endpointArgs, retriesArgs } from "./_internal/args.ts";
import { enableCompileCache } from "./_internal/compile-cache.ts";
import type { Root } from "./_internal/dispatch.ts";
import { dispatch } from "./_internal/dispatch.ts";
import { runExitTasks } from "./_internal/exit-tasks.ts";
import { outputWritten, processIo } from "./_internal/io.ts";
import { exitCodeFor, reportError } from "./_internal/report-error.ts";

const root: Root = {
  meta: {
    name: "dwd",
    version: pkg.version,
    description: "Google service accounts with domain-wide delegation: tokens, Calendar, diagnoses",
  },
  args: {
    ...endpointArgs,
    ...retriesArgs,
    profile: {
      type: "string",
      valueHint: "name",
      description:
        "Configuration profile for this run (default: $DWD_PROFILE, else the active one)",
    },
  },
  beforeLoad: (io) => void enableCompileCache(io.env),
  withProfile: applyProfile,
  commands: {
    calendars: {
      meta: {
        name: "calendars",
        description: "A user's calendar list and calendars (get, list, subscribe, create, …)",
      },
      load: async () => (await import("./commands/calendars.ts")).calendarsCommand,
      // The seed call, from a chunk of its own (the bundle's chunks/seed.js).
      alone: {
        get: async () => (await import("./commands/calendars-get.ts")).calendarsGetCommand,
      },
    },
    events: {
      meta: {
        name: "events",
        description:
          "List, read, create (exactly once), change and sync events, for one user or many",
      },
      load: async () => (await import("./commands/events.ts")).eventsCommand,
    },
    agenda: {
      meta: {
        name: "agenda",
        description: "The coming days' events by day, in local time, with Meet links and attendees",
      },
      load: async () => (await import("./commands/agenda.ts")).agendaCommand,
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
    channels: {
      meta: { name: "channels", description: "Push channels (stop)" },
      load: async () => (await import("./commands/channels.ts")).channelsCommand,
    },
    config: {
      meta: {
        name: "config",
        description: "Configuration profiles: default key, subject, admin, … (set, get, use, list)",
      },
      load: async () => (await import("./commands/config.ts")).configCommand,
    },
    completion: {
      meta: {
        name: "completion",
        description: "Print a shell completion script (bash, zsh, fish)",
      },
      load: async () => (await import("./commands/completion.ts")).completionCommand(root),
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

/**
 * Runs `dwd` with the process's arguments and environment; sets `process.exitCode`. The bundle's entry
 * (dist/dwd.js) calls it, from the script chunk that holds this module (build.ts's header).
 */
export async function main(): Promise<void> {
  const io = processIo();
  try {
    process.exitCode = await dispatch(root, process.argv.slice(2), io);
  } catch (error) {
    // The exit code is decided before the report is written: when stderr itself cannot be written (a
    // full disk, EIO), the report is lost but the code still says what happened (2 if that write was all
    // that failed).
    process.exitCode = exitCodeFor(error);
    try {
      reportError(error, io);
    } catch {
      // stderr is unwritable: nothing more can be said
    }
  }
  try {
    await runExitTasks(io.err);
  } catch {
    // stderr is unwritable: the warning is lost, the exit code stands
  }
  // The command is done and its exit tasks too; with every byte of output written, exit now. Left to end
  // by itself, Node waits for V8's background tasks (sweeping the heap a many-user run leaves, ~5 ms)
  // before it exits. Output still queued in a stream (a non-blocking pipe that was full) is let drain.
  if (outputWritten()) process.exit();
}
