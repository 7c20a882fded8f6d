// Where a command writes, and whether it may use color. Commands never touch process.stdout directly,
// so `dwd demo` can run them in-process and tests can capture them.
//
// Every line dwd writes goes through safeLine() here, the one place output is made safe: secrets are
// redacted (@dwd/auth's redactSecrets) and control characters are made visible, so neither a key nor a
// token nor an escape sequence from a calendar summary can reach a terminal, a log or a pipe. Commands
// cannot opt out; the only unredacted path is outSecret, for `dwd token`'s token.
import { redactLines, redactSecrets } from "@dwd/auth";
import { fstatSync, writeSync } from "node:fs";
import { isatty } from "node:tty";
import { UsageError } from "./usage-error.ts";

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
  /**
   * Writes one line (a newline is added) to stdout: secrets redacted, control characters (CR and LF too)
   * made visible, so one call is always one line. Multi-line text: {@link printLines}; JSON: {@link printJson}.
   */
  out: (line: string) => void;
  /**
   * Writes lines to stdout, each made safe like {@link Io.out}: the same bytes as one `out` per line, in
   * far fewer writes (a JSON document of 4,000 events is 150,000 lines).
   */
  outLines: (lines: readonly string[]) => void;
  /**
   * Writes text of whole lines (LF ends a line; one more is added at the end) to stdout, each line made
   * safe like {@link Io.out}: the same bytes as one `out` per line, without splitting it into lines.
   */
  outText: (text: string) => void;
  /**
   * Writes JSON text as JSON.stringify writes it (whole lines) to stdout: the same bytes as
   * {@link Io.outText}, faster. JSON.stringify escapes every control character below U+0020 inside a
   * string, so a block of only ASCII characters and no DEL holds none to make visible and is not scanned
   * for them (secrets are redacted as ever).
   */
  outJson: (text: string) => void;
  /** Writes one line (a newline is added) to stderr, made safe like {@link Io.out}. */
  err: (line: string) => void;
  /** Writes a secret the user asked for (`dwd token`) to stdout: control characters visible, not redacted. */
  outSecret: (line: string) => void;
  /** Styles text for stdout (identity when color is off). */
  styleOut: (style: Style, text: string) => string;
  /** Styles text for stderr (identity when color is off). */
  styleErr: (style: Style, text: string) => string;
  /** Whether stdout may be colored. */
  colorOut: () => boolean;
  /** Whether stderr may be colored. */
  colorErr: () => boolean;
  /** The environment (DWD_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, NO_COLOR, …). */
  env: Record<string, string | undefined>;
}

/** Whether to color a stream: never with NO_COLOR (any non-empty value); else FORCE_COLOR, else only on a TTY. */
export function colorEnabled(
  isTty: boolean | undefined,
  env: Record<string, string | undefined>,
): boolean {
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

// The styles paint() and citty's usage write (bold, dim, underline, colors, gray); on a colored stream
// these, and only these, pass through safeLine(). None can move the cursor, retitle or clear the screen.
// eslint-disable-next-line no-control-regex
const ownStyles = /(\u001B\[(?:1|2|4|22|24|31|32|33|36|39|90)m)/;
// C0 and C1 controls (CR, LF, ESC, BEL, DEL, …) but not TAB; line and paragraph separators; and the
// bidirectional overrides and isolates that reorder what a terminal shows (U+202A–U+202E, U+2066–U+2069).
// eslint-disable-next-line no-control-regex
const controls = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\u001B": "\\u001b" };
const visible = (c: string): string =>
  named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Renders control characters visible: LF as `\n`, CR as `\r`, ESC as `\u001b`, any other as `\uXXXX`. Text
 * from outside (Google, the emulator, a file, a flag) then cannot retitle the terminal, clear the screen or
 * forge a line. Inside a JSON string the same escapes mean the same characters, so JSON stays exact.
 */
export function visibleControls(text: string): string {
  return text.replace(controls, visible);
}

/**
 * One output line made safe: secrets redacted, control characters visible. With `keepStyles` (a colored
 * stream), the exact SGR sequences {@link paint} writes survive; any other escape is made visible.
 */
export function safeLine(line: string, keepStyles = false): string {
  const redacted = redactSecrets(line);
  if (!keepStyles || !redacted.includes("\u001B")) return visibleControls(redacted);
  return redacted
    .split(ownStyles)
    .map((part, i) => (i % 2 === 1 ? part : visibleControls(part)))
    .join("");
}

// The same controls but LF: for a block of lines joined by LF, where each LF ends a line.
const controlsButLf =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * Lines joined by LF made safe as {@link safeLine} makes each line (without `keepStyles`): the same text
 * as `text.split("\n").map((l) => safeLine(l)).join("\n")`, but redacted with redactLines (which skips
 * blocks that hold no secret) and with one pass for control characters.
 */
export function safeBlock(text: string): string {
  return redactLines(text).replace(controlsButLf, visible);
}

/**
 * {@link safeBlock} for JSON text as JSON.stringify writes it: the same result. Such text has no control
 * character below U+0020 but LF (JSON.stringify escapes them inside strings), so when it is all ASCII
 * (as many UTF-8 bytes as characters) and has no DEL, there is nothing to make visible: the scan for
 * control characters, the larger part of the cost, is skipped.
 */
export function safeJsonBlock(text: string): string {
  const redacted = redactLines(text);
  if (Buffer.byteLength(redacted, "utf8") === redacted.length && !redacted.includes("\u007F"))
    return redacted;
  return redacted.replace(controlsButLf, visible);
}

/** Writes multi-line text (usage, a stack trace) line by line through `write`, each line made safe. */
export function printLines(write: (line: string) => void, text: string): void {
  for (const line of text.split("\n")) write(line);
}

/**
 * Prints a value as indented JSON on stdout, in chunks of whole lines. JSON.stringify escapes every control
 * character inside strings, so the lines are exact JSON; secrets are still redacted.
 */
export function printJson(io: Io, value: unknown): void {
  io.outJson(JSON.stringify(value, null, 2));
}

/** Removes ANSI escape sequences (citty colors its usage text unconditionally). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, "");
}

/** Characters of output gathered into one write by {@link Io.outLines} and {@link Io.outText}. */
const chunkBytes = 64 * 1024;

/**
 * A writer of text (whole lines) for fd 1 or 2 that goes quiet once the reader has gone (`dwd demo | head`: EPIPE).
 *
 * It writes with writeSync, not through process.stdout: making that stream for a pipe loads node:net and
 * node:stream (~5 ms, more than the rest of `dwd --help`), and Node writes to pipes, files and terminals
 * synchronously on Linux anyway. Should the fd be non-blocking and full (EAGAIN: a pipe shared with a parent
 * that made it so), the rest goes through the stream, which waits for the reader.
 */
function textWriter(fd: 1 | 2, stream: () => NodeJS.WriteStream): (text: string) => void {
  let mode: "sync" | "stream" | "closed" = "sync";
  let streamWrite: ((bytes: Uint8Array) => void) | undefined;
  return (text) => {
    const bytes = Buffer.from(text);
    let written = 0;
    while (mode === "sync" && written < bytes.length) {
      try {
        written += writeSync(fd, bytes, written);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EPIPE") mode = "closed";
        else if (code === "EAGAIN") mode = "stream";
        else {
          // e.g. ENOSPC on a full disk: the output's fault, not a bug of dwd's. Say so and stop writing.
          mode = "closed";
          throw new UsageError(
            `Cannot write to ${fd === 1 ? "standard output" : "standard error"}: ${code ?? String(error)}`,
            "Check where the output goes (a full disk, a closed or read-only file)",
          );
        }
      }
    }
    if (mode !== "stream") return;
    // From the first write through the stream on, the process must not exit before it drains.
    streamed = true;
    streamWrite ??= ((s) => {
      s.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE") throw error;
        mode = "closed";
      });
      return (rest: Uint8Array) => void s.write(rest);
    })(stream());
    streamWrite(bytes.subarray(written));
  };
}

