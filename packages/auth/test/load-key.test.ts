import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyError, loadKey } from "../src/index.ts";
import type { KeyErrorCode, LoadKeyOptions, ServiceAccountKey } from "../src/index.ts";
import {
  FIXTURE_KEYS,
  fixture,
  generateEcPem,
  generateRsa,
  hasOpenssl,
  jsonKey,
  keyChunks,
  modernP12,
  opensslP12Info,
  tempDir,
} from "./helpers.ts";

const EMAIL = "legacy@test-project.iam.gserviceaccount.com";

type Expect =
  | {
      loads: ServiceAccountKey["kind"];
      email?: string;
      tokenUri?: string;
      keyId?: string;
      bits: number;
      options?: LoadKeyOptions;
    }
  | { code: KeyErrorCode; message: string; options?: LoadKeyOptions };

/** What fixtures/README.md predicts for every file under fixtures/keys. */
const fixtures: Record<string, Expect> = {
  "firebase-admin-python-malformed_key.json": {
    code: "key_unparseable",
    message: '"private_key" is not a PEM private key',
  },
  "firebase-admin-python-no_client_email_service_account.json": {
    code: "key_missing_field",
    message: 'the service-account key has no "client_email"',
  },
  "firebase-admin-python-private_key.pem": {
    loads: "pem",
    email: EMAIL,
    bits: 2048,
    options: { email: EMAIL },
  },
  "firebase-admin-python-service_account.json": {
    loads: "json",
    email: "mock-email@mock-project.iam.gserviceaccount.com",
    bits: 2048,
  },
  "google-api-php-client-cert.p12": {
    loads: "p12",
    email: EMAIL,
    bits: 512,
    options: { email: EMAIL },
  },
  "google-api-php-client-service-12345.json": { loads: "json", bits: 1024 },
  "google-api-php-client-service-rsa-12345.json": {
    code: "key_unparseable",
    message: '"private_key" has no line breaks after "-----BEGIN RSA PRIVATE KEY-----"',
  },
  "google-auth-library-nodejs-key.p12": {
    loads: "p12",
    email: EMAIL,
    bits: 1024,
    options: { email: EMAIL },
  },
  "google-auth-library-nodejs-private.json": {
    code: "key_unparseable",
    message: '"private_key" is not a PEM private key',
  },
  "google-auth-library-nodejs-private.pem": { loads: "pem", bits: 1024, options: { email: EMAIL } },
  "google-auth-library-nodejs-public.pem": {
    code: "key_unparseable",
    message: 'the PEM text holds a "PUBLIC KEY" block, not a private key',
    options: { email: EMAIL },
  },
  "google-auth-library-php-service_account_credentials.json": {
    loads: "json",
    email: "testing@example.com",
    bits: 2048,
  },
  "google-auth-library-python-es256_service_account.json": {
    code: "key_not_rsa",
    message: '"private_key" is an EC key, but RS256 needs an RSA key',
  },
  "google-auth-library-python-service_account.json": {
    loads: "json",
    email: "service-account@example.com",
    tokenUri: "https://accounts.google.com/o/oauth2/token",
    bits: 2048,
  },
  "google-auth-library-python-service_account_non_gdu.json": {
    loads: "json",
    tokenUri: "https://oauth2.universe.foo/token",
    bits: 2048,
  },
  "google-cloud-go-auth-sa.json": {
    loads: "json",
    email: "gopher@fake_project.iam.gserviceaccount.com",
    tokenUri: "https://oauth2.googleapis.com/token",
    bits: 1024,
  },
  "google-http-java-client-cert.pem": {
    code: "key_unparseable",
    message: 'the PEM text holds a "CERTIFICATE" block, not a private key',
    options: { email: EMAIL },
  },
  "google-http-java-client-privateKey.pem": { loads: "pem", bits: 1024, options: { email: EMAIL } },
  "google-http-java-client-secret.p12": { loads: "p12", bits: 1024, options: { email: EMAIL } },
  "google-p12-pem-badkey.p12": {
    code: "p12_truncated",
    message: "the .p12 file is truncated",
    options: { email: EMAIL },
  },
  "google-p12-pem-key.p12": { loads: "p12", bits: 1024, options: { email: EMAIL } },
  "google-p12-pem-key.pem": { loads: "pem", bits: 1024, options: { email: EMAIL } },
  "oauth2client-application_default_credentials.json": {
    loads: "json",
    email: "dummy@google.com",
    bits: 2048,
  },
  "oauth2client-privatekey.p12": { loads: "p12", bits: 2048, options: { email: EMAIL } },
  "oauth2client-privatekey.pem": { loads: "pem", bits: 2048, options: { email: EMAIL } },
  "oauth2client-public_cert.pem": {
    code: "key_unparseable",
    message: 'the PEM text holds a "CERTIFICATE" block, not a private key',
    options: { email: EMAIL },
  },
};

