// Stand-in for "node:fs" in tsconfig.web.json: only what src/_internal/read-file.node.ts calls, typed
// with Web types, so the check needs no @types/node.
export interface Stats {
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}
export const constants: { O_RDONLY?: number; O_NONBLOCK?: number } | undefined;
export function stat(path: string, callback: (error: Error | null, stats: Stats) => void): void;
export function open(
  path: string,
  flags: number,
  callback: (error: Error | null, fd: number) => void,
): void;
export function fstat(fd: number, callback: (error: Error | null, stats: Stats) => void): void;
export function read(
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
  callback: (error: Error | null, bytesRead: number) => void,
): void;
export function close(fd: number, callback: (error: Error | null) => void): void;
