/**
 * `loadKey()`: service-account keys from JSON (file, text, object or `GOOGLE_APPLICATION_CREDENTIALS`),
 * PKCS#12 and PEM, imported into WebCrypto for RS256.
 *
 * @module
 */

import { isDerSequence, looksLikeDer, pkcs1ToPkcs8, pkcs8Algorithm } from "./_internal/asn1.ts";
import { readEnv } from "./_internal/env.ts";
import { findPrivateKeyPem, hasPemArmour } from "./_internal/pem.ts";
import { p12ToPkcs8 } from "./_internal/p12.ts";
import { readFileBytes } from "./_internal/read-file.node.ts";
import { KeyError } from "./errors.ts";
import { containsSecret } from "./redact.ts";
import type { KeyErrorCode } from "./errors.ts";
import { GOOGLE_TOKEN_URI } from "./service-account-key.ts";
import type { ServiceAccountKey } from "./service-account-key.ts";

/**
 * Where a key comes from: a file path, JSON or PEM text, `.p12`/PEM bytes, a parsed JSON key, or
 * `undefined` for `GOOGLE_APPLICATION_CREDENTIALS`.
 */
export type KeySource = string | Uint8Array | Record<string, unknown> | undefined;

/** Options of {@link loadKey}. */
export interface LoadKeyOptions {
  /** The service-account email: required for .p12 and PEM keys, which hold none. */
  email?: string | undefined;
  /** The .p12 password; Google's is `"notasecret"` (the default). */
  password?: string | undefined;
  /** The numeric OAuth2 client ID, for Admin-console hints (a .p12/PEM key holds none). */
  clientId?: string | undefined;
  /** Overrides the key's `token_uri`. */
  tokenUri?: string | undefined;
  /** Environment to read `GOOGLE_APPLICATION_CREDENTIALS` from; defaults to the runtime's. */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * The largest key `loadKey()` reads, in bytes (64 KiB). A JSON key is about 2.3 KB, a .p12 about 2.5 KB
 * and a PEM key 1.7 KB; anything larger is not a key, and `/dev/zero` would never end.
 */
export const MAX_KEY_BYTES = 65_536;

/**
 * The most PKCS#12 iterations `loadKey()` runs, for the MAC and for each encryption (100,000). Google's
 * .p12 files use 1,024 or 2,048 and OpenSSL 3 uses 2,048; a file naming more is refused before any
 * key derivation starts (2^31 - 1 would keep a CPU busy for most of an hour).
 */
export const MAX_P12_ITERATIONS = 100_000;

const CREATE_JSON_KEY =
  "Create a JSON key: Cloud console → IAM & Admin → Service accounts → the account → Keys → Add key → Create new key → JSON";

const OTHER_CREDENTIALS: Record<string, string> = {
  installed: 'an OAuth client secret (an "installed" app)',
  web: 'an OAuth client secret (a "web" app)',
  authorized_user: "user credentials (from gcloud auth application-default login)",
  external_account: "a workload identity federation configuration (external_account)",
  external_account_authorized_user:
    "workforce identity user credentials (external_account_authorized_user)",
  impersonated_service_account: "an impersonated service-account configuration",
  gdch_service_account: "a Google Distributed Cloud Hosted service-account key",
};

interface Context {
  label: string;
  options: LoadKeyOptions;
}

function fail(
  ctx: Context,
  code: KeyErrorCode,
  what: string,
  hint: string,
  extra: { field?: string | undefined; cause?: unknown } = {},
): never {
  throw new KeyError(code, `Cannot load key "${ctx.label}": ${what}`, {
    hint,
    source: ctx.label,
    ...extra,
  });
}

const NOT_A_KEY_HINT =
  "Pass the service-account JSON key as downloaded from the Cloud console (or a .p12/PEM key with its email)";

function tooLarge(ctx: Context, size: number, what: string): never {
  return fail(
    ctx,
    "key_too_large",
    `${what} ${size.toLocaleString("en-US")} bytes, but a service-account key is a few KB (dwd reads at most ${MAX_KEY_BYTES.toLocaleString("en-US")})`,
    `Pass the key file itself (JSON, .p12 or PEM), not another file. ${CREATE_JSON_KEY}`,
  );
}

/** Key text (not a path) decided by content: JSON starts with "{", PEM has an armour line. */
function isKeyText(text: string): boolean {
  return text.startsWith("{") || hasPemArmour(text);
}

/**
 * Loads a service-account key and imports its private key into WebCrypto as a non-extractable
 * RSASSA-PKCS1-v1_5/SHA-256 key.
 *
 * @param source a file path (JSON, .p12, PEM), JSON or PEM text, bytes, a parsed JSON key, or
 *   `undefined` to read the path from `GOOGLE_APPLICATION_CREDENTIALS`
 * @param options email (required for .p12/PEM), .p12 password, client ID, token URI, env
 * @returns the key, ready for {@link createTokenSource}
 * @throws {KeyError} `key_source_missing`, `key_file_not_found`, `key_file_unreadable`, `key_not_json`,
 *   `wrong_credential_type`, `key_missing_field`, `key_unparseable`, `key_encrypted`, `key_not_rsa`,
 *   `p12_email_required`, `pem_email_required`, `p12_wrong_password`, `p12_truncated`, `p12_invalid`,
 *   `p12_no_private_key`, `p12_unsupported_runtime` (node-forge, needed for .p12 only, cannot be imported)
 * @example
 * ```ts
 * const key = await loadKey("service-account.json");
 * const legacy = await loadKey("key.p12", { email: "bot@project.iam.gserviceaccount.com" });
 * ```
 */
export async function loadKey(
  source?: KeySource,
  options: LoadKeyOptions = {},
): Promise<ServiceAccountKey> {
  if (source === undefined) {
    const value = readEnv("GOOGLE_APPLICATION_CREDENTIALS", options.env);
    if (!value) {
      throw new KeyError(
        "key_source_missing",
        "Cannot load a key: no key was given and GOOGLE_APPLICATION_CREDENTIALS is not set",
        {
          hint: "Pass a service-account key file, or set GOOGLE_APPLICATION_CREDENTIALS to the path of a service-account JSON key",
        },
      );
    }
    // The variable should name a file; when it holds the key itself, use it, but never echo it.
    return loadString(value, options, "the key text given in GOOGLE_APPLICATION_CREDENTIALS");
  }
  if (source instanceof Uint8Array)
    return loadBytes(source, { label: "the key bytes", options }, false);
  if (typeof source === "string") return loadString(source, options);
  if (typeof source === "object" && source !== null && !Array.isArray(source)) {
    return loadJson(source, { label: "the JSON key", options });
  }
  throw new TypeError(
    "loadKey(): source must be a path, JSON or PEM text, bytes, a parsed JSON key, or undefined",
  );
}

/** A string is key text when its content says so, else a path; `textLabel` names key text in messages. */
function loadString(
  source: string,
  options: LoadKeyOptions,
  textLabel?: string,
): Promise<ServiceAccountKey> {
  const trimmed = source.trim();
  if (isKeyText(trimmed)) {
    const ctx = {
      label: textLabel ?? (trimmed.startsWith("{") ? "the JSON key" : "the PEM key"),
      options,
    };
    const size = new TextEncoder().encode(trimmed).length;
    if (size > MAX_KEY_BYTES) return tooLarge(ctx, size, "the key text is");
    return trimmed.startsWith("{") ? loadJsonText(trimmed, ctx) : loadPem(trimmed, ctx);
  }
  if (trimmed === "")
    return fail(
      { label: "", options },
      "key_file_not_found",
      "the path is empty",
      "Pass the path of a service-account key file",
    );
  // Never echo key material as if it were a path: a mangled key must not end up in a message.
  if (looksLikeKeyMaterial(trimmed))
    return fail(
      { label: textLabel ?? "the key text", options },
      "key_not_json",
      "it is neither JSON, PEM nor PKCS#12",
      NOT_A_KEY_HINT,
    );
  return loadFile(source, { label: source, options });
}

/** Text no file path holds: line breaks or other control characters, PEM dashes, or a secret's shape. */
function looksLikeKeyMaterial(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]|-----|PRIVATE KEY/.test(text) || containsSecret(text);
}