/** Asserts a KeyError's code and exact message, and that neither message nor hint holds key material. */
async function expectKeyError(
  promise: Promise<unknown>,
  code: KeyErrorCode,
  message: string,
  secrets: string[] = [],
): Promise<KeyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyError);
  const e = error as KeyError;
  expect({ code: e.code, message: e.message }).toEqual({ code, message });
  expect(e.hint).toBeTruthy();
  expect(e.message).not.toMatch(/\n|\.$/);
  for (const chunk of secrets) {
    expect(e.message).not.toContain(chunk);
    expect(e.hint).not.toContain(chunk);
  }
  return e;
}

function pemInFixture(name: string): string {
  const text = readFileSync(fixture(name), "utf8");
  return name.endsWith(".json")
    ? ((JSON.parse(text) as { private_key?: string }).private_key ?? "")
    : text;
}

const SIGN_INPUT = new TextEncoder().encode("dwd");
async function signature(key: ServiceAccountKey): Promise<string> {
  return Buffer.from(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, SIGN_INPUT),
  ).toString("hex");
}

describe("loadKey() over every fixture key", () => {
  it("has an expectation for every file under fixtures/keys", () => {
    expect(readdirSync(FIXTURE_KEYS).sort()).toEqual(Object.keys(fixtures).sort());
  });

  for (const [name, want] of Object.entries(fixtures)) {
    if ("loads" in want) {
      it(`loadKey() loads ${name}`, async () => {
        const key = await loadKey(fixture(name), want.options);
        expect(key.kind).toBe(want.loads);
        if (want.email) expect(key.clientEmail).toBe(want.email);
        expect(key.tokenUri).toBe(
          want.tokenUri ??
            (want.loads === "json" ? key.tokenUri : "https://oauth2.googleapis.com/token"),
        );
        expect(key.privateKey.extractable).toBe(false);
        expect(key.privateKey.usages).toEqual(["sign"]);
        expect(key.privateKey.algorithm).toMatchObject({
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: want.bits,
          hash: { name: "SHA-256" },
        });
        expect(key.source).toBe(fixture(name));
      });
    } else {
      it(`loadKey() refuses ${name} with ${want.code}`, async () => {
        const secrets = name.endsWith(".p12") ? [] : keyChunks(pemInFixture(name));
        await expectKeyError(
          loadKey(fixture(name), want.options),
          want.code,
          `Cannot load key "${fixture(name)}": ${want.message}`,
          secrets,
        );
      });
    }
  }

  const sameKey: [string, string[]][] = [
    [
      "oauth2client-privatekey.pem",
      [
        "oauth2client-privatekey.p12",
        "google-auth-library-python-service_account.json",
        "oauth2client-application_default_credentials.json",
      ],
    ],
    ["google-p12-pem-key.pem", ["google-p12-pem-key.p12"]],
    ["google-http-java-client-privateKey.pem", ["google-http-java-client-secret.p12"]],
    ["firebase-admin-python-private_key.pem", ["firebase-admin-python-service_account.json"]],
  ];
  for (const [pem, others] of sameKey) {
    it(`loadKey() reads the same key from ${pem} and ${others.join(", ")}`, async () => {
      const want = await signature(await loadKey(fixture(pem), { email: EMAIL }));
      for (const other of others)
        expect(await signature(await loadKey(fixture(other), { email: EMAIL }))).toBe(want);
    });
  }
});

