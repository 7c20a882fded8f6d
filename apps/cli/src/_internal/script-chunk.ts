// A chunk run as a classic script through node:vm, with a V8 code cache made after the run.
//
// Why: Node's compile cache (compile-cache.ts) keeps the code V8 compiles when a module loads, which is
// little more than its top level: the functions a run calls are compiled lazily, on first call, on every
// run. For `dwd calendars get` that is most of what separates it from a hand-written script. V8's cache
// made from a script after it ran (vm.Script#createCachedData) holds every function compiled so far, so
// the next run compiles nothing it had compiled before.
//
// The cache file (`dwd-<chunk>-<hash of its path>.v8`) sits in Node's compile-cache directory of this Node
// version (module.getCompileCacheDir),
// so it is on and off with it (DWD_COMPILE_CACHE=off, NODE_DISABLE_COMPILE_CACHE=1, an unwritable cache
// directory). It is written once, at the exit of a run that succeeded (exit code 0), when there was none
// or V8 rejected it (another chunk, another V8); best effort, silently. V8 checks a cache against the
// source and its own flags before it uses it.

/** The chunks a script chunk may import, by the specifier its code uses (`./node-forge.js`). */
export type ChunkImports = Readonly<Record<string, () => Promise<unknown>>>;

/**
 * What a script chunk's source evaluates to: a function of its importer and its own URL (what
 * `import.meta.url` would be), returning its exports.
 */
type ScriptChunk = (
  load: (specifier: string) => Promise<unknown>,
  url: string,
) => Record<string, unknown>;

interface ModuleWithCacheDir {
  getCompileCacheDir?: () => string | undefined;
}

/**
 * Runs the script chunk at `file` (an ES module's sibling URL) and returns its exports. The chunk's
 * `import()`s go through `imports`; a specifier not there rejects.
 */
export function runScriptChunk(file: URL, imports: ChunkImports): Record<string, unknown> {
  const vm = process.getBuiltinModule("node:vm");
  const fs = process.getBuiltinModule("node:fs");
  const path = process.getBuiltinModule("node:url").fileURLToPath(file);
  const source = fs.readFileSync(path, "utf8");
  const dir = (
    process.getBuiltinModule("node:module") as ModuleWithCacheDir
  ).getCompileCacheDir?.();
  const cacheFile =
    dir === undefined
      ? undefined
      : process.getBuiltinModule("node:path").join(dir, `dwd-${basename(path)}-${fnv1a(path)}.v8`);
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // none yet (or unreadable): compiled from the source, and kept at exit
    }
  }
  const script = new vm.Script(source, {
    filename: path,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const chunk = script.runInThisContext() as ScriptChunk;
  const exports = chunk((specifier) => {
    const load = Object.hasOwn(imports, specifier) ? imports[specifier] : undefined;
    return load !== undefined
      ? load()
      : Promise.reject(new Error(`${basename(path)} imports ${specifier}, which is not a chunk`));
  }, file.href);
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once("exit", (code) => {
      if (code === 0) keep(cacheFile, script.createCachedData());
    });
  }
  return exports;
}

/** A short hash of the chunk's path: two installs of dwd keep a cache each. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** Writes the cache whole or not at all (a temporary file renamed), readable by the user alone. */
function keep(file: string, data: Buffer): void {
  const fs = process.getBuiltinModule("node:fs");
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, file);
  } catch {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // best effort: the cache stays as it was
    }
  }
}
