// A caller on Google Cloud (GCE, Cloud Run, GKE): its token from the metadata server. Google's libraries
// honour GCE_METADATA_HOST (host:port) in place of metadata.google.internal; so does this.
import type { CallerCredentials, CallerCredentialsOptions } from "../caller-credentials.ts";
import { defaultFetch } from "../fetch-like.ts";
import type { FetchLikeResponse } from "../fetch-like.ts";
import { KeylessError } from "../keyless-error.ts";
import { DEFAULT_REFRESH_MARGIN_MS } from "../token-source.ts";
import { cachedToken } from "./cached-token.ts";
import { readAnswer } from "./read-answer.ts";
import { readEnv } from "./env.ts";

const HEADERS = { "metadata-flavor": "Google" };

/** `http://HOST` of the metadata server: GCE_METADATA_HOST, else metadata.google.internal. */
export function metadataRoot(env?: Record<string, string | undefined>): string {
  const host = readEnv("GCE_METADATA_HOST", env)?.trim() || "metadata.google.internal";
  return (/^https?:\/\//.test(host) ? host : `http://${host}`).replace(/\/+$/, "");
}

/** How long a metadata server that is only looked for has to answer (off Google Cloud, none may). */
export const METADATA_PROBE_TIMEOUT_MS = 3_000;
/** How long a metadata server named by GCE_METADATA_HOST has to answer. */
export const METADATA_TIMEOUT_MS = 10_000;

/** `promise`, or the signal's reason as soon as it fires (for a FetchLike that ignores signals). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function networkCode(error: unknown, timeoutMs: number): string {
  if ((error as { name?: unknown } | null)?.name === "TimeoutError")
    return `no answer within ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: unknown } | undefined } | null)?.cause?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.message : "network error";
}

export function metadataCaller(
  options: CallerCredentialsOptions,
  places: string[],
): CallerCredentials {
  const root = metadataRoot(options.env);
  const explicit = Boolean(readEnv("GCE_METADATA_HOST", options.env)?.trim());
  const base = `${root}/computeMetadata/v1`;
  const tokenUrl = `${base}/instance/service-accounts/default/token`;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? defaultFetch;

  const timeoutMs =
    options.metadataTimeoutMs ?? (explicit ? METADATA_TIMEOUT_MS : METADATA_PROBE_TIMEOUT_MS);

  async function ask(url: string): Promise<FetchLikeResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      // The deadline covers the answer, not only its headers: a server that stalls mid-body fails too.
      const res = await raceAbort(
        doFetch(url, { headers: HEADERS, signal, redirect: "manual" }),
        signal,
      );
      const body = await raceAbort(readAnswer(res), signal);
      return {
        status: res.status,
        ok: res.ok,
        headers: res.headers,
        text: () => Promise.resolve(body),
      };
    } catch (cause) {
      const why = networkCode(cause, timeoutMs);
      if (explicit) {
        throw new KeylessError(
          "metadata_unreachable",
          `Cannot get a token from the metadata server "${root}": it cannot be reached (${why})`,
          {
            callerSource: root,
            retryable: true,
            cause,
            hint: `Check GCE_METADATA_HOST (now "${readEnv("GCE_METADATA_HOST", options.env) ?? ""}"): it must name a running metadata server as host:port, or unset it`,
          },
        );
      }
      const list = `${places.slice(0, -1).join(", ")} and ${places.at(-1) ?? ""} (not reachable: ${why})`;
      throw new KeylessError(
        "no_ambient_credentials",
        `Cannot find credentials for keyless signing: looked at ${list}`,
        {
          places,
          cause,
          hint: "Run gcloud auth application-default login, or set GOOGLE_APPLICATION_CREDENTIALS to a key file of the calling account, or run on Google Cloud (GCE_METADATA_HOST names another metadata server)",
        },
      );
    }
  }

  async function text(path: string): Promise<string | undefined> {
    try {
      const res = await ask(`${base}/${path}`);
      return res.ok && res.headers.get("metadata-flavor") === "Google"
        ? (await res.text()).trim() || undefined
        : undefined;
    } catch {
      return undefined;
    }
  }

  const token = cachedToken(
    async () => {
      const sentAt = now();
      const res = await ask(tokenUrl);
      const body = await res.text().catch(() => "");
      const fail = (what: string, hint: string): KeylessError =>
        new KeylessError(
          "metadata_error",
          `Cannot get a token from the metadata server "${root}": ${what}`,
          { callerSource: root, status: res.status, cause: body, hint },
        );
      if (res.headers.get("metadata-flavor") !== "Google") {
        throw fail(
          `the answer (${res.status}) is not from a metadata server (no "Metadata-Flavor: Google" header)`,
          "Check GCE_METADATA_HOST and any proxy between here and the metadata server",
        );
      }
      if (res.status === 404)
        throw fail(
          "the instance has no service account",
          "Attach a service account to the VM, Cloud Run service or GKE workload (Workload Identity)",
        );
      let json: { access_token?: unknown; expires_in?: unknown } = {};
      try {
        json = JSON.parse(body) as typeof json;
      } catch {
        // handled below
      }
      if (!res.ok || typeof json.access_token !== "string")
        throw fail(
          `it answered ${res.status} without a token`,
          "Retry; if it persists, check the instance's service account",
        );
      const expiresIn = Number(json.expires_in);
      return {
        token: json.access_token,
        expiresAt: sentAt + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
      };
    },
    now,
    DEFAULT_REFRESH_MARGIN_MS,
  );

  let described:
    Promise<{ member?: string | undefined; projectId?: string | undefined }> | undefined;
  return {
    kind: "metadata",
    source: root,
    getToken: () => token.get(),
    invalidate: () => token.invalidate(),
    describe: () =>
      (described ??= Promise.all([
        text("instance/service-accounts/default/email"),
        text("project/project-id"),
      ]).then(([email, projectId]) => ({
        ...(email ? { member: `serviceAccount:${email}` } : {}),
        ...(projectId ? { projectId } : {}),
      }))),
  };
}