describe("loadKey() sources", () => {
  it("loadKey() takes a path, JSON text, a parsed object, bytes and GOOGLE_APPLICATION_CREDENTIALS alike", async () => {
    const { pem } = await generateRsa();
    const json = jsonKey(pem);
    const dir = tempDir();
    const path = join(dir, "key.json");
    writeFileSync(path, JSON.stringify(json));
    const keys = [
      await loadKey(path),
      await loadKey(JSON.stringify(json)),
      await loadKey(json),
      await loadKey(new TextEncoder().encode(JSON.stringify(json))),
      await loadKey(undefined, { env: { GOOGLE_APPLICATION_CREDENTIALS: path } }),
    ];
    for (const key of keys) {
      expect(key).toMatchObject({
        kind: "json",
        clientEmail: json["client_email"],
        clientId: json["client_id"],
        privateKeyId: json["private_key_id"],
        projectId: "test-project",
      });
    }
    expect(keys.map((k) => k.source)).toEqual([
      path,
      "the JSON key",
      "the JSON key",
      "the key bytes",
      path,
    ]);
  });

  it("loadKey() applies tokenUri and clientId overrides", async () => {
    const { pem } = await generateRsa();
    const key = await loadKey(jsonKey(pem), {
      tokenUri: "http://127.0.0.1:1/token",
      clientId: "42",
    });
    expect(key).toMatchObject({ tokenUri: "http://127.0.0.1:1/token", clientId: "42" });
    const pemKey = await loadKey(pem, { email: EMAIL, clientId: "7" });
    expect(pemKey).toMatchObject({
      kind: "pem",
      clientEmail: EMAIL,
      clientId: "7",
      tokenUri: "https://oauth2.googleapis.com/token",
    });
    expect(pemKey.privateKeyId).toBeUndefined();
  });

  it("loadKey() uses Google's token URI when the key has none", async () => {
    const { pem } = await generateRsa();
    const json = jsonKey(pem);
    delete json["token_uri"];
    expect((await loadKey(json)).tokenUri).toBe("https://oauth2.googleapis.com/token");
  });

  it("loadKey() tolerates \\n escapes left in a PEM and a BOM before JSON", async () => {
    const { pem } = await generateRsa();
    const escaped = await loadKey(jsonKey(pem.replace(/\n/g, "\\n")));
    expect(escaped.kind).toBe("json");
    const bom = await loadKey(new TextEncoder().encode(`\uFEFF${JSON.stringify(jsonKey(pem))}`));
    expect(bom.kind).toBe("json");
  });
});

describe("loadKey() on .p12 variants", () => {
  it.runIf(hasOpenssl)(
    "the modern test file really is PBES2/AES-256-CBC with a SHA-256 MAC",
    async () => {
      const { pem } = await generateRsa();
      const info = opensslP12Info(await modernP12(pem, "notasecret"), "notasecret");
      expect(info).toContain("MAC: sha256");
      expect(info).toContain("PBES2, PBKDF2, AES-256-CBC");
    },
  );

  it("loadKey() opens an OpenSSL 3 default (AES-256/PBKDF2) .p12 and gets the same key as the PEM", async () => {
    const { pem } = await generateRsa();
    const p12 = await modernP12(pem, "notasecret");
    const dir = tempDir();
    writeFileSync(join(dir, "k.p12"), p12);
    const fromP12 = await loadKey(join(dir, "k.p12"), { email: EMAIL });
    const fromBytes = await loadKey(p12, { email: EMAIL });
    const fromPem = await loadKey(pem, { email: EMAIL });
    expect(fromP12.kind).toBe("p12");
    expect(await signature(fromP12)).toBe(await signature(fromPem));
    expect(await signature(fromBytes)).toBe(await signature(fromPem));
  });

  it("loadKey() opens a .p12 with a non-default password and one with no certificate", async () => {
    const { pem } = await generateRsa();
    const key = await loadKey(await modernP12(pem, "s3cret pw"), {
      email: EMAIL,
      password: "s3cret pw",
    });
    expect(key.kind).toBe("p12");
    const keyOnly = await loadKey(await modernP12(pem, "notasecret", "key"), { email: EMAIL });
    expect(await signature(keyOnly)).toBe(await signature(key));
  });
});

