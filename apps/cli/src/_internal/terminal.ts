// What a command needs to know about the terminal beyond Io: whether stdout and stderr are terminals (Io
// only says whether they may be colored), the width, and a way to redraw a line on stderr (a progress bar).
import { fstatSync, writeSync } from "node:fs";
import { isatty } from "node:tty";

/** The terminal facts and the raw stderr writer a command may use. */
export interface Terminal {
  /** stdout is a terminal (tables get a header and fit the width; freebusy draws its grid). */
  stdoutTty: boolean;
  /** stderr is a terminal (a progress bar is drawn there; otherwise nothing is). */
  stderrTty: boolean;
  /** stdout's width in columns, when it is a terminal. */
  columns: number | undefined;
  /** Writes to stderr as is (no newline added): for `\r` redraws. */
  writeErr: (text: string) => void;
}

function isTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice() && isatty(fd);
  } catch {
    return false;
  }
}

/** The process's terminal. */
export function processTerminal(): Terminal {
  const stdoutTty = isTerminal(1);
  const stderrTty = isTerminal(2);
  return {
    stdoutTty,
    stderrTty,
    columns: stdoutTty ? process.stdout.columns || undefined : undefined,
    writeErr: (text) => {
      try {
        writeSync(2, text);
      } catch {
        // A progress bar that cannot be drawn is no reason to fail the run.
      }
    },
  };
}

/** A terminal for pipes and tests: nothing is a TTY, nothing is drawn. */
export const pipedTerminal: Terminal = {
  stdoutTty: false,
  stderrTty: false,
  columns: undefined,
  writeErr: () => undefined,
};
