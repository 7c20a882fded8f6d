// Property: no key material, access token or assertion reaches what an error shows — its message, hint,
// toString(), JSON.stringify() or util.inspect() (which prints `cause`) — whichever input path it came
// by: loadKey() from a path, text, an object, bytes or GOOGLE_APPLICATION_CREDENTIALS; getToken()
// against an endpoint that echoes the request, the token or the assertion in its error; and
// diagnoseTokenError() on a body that holds them. RSA keys are made once; runs are few (the machine is
// busy) and the timeout generous.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { DwdError, createTokenSource, diagnoseTokenError, loadKey } from "../src/index.ts";
import type { FetchLike, ServiceAccountKey } from "../src/index.ts";
import { generateRsa, jsonKey, keyChunks, tempDir } from "./helpers.ts";

const TIMEOUT = 300_000;
const RUNS = 30;
const EMAIL = "prop@test-project.iam.gserviceaccount.com";
const CAL = "https://www.googleapis.com/auth/calendar";

let pems: string[] = [];
let signingKey: ServiceAccountKey;
const dir = tempDir();

beforeAll(async () => {
  pems = [(await generateRsa(1024)).pem, (await generateRsa(2048)).pem];
  signingKey = await loadKey(jsonKey(pems[0]!));
}, TIMEOUT);

/** Everything an error shows, by every path a program prints it. */
function shown(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { hint?: string };
  return [
    e.message,
    e.hint ?? "",
    String(e),
    e.toString(),
    JSON.stringify(e),
    inspect(e, { depth: 8 }),
  ].join("\n");
}

/** Fails when any secret (or a 16-character piece of a long one) appears in what the error shows. */
function expectNoSecret(error: unknown, secrets: readonly string[]): void {
  if (error === undefined) return;
  expect(error).toBeInstanceOf(DwdError);
  const text = shown(error);
  for (const secret of secrets) {
    const pieces = secret.length > 32 ? keyChunks(secret) : [secret];
    for (const piece of pieces)
      if (text.includes(piece)) throw new Error(`secret piece "${piece}" shown in:\n${text}`);
  }
}