interface BadCase {
  name: string;
  source: () => Parameters<typeof loadKey>[0] | Promise<Parameters<typeof loadKey>[0]>;
  options?: LoadKeyOptions;
  code: KeyErrorCode;
  message: string;
}

describe("loadKey() refuses bad keys with a code, a one-line message and a hint", async () => {
  const { pem } = await generateRsa();
  const secrets = keyChunks(pem);
  const dir = tempDir();
  const write = (name: string, data: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  mkdirSync(join(dir, "a-directory"));
  const p12 = await modernP12(pem, "notasecret");
  const cases: BadCase[] = [
    {
      name: "no source and no GOOGLE_APPLICATION_CREDENTIALS",
      source: () => undefined,
      options: { env: {} },
      code: "key_source_missing",
      message: "Cannot load a key: no key was given and GOOGLE_APPLICATION_CREDENTIALS is not set",
    },
    {
      name: "missing file",
      source: () => join(dir, "nope.json"),
      code: "key_file_not_found",
      message: `Cannot load key "${join(dir, "nope.json")}": the file does not exist`,
    },
    {
      name: "missing file from GOOGLE_APPLICATION_CREDENTIALS",
      source: () => undefined,
      options: { env: { GOOGLE_APPLICATION_CREDENTIALS: join(dir, "gone.json") } },
      code: "key_file_not_found",
      message: `Cannot load key "${join(dir, "gone.json")}": the file does not exist`,
    },
    {
      name: "a directory",
      source: () => join(dir, "a-directory"),
      code: "key_not_a_file",
      message: `Cannot load key "${join(dir, "a-directory")}": it is a directory, not a regular file`,
    },
    {
      name: "not JSON (file)",
      source: () => write("notes.txt", "hello world"),
      code: "key_not_json",
      message: `Cannot load key "${join(dir, "notes.txt")}": it is neither JSON, PEM nor PKCS#12`,
    },
    {
      name: "broken JSON text holding a key",
      source: () => `{"private_key": ${JSON.stringify(pem)}, oops`,
      code: "key_not_json",
      message: 'Cannot load key "the JSON key": the text is not valid JSON',
    },
    {
      name: "a JSON array",
      source: () => write("array.json", "[1,2]"),
      code: "key_not_json",
      message: `Cannot load key "${join(dir, "array.json")}": it is neither JSON, PEM nor PKCS#12`,
    },
    {
      name: "OAuth client secret (installed)",
      source: () => ({
        installed: { client_id: "x.apps.googleusercontent.com", client_secret: "s" },
      }),
      code: "wrong_credential_type",
      message:
        'Cannot load key "the JSON key": it is an OAuth client secret (an "installed" app), not a service-account key',
    },
    {
      name: "OAuth client secret (web)",
      source: () => ({ web: { client_id: "x" } }),
      code: "wrong_credential_type",
      message:
        'Cannot load key "the JSON key": it is an OAuth client secret (a "web" app), not a service-account key',
    },
    {
      name: "authorized_user",
      source: () => ({
        type: "authorized_user",
        client_id: "x",
        client_secret: "y",
        refresh_token: "z",
      }),
      code: "wrong_credential_type",
      message:
        'Cannot load key "the JSON key": it is user credentials (from gcloud auth application-default login), not a service-account key',
    },
    {
      name: "external_account",
      source: () => ({ type: "external_account", audience: "//iam.googleapis.com/x" }),
      code: "wrong_credential_type",
      message:
        'Cannot load key "the JSON key": it is a workload identity federation configuration (external_account), not a service-account key',
    },
    {
      name: "unknown type",
      source: () => ({ type: "banana" }),
      code: "wrong_credential_type",
      message:
        'Cannot load key "the JSON key": it is a credential of type "banana", not a service-account key',
    },
    {
      name: "missing client_email",
      source: () => ({ ...jsonKey(pem), client_email: undefined }),
      code: "key_missing_field",
      message: 'Cannot load key "the JSON key": the service-account key has no "client_email"',
    },
    {
      name: "missing private_key",
      source: () => ({ ...jsonKey(pem), private_key: undefined }),
      code: "key_missing_field",
      message: 'Cannot load key "the JSON key": the service-account key has no "private_key"',
    },
    {
      name: "private_key not a PEM",
      source: () => jsonKey(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "")),
      code: "key_unparseable",
      message: 'Cannot load key "the JSON key": "private_key" is not a PEM private key',
    },
    {
      name: "private_key with corrupted base64",
      source: () => jsonKey(pem.replace(/(\n.{10})./, "$1!")),
      code: "key_unparseable",
      message: 'Cannot load key "the JSON key": "private_key" is not a PEM private key',
    },
    {
      name: "private_key with a damaged body",
      source: () =>
        jsonKey(
          pem.replace(
            /\n[A-Za-z0-9+/]{64}\n/,
            "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
          ),
        ),
      code: "key_unparseable",
      message: 'Cannot load key "the JSON key": "private_key" is not a valid private key',
    },
    {
      name: "EC key (PKCS#8)",
      source: async () => jsonKey(await generateEcPem()),
      code: "key_not_rsa",
      message:
        'Cannot load key "the JSON key": "private_key" is an EC key, but RS256 needs an RSA key',
    },
    {
      name: "encrypted PEM",
      source: () =>
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
      options: { email: EMAIL },
      code: "key_encrypted",
      message: 'Cannot load key "the PEM key": the PEM text is an encrypted private key',
    },
    {
      name: "PEM without email",
      source: () => pem,
      code: "pem_email_required",
      message: 'Cannot load key "the PEM key": a PEM key holds no service-account email',
    },
    {
      name: ".p12 without email",
      source: () => write("k.p12", p12),
      code: "p12_email_required",
      message: `Cannot load key "${join(dir, "k.p12")}": a .p12 file holds no service-account email`,
    },
    {
      name: ".p12 with the wrong password",
      source: () => p12,
      options: { email: EMAIL, password: "wrong" },
      code: "p12_wrong_password",
      message: 'Cannot load key "the key bytes": the .p12 password is wrong',
    },
    {
      name: "legacy .p12 with the wrong password",
      source: () => fixture("google-p12-pem-key.p12"),
      options: { email: EMAIL, password: "" },
      code: "p12_wrong_password",
      message: `Cannot load key "${fixture("google-p12-pem-key.p12")}": the .p12 password is wrong`,
    },
    {
      name: ".p12 not encrypted with notasecret",
      source: () => modernP12(pem, "other"),
      options: { email: EMAIL },
      code: "p12_wrong_password",
      message: 'Cannot load key "the key bytes": the .p12 password is not "notasecret"',
    },
    {
      name: "truncated .p12",
      source: () => p12.subarray(0, p12.length - 100),
      options: { email: EMAIL },
      code: "p12_truncated",
      message: 'Cannot load key "the key bytes": the .p12 file is truncated',
    },
    {
      name: ".p12 without a private key",
      source: () => modernP12(pem, "notasecret", "nokey"),
      options: { email: EMAIL },
      code: "p12_no_private_key",
      message: 'Cannot load key "the key bytes": the .p12 file holds no private key',
    },
    {
      name: "mangled PEM text that looks like neither JSON nor PEM",
      source: () => pem.replace("-----BEGIN ", "-----BEGINX"),
      code: "key_not_json",
      message: 'Cannot load key "the key text": it is neither JSON, PEM nor PKCS#12',
    },
    {
      name: "a bare base64 key body on one line",
      source: () => pem.split("\n").slice(1, -2).join(""),
      code: "key_not_json",
      message: 'Cannot load key "the key text": it is neither JSON, PEM nor PKCS#12',
    },
    {
      name: "a .p12 name on a text file",
      source: () => write("fake.p12", "not a pfx"),
      options: { email: EMAIL },
      code: "p12_invalid",
      message: `Cannot load key "${join(dir, "fake.p12")}": it is not a PKCS#12 (.p12) file`,
    },
  ];
  for (const c of cases) {
    it(`loadKey() refuses ${c.name}`, async () => {
      await expectKeyError(loadKey(await c.source(), c.options), c.code, c.message, secrets);
    });
  }

  it("loadKey() throws TypeError for a source of the wrong type", async () => {
    await expect(loadKey(42 as unknown as string)).rejects.toThrow(TypeError);
  });
});
