/**
 * The users file of `dwd-server --mirror FILE` (demo modes): one email a line; blank lines and `#`
 * comments are ignored. A bad line is a usage error naming the line.
 *
 * @module
 */

import { UsageError } from "./_internal/usage-error.ts";

const emailPattern = /^[^@\s*]+@[^@\s]+\.[^@\s]+$/;

/** The most users one file may name (as many as `mirror.users` takes). */
export const maxMirrorFileUsers = 100_000;

/**
 * Reads the users of a `--mirror` file.
 *
 * @param text the file's text
 * @param file its name, for messages
 * @returns the emails, lower-cased, each once, in order
 * @throws {UsageError} on a line that is not an email, or when the file names nobody
 */
export function parseMirrorFile(text: string, file: string): string[] {
  const users = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, "").trim();
    if (line === "") continue;
    if (!emailPattern.test(line))
      throw new UsageError(
        `--mirror "${file}" line ${i + 1}: "${line.length > 80 ? `${line.slice(0, 80)}…` : line}" is not an email`,
        "Write one email a line (ana@example.com); blank lines and # comments are ignored",
      );
    users.add(line.toLowerCase());
    if (users.size > maxMirrorFileUsers)
      throw new UsageError(
        `--mirror "${file}" names more than ${maxMirrorFileUsers} users`,
        "Mirror fewer users, or several servers each with its own list",
      );
  }
  if (users.size === 0)
    throw new UsageError(
      `--mirror "${file}" names no user`,
      "Write one email a line (ana@example.com); blank lines and # comments are ignored",
    );
  return [...users];
}
