// TEMPORARY shim until @dwd/auth lands; replaced by re-exports from "@dwd/auth".
export interface AccessToken { accessToken: string; expiresAt: number; subject?: string; scopes: string[] }
export interface TokenSource {
  key: { clientEmail: string; clientId?: string };
  getToken(options: { subject?: string; scopes: string[] }): Promise<AccessToken>;
}
export class DwdError extends Error {
  code: string;
  hint?: string;
  constructor(message: string, options: { code: string; hint?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.hint = options.hint;
  }
}
export function resolveEndpoints(options: { env?: Record<string, string | undefined>; apiRoot?: string }): { calendarRoot: string } {
  if (options.apiRoot !== undefined) return { calendarRoot: options.apiRoot };
  const host = options.env?.["DWD_EMULATOR_HOST"];
  if (host) return { calendarRoot: `http://${host}/calendar/v3` };
  return { calendarRoot: "https://www.googleapis.com/calendar/v3" };
}
