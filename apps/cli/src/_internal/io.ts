// Where a command writes, and whether it may use color. Commands never touch process.stdout directly,
// so `dwd demo` can run them in-process and tests can capture them.

/** ANSI styles the CLI uses. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

const codes: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** A command's output channels. */
export interface Io {
  /** Writes one line (a newline is added) to stdout. */
  out: (line: string) => void;
  /** Writes one line (a newline is added) to stderr. */
  err: (line: string) => void;
  /** Styles text for stdout (identity when color is off). */
  styleOut: (style: Style, text: string) => string;
  /** Styles text for stderr (identity when color is off). */
  styleErr: (style: Style, text: string) => string;
  /** The environment (DWD_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, NO_COLOR, …). */
  env: Record<string, string | undefined>;
}

/** Whether to color a stream: never with NO_COLOR (any non-empty value); else FORCE_COLOR, else only on a TTY. */
export function colorEnabled(isTty: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return isTty === true && env["TERM"] !== "dumb";
}

/** Applies a style (like node:util's styleText, without loading node:util). */
export function paint(enabled: boolean, style: Style, text: string): string {
  if (!enabled) return text;
  const [open, close] = codes[style];
  return `\u001B[${open}m${text}\u001B[${close}m`;
}

/** Removes ANSI escape sequences (citty colors its usage text unconditionally). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, "");
}

/** A line writer for a stream that goes quiet once the reader has gone (`dwd demo | head`): no EPIPE crash. */
function lineWriter(stream: NodeJS.WriteStream): (line: string) => void {
  let open = true;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    open = false;
  });
  return (line) => {
    if (open) stream.write(`${line}\n`);
  };
}

/** The process's Io. */
export function processIo(): Io {
  const env = process.env;
  const outColor = colorEnabled(process.stdout.isTTY, env);
  const errColor = colorEnabled(process.stderr.isTTY, env);
  return {
    out: lineWriter(process.stdout),
    err: lineWriter(process.stderr),
    styleOut: (style, text) => paint(outColor, style, text),
    styleErr: (style, text) => paint(errColor, style, text),
    env,
  };
}

/** An Io that records lines, for in-process runs (`dwd demo`). */
export function captureIo(env: Record<string, string | undefined>, color = false): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => void stdout.push(line),
    err: (line) => void stderr.push(line),
    styleOut: (style, text) => paint(color, style, text),
    styleErr: (style, text) => paint(color, style, text),
    env,
  };
}

/** The Io the dispatcher hands to a command through citty's `data`. */
export function ioOf(context: { data?: unknown }): Io {
  return context.data as Io;
}
