// A caller that is a service-account key: a cloud-platform token from the jwt-bearer grant, through a
// token source (its cache, single flight and token-endpoint diagnoses).
import type { CallerCredentials, CallerCredentialsOptions } from "../caller-credentials.ts";
import type { ServiceAccountKey } from "../service-account-key.ts";
import { createTokenSource } from "../token-source.ts";

const CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

export function serviceAccountCaller(
  key: ServiceAccountKey,
  source: string,
  options: CallerCredentialsOptions,
  projectId: string | undefined,
): CallerCredentials {
  const tokens = createTokenSource(key, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const member = `serviceAccount:${key.clientEmail}`;
  // The project ID of a service account is in its email: name@PROJECT.iam.gserviceaccount.com.
  const project = projectId ?? /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(key.clientEmail)?.[1];
  return {
    kind: "service_account",
    source,
    member,
    ...(project ? { projectId: project } : {}),
    getToken: async () => (await tokens.getToken({ scopes: [CLOUD_PLATFORM] })).accessToken,
    invalidate: () => tokens.invalidate({ scopes: [CLOUD_PLATFORM] }),
    describe: () => Promise.resolve({ member, ...(project ? { projectId: project } : {}) }),
  };
}