let streamed = false;

/**
 * Whether every write of the process's Io went straight to its fd (writeSync), none through a stream that
 * may still hold bytes for a reader: then, with the command done, the process may exit at once.
 */
export function outputWritten(): boolean {
  return !streamed;
}

/** Whether fd is a terminal. fstat rules out pipes and files without loading node:tty (~3 ms, with node:net). */
function isTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice() && isatty(fd);
  } catch {
    return false;
  }
}

/** Hands `text` to `write` in blocks of whole lines of about {@link chunkBytes} characters (LF between blocks dropped). */
function inBlocks(text: string, write: (block: string) => void): void {
  for (let from = 0; from <= text.length;) {
    const cut = from + chunkBytes >= text.length ? -1 : text.indexOf("\n", from + chunkBytes);
    const to = cut < 0 ? text.length : cut;
    write(text.slice(from, to));
    from = to + 1;
  }
}

/** Memoizes a thunk. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * The process's Io. It writes to fds 1 and 2 directly and asks whether they are terminals only when a
 * command styles text: `dwd --help` creates neither process.stdout nor process.stderr.
 */
export function processIo(): Io {
  const env = process.env;
  const colorOut = once(() => colorEnabled(isTerminal(1), env));
  const colorErr = once(() => colorEnabled(isTerminal(2), env));
  const outText = textWriter(1, () => process.stdout);
  const errText = textWriter(2, () => process.stderr);
  const out = (line: string): void => outText(`${line}\n`);
  const err = (line: string): void => errText(`${line}\n`);
  // Whether a stream is colored is asked only for a line that holds an escape (laziness: see above).
  const safeOut = (line: string): string => safeLine(line, line.includes("\u001B") && colorOut());
  // Lines joined by LF, made safe as a block (safeBlock) and written at once: the same bytes as one
  // `out` per line. A block with an escape goes line by line, as on a colored stream its styles stay.
  const outBlock = (lines: string): void =>
    out(
      lines.includes("\u001B")
        ? lines
            .split("\n")
            .map((line) => safeOut(line))
            .join("\n")
        : safeBlock(lines),
    );
  return {
    out: (line) => out(safeOut(line)),
    outLines: (lines) => {
      let from = 0;
      let size = 0;
      const flush = (to: number): void => {
        if (to > from) outBlock(lines.slice(from, to).join("\n"));
        from = to;
        size = 0;
      };
      for (const [i, line] of lines.entries()) {
        if (line.includes("\n")) {
          // A line holding LF: made safe alone, its LF made visible, as `out` would.
          flush(i);
          from = i + 1;
          out(safeOut(line));
          continue;
        }
        size += line.length + 1;
        if (size >= chunkBytes) flush(i + 1);
      }
      flush(lines.length);
    },
    outText: (text) => inBlocks(text, outBlock),
    // JSON.stringify's text holds no ESC (it is escaped): no line keeps a style.
    outJson: (text) => inBlocks(text, (block) => out(safeJsonBlock(block))),
    err: (line) => err(safeLine(line, line.includes("\u001B") && colorErr())),
    outSecret: (line) => out(visibleControls(line)),
    styleOut: (style, text) => paint(colorOut(), style, text),
    styleErr: (style, text) => paint(colorErr(), style, text),
    colorOut,
    colorErr,
    env,
  };
}

/** The Io the dispatcher hands to a command through citty's `data`. */
export function ioOf(context: { data?: unknown }): Io {
  return context.data as Io;
}
