/** Google's error envelope (legacy "apiary" form plus the front end's `status`/`details`). */
export interface GoogleErrorBody {
  error: {
    code?: number;
    message?: string;
    status?: string;
    errors?: {
      domain?: string;
      reason?: string;
      message?: string;
      location?: string;
      locationType?: string;
      extendedHelp?: string;
    }[];
    details?: {
      "@type"?: string;
      reason?: string;
      domain?: string;
      metadata?: Record<string, string>;
      links?: { description?: string; url?: string }[];
    }[];
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