async function loadFile(path: string, ctx: Context): Promise<ServiceAccountKey> {
  const read = await readFileBytes(path, MAX_KEY_BYTES);
  if (!read.ok) {
    if ("kind" in read) {
      return fail(
        ctx,
        "key_not_a_file",
        `it is a ${read.kind}, not a regular file`,
        "Pass the path of the key file itself; a directory, FIFO or device cannot be read as a key",
      );
    }
    if ("size" in read) return tooLarge(ctx, read.size, "the file is");
    if (read.code === "ENOENT" || read.code === "ENOTDIR") {
      fail(
        ctx,
        "key_file_not_found",
        "the file does not exist",
        "Check the path; a service-account key is created in Cloud console → IAM & Admin → Service accounts → the account → Keys",
      );
    }
    const why =
      read.code === "EACCES" || read.code === "EPERM"
        ? "permission denied"
        : `the file cannot be read (${read.code})`;
    fail(
      ctx,
      "key_file_unreadable",
      why,
      "Pass the path of a readable key file (check its permissions)",
    );
  }
  return loadBytes(read.bytes, ctx, /\.(p12|pfx)$/i.test(path));
}

async function loadBytes(
  bytes: Uint8Array,
  ctx: Context,
  p12Name: boolean,
): Promise<ServiceAccountKey> {
  if (bytes.length > MAX_KEY_BYTES) return tooLarge(ctx, bytes.length, "the key is");
  if (p12Name || looksLikeDer(bytes)) return loadP12(bytes, ctx);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true })
      .decode(bytes)
      .replace(/^\uFEFF/, "")
      .trim();
  } catch {
    return fail(ctx, "key_not_json", "it is neither JSON, PEM nor PKCS#12", NOT_A_KEY_HINT);
  }
  if (text.startsWith("{")) return loadJsonText(text, ctx);
  if (hasPemArmour(text)) return loadPem(text, ctx);
  return fail(ctx, "key_not_json", "it is neither JSON, PEM nor PKCS#12", NOT_A_KEY_HINT);
}

