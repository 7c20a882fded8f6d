// Stand-in for "node:fs/promises" in tsconfig.web.json: only what src/_internal/read-file.node.ts
// calls, typed with Web types, so the check needs no @types/node.
export function readFile(path: string): Promise<Uint8Array>;
