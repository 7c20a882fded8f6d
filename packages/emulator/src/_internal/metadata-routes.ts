import { Hono } from "hono";
import type { Context } from "hono";
import type { EmulatorContext } from "./context.ts";
import { httpDate } from "./headers.ts";
import type { IamState } from "./iam-state.ts";
import { projectNumber } from "./iam-state.ts";
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
  const accountRoute = (c: Context): Response => {
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