function loadJsonText(text: string, ctx: Context): Promise<ServiceAccountKey> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which may be key material: never pass it on.
    return fail(
      ctx,
      "key_not_json",
      "the text is not valid JSON",
      "Pass the service-account JSON key unchanged, as downloaded from the Cloud console",
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail(
      ctx,
      "key_not_json",
      "the JSON is not an object",
      "Pass the service-account JSON key unchanged, as downloaded from the Cloud console",
    );
  }
  return loadJson(json as Record<string, unknown>, ctx);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

async function loadJson(json: Record<string, unknown>, ctx: Context): Promise<ServiceAccountKey> {
  const type = str(json["type"]);
  const other =
    type && type !== "service_account"
      ? type
      : "installed" in json
        ? "installed"
        : "web" in json
          ? "web"
          : undefined;
  if (other !== undefined) {
    const what = OTHER_CREDENTIALS[other] ?? `a credential of type "${other}"`;
    fail(
      ctx,
      "wrong_credential_type",
      `it is ${what}, not a service-account key`,
      `Domain-wide delegation needs a service-account key. ${CREATE_JSON_KEY}`,
    );
  }
  const clientEmail = str(json["client_email"]) ?? ctx.options.email;
  if (!clientEmail) {
    fail(
      ctx,
      "key_missing_field",
      'the service-account key has no "client_email"',
      `Use the JSON key unchanged as downloaded, or pass the email separately. ${CREATE_JSON_KEY}`,
      { field: "client_email" },
    );
  }
  const pem = json["private_key"];
  if (typeof pem !== "string" || pem === "") {
    fail(
      ctx,
      "key_missing_field",
      'the service-account key has no "private_key"',
      `Use the JSON key unchanged as downloaded. ${CREATE_JSON_KEY}`,
      { field: "private_key" },
    );
  }
  const privateKey = await importPem(pem, ctx, '"private_key"');
  const clientId = ctx.options.clientId ?? str(json["client_id"]);
  const privateKeyId = str(json["private_key_id"]);
  const projectId = str(json["project_id"]);
  return {
    kind: "json",
    clientEmail,
    ...(clientId ? { clientId } : {}),
    ...(privateKeyId ? { privateKeyId } : {}),
    ...(projectId ? { projectId } : {}),
    tokenUri: ctx.options.tokenUri ?? str(json["token_uri"]) ?? GOOGLE_TOKEN_URI,
    privateKey,
    source: ctx.label,
  };
}