async function thrown(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** PEM text around random DER-ish bytes, or a real key, possibly mangled, JSON-escaped or on one line. */
const keyMaterial: fc.Arbitrary<{ text: string; body: string }> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0, 1).map((i) => ({ real: i })),
      fc.uint8Array({ minLength: 200, maxLength: 1300 }).map((bytes) => ({ bytes })),
    ),
    fc.constantFrom(
      "PRIVATE KEY",
      "RSA PRIVATE KEY",
      "EC PRIVATE KEY",
      "OPENSSH PRIVATE KEY",
      "ENCRYPTED PRIVATE KEY",
      "PRIVATE KEX",
    ),
    fc.constantFrom("lines", "one-line", "escaped", "no-armour"),
    fc.nat(),
  )
  .map(([source, label, shape, cut]) => {
    const body =
      "real" in source
        ? pems[source.real]!.replace(/-----[^-]+-----/g, "").replace(/\s/g, "")
        : btoa(String.fromCharCode(...source.bytes));
    const lines = body.replace(/.{64}/g, "$&\n").trim();
    const armoured = `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
    const text =
      shape === "lines"
        ? armoured
        : shape === "one-line"
          ? armoured.replace(/\n/g, "")
          : shape === "escaped"
            ? armoured.replace(/\n/g, "\\n")
            : lines;
    // Sometimes cut short, as a truncated paste would be.
    return {
      text: cut % 3 === 0 ? text.slice(0, Math.max(200, text.length - (cut % 400))) : text,
      body,
    };
  });

describe("property: no key material in any error of loadKey()", () => {
  it(
    "loadKey() from text, a file, an object, bytes and GOOGLE_APPLICATION_CREDENTIALS shows no key material",
    async () => {
      let file = 0;
      await fc.assert(
        fc.asyncProperty(keyMaterial, fc.boolean(), async ({ text, body }, withEmail) => {
          const options = withEmail ? { email: EMAIL } : {};
          const json = JSON.stringify({
            ...jsonKey(text),
            client_email: withEmail ? EMAIL : undefined,
          });
          const path = join(dir, `key-${file++}.pem`);
          writeFileSync(path, text);
          const attempts = [
            () => loadKey(text, options),
            () => loadKey(json, options),
            () => loadKey(path, options),
            () => loadKey(JSON.parse(json) as Record<string, unknown>, options),
            () => loadKey(new TextEncoder().encode(text), options),
            () => loadKey(undefined, { ...options, env: { GOOGLE_APPLICATION_CREDENTIALS: text } }),
            () => loadKey(undefined, { ...options, env: { GOOGLE_APPLICATION_CREDENTIALS: json } }),
            () =>
              loadKey(undefined, {
                ...options,
                env: { GOOGLE_APPLICATION_CREDENTIALS: `${text}\n` },
              }),
          ];
          for (const attempt of attempts) expectNoSecret(await thrown(attempt), [body]);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

/** Opaque (non-Google-shaped) and Google-shaped access tokens. */
const accessToken = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_~-]{24,80}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{40,120}$/).map((s) => `ya29.${s}`),
);

type Echo = "form" | "assertion" | "token" | "bearer" | "json-envelope" | "network";

describe("property: no token or assertion in any error of getToken()", () => {
  it(
    "getToken() against an endpoint that echoes the request, the assertion or the last token shows none of them",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          accessToken,
          fc.constantFrom<Echo>("form", "assertion", "token", "bearer", "json-envelope", "network"),
          fc.constantFrom(400, 401, 403, 500, 503, 200),
          fc.constantFrom(
            "invalid_grant",
            "unauthorized_client",
            "server_error",
            "weird_error",
            "",
          ),
          async (token, echo, status, oauthError) => {
            const assertions: string[] = [];
            let calls = 0;
            const fetch: FetchLike = (_url, init) => {
              const form = init?.body ?? "";
              const assertion = new URLSearchParams(form).get("assertion") ?? "";
              assertions.push(assertion);
              if (++calls === 1)
                return Promise.resolve(Response.json({ access_token: token, expires_in: 3599 }));
              const said =
                echo === "form"
                  ? `bad request: ${form}`
                  : echo === "assertion"
                    ? `cannot verify ${assertion}`
                    : echo === "token"
                      ? `token ${token} was revoked`
                      : `Authorization: Bearer ${token}`;
              if (echo === "network")
                return Promise.reject(
                  new TypeError(`socket hang up while sending ${form}`, {
                    cause: { body: form, token },
                  }),
                );
              const body =
                echo === "json-envelope"
                  ? {
                      error: {
                        code: status,
                        message: `${said} / ${assertion}`,
                        status: "INVALID_ARGUMENT",
                        details: [{ token, assertion }],
                      },
                    }
                  : status === 200
                    ? { echo: said, request: form }
                    : {
                        error: oauthError || undefined,
                        error_description: said,
                        debug: { form, token },
                      };
              return Promise.resolve(Response.json(body, { status }));
            };
            // Retried at once: the error after the retries must be as clean as the first one.
            const source = createTokenSource(signingKey, {
              fetch,
              env: {},
              retry: { sleep: () => Promise.resolve() },
            });
            await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
            source.invalidate({ subject: "ana@example.com", scopes: [CAL] });
            const error = await thrown(() =>
              source.getToken({ subject: "ana@example.com", scopes: [CAL] }),
            );
            expect(error).toBeDefined();
            expectNoSecret(error, [
              token,
              ...assertions.map((a) => a.split(".")[2]!),
              ...assertions,
            ]);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

describe("property: no secret in what diagnoseTokenError() returns", () => {
  it(
    "diagnoseTokenError() on bodies holding key material, Google-shaped tokens and assertions shows none of them",
    async () => {
      const segment = fc.stringMatching(/^[A-Za-z0-9_-]{20,200}$/);
      const assertion = fc
        .tuple(segment, segment)
        .map(([p, s]) => `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${p}.${s}`);
      const token = fc.stringMatching(/^[A-Za-z0-9_-]{30,100}$/).map((s) => `ya29.${s}`);
      const secret = fc.oneof(
        assertion,
        token,
        keyMaterial.map((k) =>
          k.text.includes("-----BEGIN") ? k.text : `-----BEGIN PRIVATE KEY-----\n${k.text}`,
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          secret,
          fc.integer({ min: 400, max: 599 }),
          fc.constantFrom("invalid_grant", "invalid_request", "access_denied", "x"),
          fc.nat(300),
          (s, status, error, pad) => {
            const filler = "x".repeat(pad);
            const bodies: unknown[] = [
              { error, error_description: `${filler}${s}` },
              `${filler}${s}`,
              { error: { message: `${filler}${s}`, status: "PERMISSION_DENIED" } },
              {
                error,
                error_description: "Invalid JWT Signature.",
                nested: [{ deep: { deeper: s } }],
              },
            ];
            const secrets = [s.replace(/-----[^-]+-----/g, "").replace(/\\n|\s/g, "")];
            for (const body of bodies) {
              const diagnosis = diagnoseTokenError(
                { status, body, date: null },
                { key: { clientEmail: EMAIL }, subject: "ana@example.com", scopes: [CAL] },
              );
              expectNoSecret(diagnosis, secrets);
            }
            expectNoSecret(
              diagnoseTokenError(
                { networkError: new TypeError(`failed: ${s}`) },
                { key: { clientEmail: EMAIL }, scopes: [CAL] },
              ),
              secrets,
            );
            return Promise.resolve();
          },
        ),
        { numRuns: RUNS * 3 },
      );
    },
    TIMEOUT,
  );
});
