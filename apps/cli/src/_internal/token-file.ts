// Tokens kept between runs. A delegated token lives an hour; an admin's second run over 500 users within
// that hour should mint none. The tokens (bearer secrets) are kept in the user's cache directory, in one
// file per service-account key, mode 0600, sealed with AES-256-GCM under a key only the service account's
// private key can make: RSASSA-PKCS1-v1_5 signatures are deterministic, so the signature of a fixed label,
// put through HKDF, is the same key on every run, while the file alone (or a copy of the whole cache
// directory) opens nothing. The file name is derived the same way, so it does not reveal the account.
// A file that cannot be read, is too large, or was sealed by another key is treated as empty; tokens are
// written once, when the command ends. The same sealed file remembers, for a week, which scope the grant
// was found to hold for each ladder of scopes (GrantMemory): the file outlives its tokens for that, and
// a file untouched for a week is removed.
import type { AccessToken, GetTokenOptions, ServiceAccountKey, TokenSource } from "@dwd/auth";
// node:fs's synchronous calls, not node:fs/promises: a run reads one small file here when it starts and
// writes it when it ends, and node:fs/promises is a module of its own to load (readline, the REPL's
// history, file watchers: ~3 ms of a 200-user run that keeps its tokens).
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { Buffer } from "node:buffer";
import { userCacheDir } from "./cache-dir.ts";
import { join } from "node:path";

/** Tokens with less than this left are neither used nor kept (the token source's own refresh margin). */
const MARGIN_MS = 225_000;
/** At most this many tokens per key file; the soonest to expire go first. About 300 bytes each. */
export const MAX_ENTRIES = 5_000;
/** A file larger than this is not read. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/**
 * How long the scope a grant was found to hold is remembered (see {@link GrantMemory}): a week, then the
 * narrowest-first search is made again, so a grant widened since is noticed within a week.
 */
export const GRANT_TTL_MS = 7 * 24 * 3_600_000;
/** At most this many remembered grants per key file (one per scope ladder: a handful in practice). */
const MAX_GRANTS = 100;
/** Files untouched for longer than a grant is remembered are removed when a cache is opened. */
const STALE_MS = GRANT_TTL_MS;
const LABEL = "dwd token cache v1";
const encoder = new TextEncoder();

/** The cache directory: `$DWD_CACHE_DIR`, else the platform's user cache directory + `/dwd`. */
export function tokenCacheDir(env: Record<string, string | undefined>): string {
  return userCacheDir(env);
}

/** Whether the run keeps tokens: not with `--no-token-cache` or `DWD_TOKEN_CACHE=off`. */
export function tokenCacheEnabled(
  flag: boolean | undefined,
  env: Record<string, string | undefined>,
): boolean {
  if (flag === false) return false;
  return !["off", "0", "false", "no"].includes((env["DWD_TOKEN_CACHE"] ?? "").toLowerCase());
}

type Entry = [subject: string, scopes: string, accessToken: string, expiresAt: number];
/** A scope ladder (its candidates, space-separated), the scopes the grant was found to hold, and when. */
type Grant = [ladder: string, scopes: string, learnedAt: number];

/**
 * Which scope the grant holds, remembered between runs per scope ladder (the candidates a method tries,
 * narrowest first): a later run starts from it instead of asking for each narrower scope again. The grant
 * belongs to the client, not to a user, and changes rarely; a remembered scope that is refused makes the
 * run fall back to the rest of the ladder as before.
 */
export interface GrantMemory {
  /** The scopes remembered for `ladder`, learnt less than {@link GRANT_TTL_MS} ago. */
  get(ladder: string): string[] | undefined;
  /** Remembers `scopes` for `ladder` (when they differ from what is remembered, or that has expired). */
  set(ladder: string, scopes: readonly string[]): void;
}