async function loadPem(text: string, ctx: Context): Promise<ServiceAccountKey> {
  const privateKey = await importPem(text, ctx, "the PEM text");
  const email = ctx.options.email;
  if (!email) {
    fail(
      ctx,
      "pem_email_required",
      "a PEM key holds no service-account email",
      "Pass the service account's email (CLI: --key-email name@project.iam.gserviceaccount.com); it is listed in Cloud console → IAM & Admin → Service accounts",
    );
  }
  return keyFrom("pem", email, privateKey, ctx);
}

async function loadP12(bytes: Uint8Array, ctx: Context): Promise<ServiceAccountKey> {
  const email = ctx.options.email;
  if (!email) {
    fail(
      ctx,
      "p12_email_required",
      "a .p12 file holds no service-account email",
      "Pass the service account's email (CLI: --key-email name@project.iam.gserviceaccount.com); it is listed in Cloud console → IAM & Admin → Service accounts",
    );
  }
  // node-forge is imported inside, on first use, and only here.
  const password = ctx.options.password ?? "notasecret";
  const result = await p12ToPkcs8(bytes, password, MAX_P12_ITERATIONS);
  if (!result.ok) {
    switch (result.reason) {
      case "p12_iterations_too_high": {
        const { of, count } = result.iterations ?? { of: "MAC", count: Number.POSITIVE_INFINITY };
        const shown = Number.isFinite(count) ? count.toLocaleString("en-US") : "more than 2^48";
        fail(
          ctx,
          "p12_iterations_too_high",
          `the .p12 ${of} iteration count is ${shown}, above the ${MAX_P12_ITERATIONS.toLocaleString("en-US")} dwd runs`,
          `Google's .p12 files use 2,048 or fewer: use the file Google issued, or a JSON key. ${CREATE_JSON_KEY}`,
        );
        break;
      }
      case "p12_wrong_password":
        fail(
          ctx,
          "p12_wrong_password",
          ctx.options.password === undefined
            ? 'the .p12 password is not "notasecret"'
            : "the .p12 password is wrong",
          'Pass the password the file was exported with (Google-issued .p12 files use "notasecret")',
        );
        break;
      case "p12_truncated":
        fail(
          ctx,
          "p12_truncated",
          "the .p12 file is truncated",
          "Download the key again, or copy it in binary mode (not as text)",
        );
        break;
      case "p12_unsupported_runtime": {
        const code = (result.cause as { code?: unknown } | null)?.code;
        fail(
          ctx,
          "p12_unsupported_runtime",
          `node-forge, which reads .p12 files, cannot be imported${typeof code === "string" ? ` (${code})` : ""}`,
          `Install node-forge (npm install node-forge) and keep it in the bundle (do not exclude it or mark it external), or convert the key to PEM: openssl pkcs12 -legacy -in key.p12 -nocerts -nodes -passin pass:notasecret -out key.pem, and pass key.pem with the email. Or use a JSON key. ${CREATE_JSON_KEY}`,
          { cause: result.cause },
        );
        break;
      }
      case "p12_no_private_key":
        fail(
          ctx,
          "p12_no_private_key",
          "the .p12 file holds no private key",
          `Use the .p12 file Google issued (it holds the key), or switch to a JSON key. ${CREATE_JSON_KEY}`,
        );
        break;
      default:
        fail(
          ctx,
          "p12_invalid",
          "it is not a PKCS#12 (.p12) file",
          "Pass the .p12 file as Google issued it, or a service-account JSON key",
        );
    }
  }
  const privateKey = await importPkcs8(result.pkcs8, ctx, "the .p12 private key");
  return keyFrom("p12", email, privateKey, ctx);
}

function keyFrom(
  kind: "p12" | "pem",
  clientEmail: string,
  privateKey: CryptoKey,
  ctx: Context,
): ServiceAccountKey {
  return {
    kind,
    clientEmail,
    ...(ctx.options.clientId ? { clientId: ctx.options.clientId } : {}),
    tokenUri: ctx.options.tokenUri ?? GOOGLE_TOKEN_URI,
    privateKey,
    source: ctx.label,
  };
}

