// Where gcloud keeps Application Default Credentials: CLOUDSDK_CONFIG, else %APPDATA%\gcloud on Windows,
// else ~/.config/gcloud — the order Google's libraries use.
import { readEnv } from "./env.ts";

type Env = Record<string, string | undefined>;

interface RuntimeGlobals {
  Deno?: { build?: { os?: string | undefined } | undefined } | undefined;
  process?: { platform?: string | undefined } | undefined;
}

function isWindows(): boolean {
  const g = globalThis as RuntimeGlobals;
  return g.Deno?.build?.os === "windows" || g.process?.platform === "win32";
}

/** The well-known ADC file, or undefined when neither CLOUDSDK_CONFIG, APPDATA (Windows) nor HOME is set. */
export function wellKnownCredentialsPath(env?: Env): string | undefined {
  const file = "application_default_credentials.json";
  const config = readEnv("CLOUDSDK_CONFIG", env);
  if (config) return `${config.replace(/[\\/]+$/, "")}/${file}`;
  if (isWindows()) {
    const appData = readEnv("APPDATA", env);
    return appData ? `${appData}\\gcloud\\${file}` : undefined;
  }
  const home = readEnv("HOME", env);
  return home ? `${home.replace(/\/+$/, "")}/.config/gcloud/${file}` : undefined;
}
