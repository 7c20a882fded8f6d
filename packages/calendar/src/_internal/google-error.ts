/** Google's error envelope (legacy "apiary" form plus the front end's `status`/`details`). */
export interface GoogleErrorBody {
  error: {
    code?: number | undefined;
    message?: string | undefined;
    status?: string | undefined;
    errors?:
      | {
          domain?: string | undefined;
          reason?: string | undefined;
          message?: string | undefined;
          location?: string | undefined;
          locationType?: string | undefined;
          extendedHelp?: string | undefined;
        }[]
      | undefined;
    details?:
      | {
          "@type"?: string | undefined;
          reason?: string | undefined;
          domain?: string | undefined;
          metadata?: Record<string, string> | undefined;
          links?: { description?: string | undefined; url?: string | undefined }[] | undefined;
        }[]
      | undefined;
  };
}

/** Parses a response body as Google's error envelope; `undefined` when it is not one. */
export function parseGoogleError(text: string): GoogleErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  return value as GoogleErrorBody;
}