/** "an EC key", "a DSA key", …: the article goes by how the name is read aloud. */
const ALGORITHM_PHRASES: Record<string, string> = {
  ec: "an EC key",
  dsa: "a DSA key",
  ed25519: "an Ed25519 (EdDSA) key",
  ed448: "an Ed448 (EdDSA) key",
  "rsa-pss": "an RSA-PSS key",
};

function algorithmPhrase(algorithm: string): string {
  return ALGORITHM_PHRASES[algorithm] ?? `a key of algorithm "${algorithm}"`;
}

const NOT_RSA_HINT = `RS256 needs an RSA key, as Google issues for service accounts. ${CREATE_JSON_KEY}`;

async function importPem(text: string, ctx: Context, what: string): Promise<CryptoKey> {
  const pem = findPrivateKeyPem(text);
  if (!pem.ok) {
    switch (pem.reason) {
      case "one_line":
        return fail(
          ctx,
          "key_unparseable",
          `${what} has no line breaks after "-----BEGIN ${pem.label ?? ""}-----"`,
          'Restore the key\'s line breaks: in JSON they are "\\n" escapes; copy the key file unchanged',
        );
      case "encrypted":
        return fail(
          ctx,
          "key_encrypted",
          `${what} is an encrypted private key`,
          "Decrypt it first, e.g. openssl pkey -in key.pem -out key-plain.pem",
        );
      case "not_rsa":
        return fail(
          ctx,
          "key_not_rsa",
          `${what} is ${algorithmPhrase(pem.label === "DSA PRIVATE KEY" ? "dsa" : "ec")}, but RS256 needs an RSA key`,
          NOT_RSA_HINT,
        );
      case "openssh":
        return fail(
          ctx,
          "key_openssh",
          `${what} is an OpenSSH private key (ssh-keygen's own format), not a service-account key`,
          `Google accepts only a key of the service account, and an OpenSSH key is for SSH. ${CREATE_JSON_KEY}. (If this key's certificate was uploaded to the service account, convert a copy to PKCS#8 with ssh-keygen -p -m PKCS8 -f COPY, which rewrites COPY in place, and pass that with the email)`,
        );
      case "not_private":
        return fail(
          ctx,
          "key_unparseable",
          `${what} holds a "${pem.label ?? ""}" block, not a private key`,
          "Pass the private key (-----BEGIN PRIVATE KEY-----), not a certificate or public key",
        );
      default:
        return fail(
          ctx,
          "key_unparseable",
          `${what} is not a PEM private key`,
          `Use the key unchanged as downloaded. ${CREATE_JSON_KEY}`,
        );
    }
  }
  if (pem.format === "pkcs1") {
    if (!isDerSequence(pem.der))
      return fail(
        ctx,
        "key_unparseable",
        `${what} is not a valid RSA private key`,
        `Use the key unchanged as downloaded. ${CREATE_JSON_KEY}`,
      );
    return importPkcs8(pkcs1ToPkcs8(pem.der), ctx, what);
  }
  return importPkcs8(pem.der, ctx, what);
}

async function importPkcs8(der: Uint8Array, ctx: Context, what: string): Promise<CryptoKey> {
  const algorithm = pkcs8Algorithm(der);
  if (algorithm === undefined)
    return fail(
      ctx,
      "key_unparseable",
      `${what} is not a valid private key`,
      `Use the key unchanged as downloaded. ${CREATE_JSON_KEY}`,
    );
  if (algorithm !== "rsa")
    return fail(
      ctx,
      "key_not_rsa",
      `${what} is ${algorithmPhrase(algorithm)}, but RS256 needs an RSA key`,
      NOT_RSA_HINT,
    );
  try {
    return await crypto.subtle.importKey(
      "pkcs8",
      der.slice(),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch {
    return fail(
      ctx,
      "key_unparseable",
      `${what} is not a valid RSA private key`,
      `Use the key unchanged as downloaded. ${CREATE_JSON_KEY}`,
    );
  }
}
