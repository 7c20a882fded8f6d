import { homedir } from "node:os";
import { join } from "node:path";

/**
 * dwd's directory in the user's cache directory: `$DWD_CACHE_DIR`, else the platform's user cache
 * directory + `/dwd` (`$XDG_CACHE_HOME/dwd` or `~/.cache/dwd`; `~/Library/Caches/dwd`;
 * `%LOCALAPPDATA%\dwd\Cache`): where the token cache keeps its files too (token-file.ts's tokenCacheDir).
 */
export function userCacheDir(env: Record<string, string | undefined>): string {
  const explicit = env["DWD_CACHE_DIR"];
  if (explicit !== undefined && explicit !== "") return explicit;
  if (process.platform === "win32")
    return join(env["LOCALAPPDATA"] ?? join(homedir(), "AppData", "Local"), "dwd", "Cache");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "dwd");
  const xdg = env["XDG_CACHE_HOME"];
  return join(xdg !== undefined && xdg.startsWith("/") ? xdg : join(homedir(), ".cache"), "dwd");
}