/** The tokens of one service-account key, kept between runs. */
export interface TokenFile {
  /** The path of the file. */
  readonly path: string;
  /** Tokens read from the file when it was opened (still valid). */
  readonly loaded: number;
  /** Tokens handed out from the file in this run. */
  readonly hits: number;
  /** A kept token with more than the refresh margin left. */
  get(options: GetTokenOptions): AccessToken | undefined;
  /** Keeps a token. */
  put(token: AccessToken): void;
  /** Forgets one (subject, scopes). */
  forget(options: GetTokenOptions): void;
  /** The scopes the grant holds, remembered in the same sealed file. */
  readonly grants: GrantMemory;
  /** Writes the file when anything changed (atomically, mode 0600). */
  flush(): Promise<void>;
}

const idOf = (subject: string | undefined, scopes: readonly string[]): string =>
  `${subject ?? ""}\n${[...scopes].sort().join(" ")}`;

async function deriveKeys(
  key: ServiceAccountKey,
  tokenUri: string,
): Promise<{ aes: CryptoKey; name: string }> {
  const label = encoder.encode(`${LABEL}\n${key.clientEmail}\n${tokenUri}`);
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, label);
  const ikm = await crypto.subtle.importKey("raw", signature, "HKDF", false, [
    "deriveKey",
    "deriveBits",
  ]);
  const hkdf = (info: string) => ({
    name: "HKDF",
    hash: "SHA-256",
    salt: encoder.encode(LABEL),
    info: encoder.encode(info),
  });
  const aes = await crypto.subtle.deriveKey(
    hkdf("aes-256-gcm"),
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  const nameBits = new Uint8Array(await crypto.subtle.deriveBits(hkdf("file name"), ikm, 128));
  const name = Array.from(nameBits, (b) => b.toString(16).padStart(2, "0")).join("");
  return { aes, name };
}

function removeStale(dir: string, now: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!/^tokens-[0-9a-f]{32}\.json$/.test(n)) continue;
    const path = join(dir, n);
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    } catch {
      // Gone meanwhile, or not ours to remove: left as it is.
    }
  }
}

const isEntry = (e: unknown): e is Entry =>
  Array.isArray(e) &&
  e.length === 4 &&
  typeof e[0] === "string" &&
  typeof e[1] === "string" &&
  typeof e[2] === "string" &&
  typeof e[3] === "number";
const isGrant = (g: unknown): g is Grant =>
  Array.isArray(g) &&
  g.length === 3 &&
  typeof g[0] === "string" &&
  typeof g[1] === "string" &&
  typeof g[2] === "number";

/** What a sealed file holds: an array of tokens (as first written), or `{ t: tokens, g: grants }`. */
async function readSealed(
  path: string,
  aes: CryptoKey,
): Promise<{ entries: Entry[]; grants: Grant[] }> {
  const none = { entries: [], grants: [] };
  try {
    if (statSync(path).size > MAX_FILE_BYTES) return none;
    const doc = JSON.parse(readFileSync(path, "utf8")) as {
      v?: unknown;
      iv?: unknown;
      data?: unknown;
    };
    if (doc.v !== 1 || typeof doc.iv !== "string" || typeof doc.data !== "string") return none;
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: Buffer.from(doc.iv, "base64"), additionalData: encoder.encode(LABEL) },
      aes,
      Buffer.from(doc.data, "base64"),
    );
    const held = JSON.parse(new TextDecoder().decode(plain)) as unknown;
    if (Array.isArray(held)) return { entries: held.filter(isEntry), grants: [] };
    const { t, g } = (typeof held === "object" && held !== null ? held : {}) as {
      t?: unknown;
      g?: unknown;
    };
    return {
      entries: Array.isArray(t) ? t.filter(isEntry) : [],
      grants: Array.isArray(g) ? g.filter(isGrant) : [],
    };
  } catch {
    // Absent, unreadable, not ours, or sealed by another key: start empty.
    return none;
  }
}

/**
 * Opens the token file of `key` (for `tokenUri`) in `dir`, removing other files that have gone stale.
 *
 * @param options the key, the token endpoint, the directory and the clock
 * @returns the file, with its still-valid tokens loaded
 */
