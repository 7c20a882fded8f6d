import type { Stats } from "node:fs";
import { statSync } from "node:fs";
import { UsageError } from "./usage-error.ts";

/**
 * The largest key file dwd opens. A JSON key is ~2.3 KB, a .p12 ~2.5 KB, a PEM ~1.7 KB; past this a file
 * is not a key, and reading it (`--key /dev/zero`, a disk image) would only exhaust memory. @dwd/auth
 * enforces its own cap when it reads; this check refuses early, without opening the file.
 */
export const maxKeyFileBytes = 1024 * 1024;

const kinds: [string, (s: Stats) => boolean][] = [
  ["a directory", (s) => s.isDirectory()],
  ["a FIFO (named pipe)", (s) => s.isFIFO()],
  ["a character device", (s) => s.isCharacterDevice()],
  ["a block device", (s) => s.isBlockDevice()],
  ["a socket", (s) => s.isSocket()],
];

/**
 * Refuses a key path that names something other than a regular file of a key's size: a FIFO would block
 * forever, /dev/zero would never end. A path that does not exist (or is key text rather than a path) is
 * left to @dwd/auth's loadKey, which says which it is. Codes match @dwd/auth's KeyError codes.
 *
 * @throws {UsageError} `key_not_a_file` or `key_too_large`
 */
export function checkKeyPath(path: string | undefined, from = "--key"): void {
  if (path === undefined || path === "") return;
  // Key text where a path belongs (GOOGLE_APPLICATION_CREDENTIALS="$(cat key.json)"): say so, without
  // echoing it. Neither a JSON key nor a PEM key can be a file name anyone would use.
  const head = path.trimStart();
  if (head.startsWith("{") || head.startsWith("-----BEGIN")) {
    throw new UsageError(
      `Cannot load key from ${from}: it holds the key's text (${path.length} characters), not the path of a key file`,
      `Save the key to a file and give its path (${from === "--key" ? "--key key.json" : `${from}=key.json`})`,
      "key_text_not_path",
    );
  }
  let info: Stats;
  try {
    // Follows symlinks; stat never opens the file, so a FIFO cannot block it. node:fs, not
    // node:fs/promises: the seed call does not load the latter (see build.ts's lazyFunctions).
    info = statSync(path);
  } catch {
    return;
  }
  if (!info.isFile()) {
    const kind = kinds.find(([, is]) => is(info))?.[0] ?? "something other than a file";
    throw new UsageError(
      `Cannot load key "${path}": it is ${kind}, not a regular file`,
      "Give the path of the key file as downloaded (JSON, .p12 or PEM)",
      "key_not_a_file",
    );
  }
  if (info.size > maxKeyFileBytes) {
    throw new UsageError(
      `Cannot load key "${path}": the file is ${info.size} bytes, larger than any key (at most ${maxKeyFileBytes} bytes)`,
      "Give the path of the key file as downloaded (JSON, .p12 or PEM): a key is a few KB",
      "key_too_large",
    );
  }
}
