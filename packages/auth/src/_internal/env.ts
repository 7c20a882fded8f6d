// The runtime environment, read without Node types: Deno.env on Deno, process.env on Node/Bun.

type Env = Record<string, string | undefined>;

interface RuntimeGlobals {
  Deno?: { env: { get(name: string): string | undefined } } | undefined;
  process?: { env: Env } | undefined;
}

/** Reads one environment variable from `env` when given, else from the runtime (undefined when denied). */
export function readEnv(name: string, env?: Env): string | undefined {
  if (env) return env[name];
  const g = globalThis as RuntimeGlobals;
  try {
    if (g.Deno) return g.Deno.env.get(name);
    return g.process?.env[name];
  } catch {
    return undefined; // Deno without --allow-env
  }
}
