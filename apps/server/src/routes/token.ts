/**
 * `POST /v1/token`: the token broker — a delegated access token for apps that keep Google's own
 * clients.
 *
 * @module
 */

import { normalizeScopes } from "@dwd/auth";
import { json } from "../_internal/reply.ts";
import type { AppContext, Handler } from "../pipeline.ts";

/**
 * The token broker's handler, by operationId.
 *
 * @param ctx the app's context
 * @returns the handlers
 */
export function tokenHandlers(ctx: AppContext): Record<string, Handler> {
  return {
    async token(_c, { body, state }) {
      const b = body as { subject: string; scopes: string[] };
      const scopes = normalizeScopes(b.scopes);
      state.record.scopes = scopes;
      const token = await ctx.options.tokenSource.getToken({
        subject: b.subject.toLowerCase(),
        scopes,
      });
      return json({
        accessToken: token.accessToken,
        tokenType: "Bearer",
        expiresAt: new Date(token.expiresAt).toISOString(),
        expiresIn: Math.max(0, Math.floor((token.expiresAt - ctx.now()) / 1000)),
        subject: b.subject.toLowerCase(),
        scopes,
      });
    },
  };
}
