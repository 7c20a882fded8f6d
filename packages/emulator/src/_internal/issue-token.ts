import { randomBytes, toBase64Url } from "./base64.ts";
import type { EmulatorContext } from "./context.ts";

/** What a new access token stands for. */
export interface TokenGrant {
  accountEmail: string;
  clientId: string;
  subject: string | null;
  scopes: string[];
}

/** Records a new access token (as the token endpoint does) and returns Google's success body. */
export function issueToken(
  ctx: EmulatorContext,
  grant: TokenGrant,
  nowMs: number,
): { access_token: string; expires_in: number; token_type: "Bearer" } {
  // Expired tokens go first (in issue order, no scan), so the store stays bounded by live tokens.
  ctx.store.tokenExpiry.prune(ctx.store.tokens, nowMs);
  const accessToken = `ya29.emu.${toBase64Url(randomBytes(32))}`;
  const expiresAt = nowMs + ctx.tokenLifetimeSeconds * 1000;
  ctx.store.tokens.set(accessToken, { ...grant, expiresAt });
  ctx.store.tokenExpiry.add(accessToken, expiresAt);
  ctx.stats.tokensIssued++;
  return { access_token: accessToken, expires_in: ctx.tokenLifetimeSeconds, token_type: "Bearer" };
}

/** The bearer token of a request: from `Authorization`, else the `access_token` query parameter. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header !== null) return /^\s*bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "";
  return new URL(request.url).searchParams.get("access_token") ?? undefined;
}
