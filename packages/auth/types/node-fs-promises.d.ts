// Stand-in for "node:fs/promises" in tsconfig.web.json: only what src/_internal/read-file.node.ts
// calls, typed with Web types, so the check needs no @types/node.
interface Stats {
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}
interface FileHandle {
  stat(): Promise<Stats>;
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}
export const constants: { O_RDONLY?: number; O_NONBLOCK?: number } | undefined;
export function stat(path: string): Promise<Stats>;
export function open(path: string, flags: number): Promise<FileHandle>;
