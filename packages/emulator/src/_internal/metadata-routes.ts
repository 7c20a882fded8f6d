import { Hono } from "hono";
import type { Context } from "hono";
import type { EmulatorContext } from "./context.ts";
import { httpDate } from "./headers.ts";
import type { IamState } from "./iam-state.ts";
import { projectNumber } from "./iam-state.ts";
import { googleIssuer, idTokenJwks, idTokenPemCerts, signIdToken } from "./id-token-issuer.ts";
import { issueToken } from "./issue-token.ts";

/** The scopes a default Compute Engine / Cloud Run service account's token carries. */
const defaultScopes = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/userinfo.email",
];

function headers(nowMs: number, type: string): Headers {
  return new Headers({
    "Metadata-Flavor": "Google",
    "Content-Type": type,
    Date: httpDate(nowMs),
    Server: "Metadata Server for VM",
  });
}

function text(body: string, nowMs: number): Response {
  return new Response(body, { status: 200, headers: headers(nowMs, "application/text") });
}

function json(body: unknown, nowMs: number): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: headers(nowMs, "application/json"),
  });
}

/** Google's metadata server answers a missing audience with a 400 and this line. */
function badRequest(detail: string, nowMs: number): Response {
  return new Response(`${detail}\n`, {
    status: 400,
    headers: headers(nowMs, "text/plain; charset=utf-8"),
  });
}

function page(status: 403 | 404, path: string, nowMs: number): Response {
  const why =
    status === 403
      ? `Your client does not have permission to get URL <code>${path}</code> from this server. Missing Metadata-Flavor:Google header.`
      : `The requested URL <code>${path}</code> was not found on this server.`;
  const body = `<!DOCTYPE html>\n<html lang=en>\n<title>Error ${status}</title>\n<p><b>${status}.</b> <ins>That’s an error.</ins>\n<p>${why} <ins>That’s all we know.</ins>\n`;
  return new Response(body, { status, headers: headers(nowMs, "text/html; charset=UTF-8") });
}

/**
 * The metadata server of an emulated Cloud Run / GCE instance under `/computeMetadata/v1`: the token,
 * email and scopes of the scenario's `metadata.serviceAccount` (as `default` and by email), and the
 * project ID. Like Google's, it answers only requests with `Metadata-Flavor: Google` (else 403), and
 * every answer carries that header.
 */