export async function openTokenFile(options: {
  key: ServiceAccountKey;
  tokenUri: string;
  dir: string;
  now?: () => number;
}): Promise<TokenFile> {
  const now = options.now ?? Date.now;
  const { aes, name } = await deriveKeys(options.key, options.tokenUri);
  const path = join(options.dir, `tokens-${name}.json`);
  removeStale(options.dir, now());
  const tokens = new Map<string, Entry>();
  const sealed = await readSealed(path, aes);
  for (const e of sealed.entries) if (e[3] - now() > MARGIN_MS) tokens.set(`${e[0]}\n${e[1]}`, e);
  const fresh = (g: Grant): boolean => now() - g[2] < GRANT_TTL_MS && g[2] <= now();
  const grants = new Map<string, Grant>();
  for (const g of sealed.grants) if (fresh(g)) grants.set(g[0], g);
  const loaded = tokens.size;
  let changed = false;
  let hits = 0;
  return {
    path,
    loaded,
    get hits() {
      return hits;
    },
    get(request) {
      const entry = tokens.get(idOf(request.subject, request.scopes));
      if (entry === undefined || entry[3] - now() <= MARGIN_MS) return undefined;
      hits++;
      return {
        accessToken: entry[2],
        expiresAt: entry[3],
        ...(entry[0] !== "" ? { subject: entry[0] } : {}),
        scopes: entry[1].split(" ").filter((s) => s !== ""),
      };
    },
    put(token) {
      const id = idOf(token.subject, token.scopes);
      const entry: Entry = [
        token.subject ?? "",
        id.slice(id.indexOf("\n") + 1),
        token.accessToken,
        token.expiresAt,
      ];
      const old = tokens.get(id);
      if (old !== undefined && old[2] === entry[2]) return;
      tokens.set(id, entry);
      changed = true;
    },
    forget(request) {
      if (tokens.delete(idOf(request.subject, request.scopes))) changed = true;
    },
    grants: {
      get(ladder) {
        const g = grants.get(ladder);
        return g !== undefined && fresh(g) ? g[1].split(" ").filter((s) => s !== "") : undefined;
      },
      set(ladder, scopes) {
        const joined = [...scopes].sort().join(" ");
        const old = grants.get(ladder);
        // The same scopes again keep their first date: a remembered grant is looked at anew weekly.
        if (old !== undefined && fresh(old) && old[1] === joined) return;
        grants.set(ladder, [ladder, joined, now()]);
        changed = true;
      },
    },
    async flush() {
      if (!changed) return;
      changed = false;
      const live = [...tokens.values()]
        .filter((e) => e[3] - now() > MARGIN_MS)
        .sort((a, b) => b[3] - a[3])
        .slice(0, MAX_ENTRIES);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: encoder.encode(LABEL) },
          aes,
          encoder.encode(
            JSON.stringify({
              t: live,
              g: [...grants.values()]
                .filter(fresh)
                .sort((a, b) => b[2] - a[2])
                .slice(0, MAX_GRANTS),
            }),
          ),
        ),
      );
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      try {
        writeFileSync(
          tmp,
          JSON.stringify({
            v: 1,
            iv: Buffer.from(iv).toString("base64"),
            data: Buffer.from(data).toString("base64"),
          }),
          {
            mode: 0o600,
            flag: "wx",
          },
        );
        renameSync(tmp, path);
      } finally {
        rmSync(tmp, { force: true });
      }
    },
  };
}

/** `source` with `file` in front: a kept token is handed out without an exchange; new ones are kept. */
export function withTokenFile(source: TokenSource, file: TokenFile): TokenSource {
  return Object.create(source, {
    getToken: {
      value: async (request: GetTokenOptions): Promise<AccessToken> => {
        const kept = file.get(request);
        if (kept !== undefined) return kept;
        const token = await source.getToken(request);
        file.put(token);
        return token;
      },
    },
    invalidate: {
      value: (request: GetTokenOptions): void => {
        file.forget(request);
        source.invalidate(request);
      },
    },
  }) as TokenSource;
}

/**
 * Removes every token file in `dir`.
 *
 * @returns how many were removed
 */
export function clearTokenFiles(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const ours = names.filter((n) => /^tokens-[0-9a-f]{32}\.json(\..+\.tmp)?$/.test(n));
  for (const n of ours) rmSync(join(dir, n), { force: true });
  return ours.filter((n) => n.endsWith(".json")).length;
}
