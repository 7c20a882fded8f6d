// Hostile token endpoints on real sockets, with the runtime's own fetch (it follows redirects and
// inflates gzip by default): a redirect never carries an assertion or a token onward, and an answer
// that inflates without end is cut off at a bound on its decoded bytes, in bounded memory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DelegationError,
  KeylessError,
  createIamSigner,
  createTokenSource,
  loadKey,
} from "../src/index.ts";
import type { CallerCredentials, ServiceAccountKey } from "../src/index.ts";
import { generateRsa, gzipBomb, jsonKey, listen } from "./helpers.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const BOT = "bot@test-project.iam.gserviceaccount.com";

let key: ServiceAccountKey;
let bomb: Buffer;
/** Where a redirect points: it must never receive anything. */
let elsewhere: Awaited<ReturnType<typeof listen>>;
let redirecting: Awaited<ReturnType<typeof listen>>;
let bombing: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  key = await loadKey(jsonKey((await generateRsa()).pem));
  bomb = await gzipBomb();
  elsewhere = await listen((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ access_token: "ya29.stolen", expires_in: 3600, signedJwt: "a.b.c" }));
  });
  redirecting = await listen((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${elsewhere.url}${req.url ?? "/"}` }).end();
  });
  bombing = await listen((req, res) => {
    req.resume();
    res.writeHead(200, {
      "content-type": "application/json",
      "content-encoding": "gzip",
      "content-length": String(bomb.length),
    });
    res.end(bomb);
  });
});

afterAll(async () => {
  await Promise.all([elsewhere.close(), redirecting.close(), bombing.close()]);
});

describe("redirects", () => {
  it("getToken() refuses a 307 from the token endpoint and never re-posts the assertion", async () => {
    const tokens = createTokenSource(key, { tokenUri: `${redirecting.url}/token`, env: {} });
    const error = await tokens
      .getToken({ subject: "ana@example.com", scopes: [CAL] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect((error as DelegationError).code).toBe("token_endpoint_redirected");
    expect((error as DelegationError).message).toBe(
      `Cannot get a token for "ana@example.com": the token endpoint "${redirecting.url}/token" answered 307, a redirect to "${elsewhere.url}/token", which dwd does not follow with a signed assertion`,
    );
    expect((error as DelegationError).hint).toMatch(/^Set the token URI/);
    expect(redirecting.received).toEqual(["POST /token"]);
    expect(elsewhere.received).toEqual([]);
  });

  it("createIamSigner() refuses a 307 from signJwt and never sends the bearer token on", async () => {
    const caller: CallerCredentials = {
      kind: "metadata",
      source: "test",
      getToken: () => Promise.resolve("ya29.caller-token"),
      invalidate: () => {},
      describe: () => Promise.resolve({}),
    };
    const signer = createIamSigner({
      serviceAccount: BOT,
      credentials: caller,
      iamRoot: redirecting.url,
      env: {},
    });
    const error = await signer
      .sign({ iss: BOT, aud: "x", iat: 0, exp: 1, scope: CAL })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeylessError);
    expect((error as KeylessError).code).toBe("iam_error");
    expect((error as KeylessError).message).toBe(
      `Cannot sign an assertion for "${BOT}": the IAM Credentials API "${redirecting.url}" answered 307, a redirect to "${elsewhere.url}/v1/projects/-/serviceAccounts/${BOT}:signJwt", which dwd does not follow with a bearer token`,
    );
    expect(elsewhere.received).toEqual([]);
  });
});

describe("gzip bombs", () => {
  it("getToken() stops reading a 1 GiB gzip bomb at 1 MiB decoded, in bounded memory", async () => {
    const tokens = createTokenSource(key, { tokenUri: `${bombing.url}/token`, env: {} });
    const before = process.memoryUsage();
    const error = await tokens
      .getToken({ subject: "ana@example.com", scopes: [CAL] })
      .catch((e: unknown) => e);
    const after = process.memoryUsage();
    expect(error).toBeInstanceOf(DelegationError);
    expect((error as DelegationError).code).toBe("token_endpoint_error");
    expect((error as DelegationError).message).toBe(
      `Cannot get a token for "ana@example.com": the token endpoint's answer (200) is larger than 1,048,576 bytes once decoded; a token answer is a few KB`,
    );
    // The bomb inflates to 1,024 MiB; reading it whole would grow the heap by at least that.
    const grownMiB = (after.rss - before.rss) / 2 ** 20;
    expect(grownMiB).toBeLessThan(128);
    expect(
      (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20,
    ).toBeLessThan(64);
  });
});