export function metadataRoutes(ctx: EmulatorContext, iam: IamState): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    const flavor = c.req.header("metadata-flavor");
    const legacy = c.req.header("x-google-metadata-request");
    if (flavor !== "Google" && legacy?.toLowerCase() !== "true")
      return page(403, c.req.path, ctx.clock());
    await next();
  });
  const account = () =>
    iam.metadataAccount === undefined ? undefined : ctx.store.accounts.get(iam.metadataAccount);
  const projectId = () => account()?.projectId ?? "dwd-emulator";
  const recursive = (c: Context) => c.req.query("recursive")?.toLowerCase() === "true";

  app.get("/v1", () => text("instance/\nproject/\n", ctx.clock()));
  app.get("/v1/", () => text("instance/\nproject/\n", ctx.clock()));
  app.get("/v1/instance", () =>
    text("attributes/\nhostname\nid\nservice-accounts/\nzone\n", ctx.clock()),
  );
  app.get("/v1/instance/", () =>
    text("attributes/\nhostname\nid\nservice-accounts/\nzone\n", ctx.clock()),
  );
  app.get("/v1/project/project-id", () => text(projectId(), ctx.clock()));
  app.get("/v1/project/numeric-project-id", async () =>
    text(await projectNumber(projectId()), ctx.clock()),
  );

  const describe = (email: string) => ({ aliases: ["default"], email, scopes: defaultScopes });
  app.get("/v1/instance/service-accounts/", (c) => {
    const a = account();
    const nowMs = ctx.clock();
    if (a === undefined) return recursive(c) ? json({}, nowMs) : text("", nowMs);
    return recursive(c)
      ? json({ default: describe(a.email), [a.email]: describe(a.email) }, nowMs)
      : text(`default/\n${a.email}/\n`, nowMs);
  });
  const accountRoute = async (c: Context): Promise<Response> => {
    const nowMs = ctx.clock();
    const a = account();
    const id = c.req.param("id") ?? "";
    if (a === undefined || (id !== "default" && id.toLowerCase() !== a.email))
      return page(404, c.req.path, nowMs);
    switch (c.req.param("leaf") ?? "") {
      case "":
        return recursive(c)
          ? json(describe(a.email), nowMs)
          : text("aliases\nemail\nidentity\nscopes\ntoken\n", nowMs);
      case "email":
        return text(a.email, nowMs);
      case "aliases":
        return text("default\n", nowMs);
      case "scopes":
        return text(`${defaultScopes.join("\n")}\n`, nowMs);
      case "token": {
        const asked = c.req.query("scopes");
        const scopes =
          asked === undefined
            ? defaultScopes
            : [...new Set(asked.split(/[\s,]+/).filter((s) => s !== ""))];
        return json(
          issueToken(
            ctx,
            { accountEmail: a.email, clientId: a.clientId, subject: null, scopes },
            nowMs,
          ),
          nowMs,
        );
      }
      case "identity": {
        // An ID token for `audience` (Cloud Run, GKE and GCE hand workloads these), signed by the key
        // the emulator serves at Google's certificate endpoints (googleCertRoutes).
        const audience = c.req.query("audience") ?? "";
        if (audience === "") return badRequest("non-empty audience parameter required", nowMs);
        const format = c.req.query("format") === "full" ? "full" : "standard";
        const token = await signIdToken(ctx, {
          audience,
          email: a.email,
          clientId: a.clientId,
          format,
        });
        return text(token, nowMs);
      }
      default:
        return page(404, c.req.path, nowMs);
    }
  };
  // "default/" (a directory, with its trailing slash) and "default/email", "default/token", …
  app.get("/v1/instance/service-accounts/:id/", accountRoute);
  app.get("/v1/instance/service-accounts/:id/:leaf?", accountRoute);
  app.all("*", (c) => page(404, c.req.path, ctx.clock()));
  return app;
}

/**
 * Google's public endpoints for checking the metadata server's ID tokens, on the emulator's origin:
 * `/oauth2/v3/certs` (JWKS, as `https://www.googleapis.com/oauth2/v3/certs`), `/oauth2/v1/certs` (PEM
 * certificates by key ID) and `/.well-known/openid-configuration` (the discovery document of
 * `https://accounts.google.com`, its `jwks_uri` pointing at this origin). No Metadata-Flavor needed.
 */
export function googleCertRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const certHeaders = (nowMs: number): Record<string, string> => ({
    "Content-Type": "application/json; charset=UTF-8",
    "Cache-Control": "public, max-age=21600, must-revalidate, no-transform",
    Date: httpDate(nowMs),
    Expires: httpDate(nowMs + 21_600_000),
  });
  app.get("/oauth2/v3/certs", async () => {
    const nowMs = ctx.clock();
    return new Response(JSON.stringify(await idTokenJwks(ctx)), { headers: certHeaders(nowMs) });
  });
  app.get("/oauth2/v1/certs", async () => {
    const nowMs = ctx.clock();
    return new Response(JSON.stringify(await idTokenPemCerts(ctx)), {
      headers: certHeaders(nowMs),
    });
  });
  app.get("/.well-known/openid-configuration", () => {
    const base = ctx.baseUrl();
    const doc = {
      issuer: googleIssuer,
      authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth",
      token_endpoint: `${base}/token`,
      userinfo_endpoint: "https://openidconnect.googleapis.com/v1/userinfo",
      revocation_endpoint: "https://oauth2.googleapis.com/revoke",
      jwks_uri: `${base}/oauth2/v3/certs`,
      response_types_supported: ["code", "token", "id_token", "code token", "code id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid", "email", "profile"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      claims_supported: ["aud", "email", "email_verified", "exp", "iat", "iss", "sub", "azp"],
      grant_types_supported: [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
      ],
    };
    return new Response(JSON.stringify(doc), { headers: certHeaders(ctx.clock()) });
  });
  return app;
}
