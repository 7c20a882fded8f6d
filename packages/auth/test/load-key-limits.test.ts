// loadKey() on hostile or mistaken input: every read is bounded (size, file kind, PKCS#12 iterations),
// key text given where a path is expected is never echoed, and each refusal says what is true.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { afterEach, describe, expect, it } from "vitest";
import { setForgeImporter } from "../src/_internal/p12.ts";
import { KeyError, MAX_KEY_BYTES, MAX_P12_ITERATIONS, loadKey } from "../src/index.ts";
import type { KeyErrorCode, LoadKeyOptions } from "../src/index.ts";
import { fixture, generateRsa, jsonKey, keyChunks, tempDir } from "./helpers.ts";

const EMAIL = "limits@test-project.iam.gserviceaccount.com";
const ENV = "the key text given in GOOGLE_APPLICATION_CREDENTIALS";

/** The error `promise` rejects with, asserted to be a KeyError with this code and exact message. */
async function refused(
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
  const shown = [e.message, e.hint, String(e), JSON.stringify(e), e.source ?? ""].join("\n");
  for (const chunk of secrets) expect(shown).not.toContain(chunk);
  return e;
}

describe("loadKey() reads only a regular file of at most 64 KiB", () => {
  const dir = tempDir();
  const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

  it("loadKey() refuses /dev/zero at once instead of reading it for ever", async () => {
    await refused(
      loadKey("/dev/zero"),
      "key_not_a_file",
      'Cannot load key "/dev/zero": it is a character device, not a regular file',
    );
  });

  it.runIf(hasMkfifo)("loadKey() refuses a FIFO instead of blocking on it", async () => {
    const fifo = join(dir, "key.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    await refused(
      loadKey(fifo),
      "key_not_a_file",
      `Cannot load key "${fifo}": it is a FIFO (named pipe), not a regular file`,
    );
  });

  it("loadKey() refuses a directory, also when GOOGLE_APPLICATION_CREDENTIALS names it", async () => {
    const sub = join(dir, "keys");
    mkdirSync(sub);
    const message = `Cannot load key "${sub}": it is a directory, not a regular file`;
    await refused(loadKey(sub), "key_not_a_file", message);
    await refused(
      loadKey(undefined, { env: { GOOGLE_APPLICATION_CREDENTIALS: sub } }),
      "key_not_a_file",
      message,
    );
  });

  it("loadKey() refuses a file over 64 KiB without reading it, and accepts one of exactly 64 KiB", async () => {
    const big = join(dir, "big.json");
    writeFileSync(big, `{"type":"service_account","padding":"${"x".repeat(70_000)}"}`);
    await refused(
      loadKey(big),
      "key_too_large",
      `Cannot load key "${big}": the file is 70,039 bytes, but a service-account key is a few KB (dwd reads at most 65,536)`,
    );
    const edge = join(dir, "edge.json");
    const { pem } = await generateRsa();
    const text = JSON.stringify(jsonKey(pem));
    writeFileSync(edge, text + " ".repeat(MAX_KEY_BYTES - text.length));
    expect((await loadKey(edge)).kind).toBe("json");
  });

  it("loadKey() caps key text and bytes as it caps files", async () => {
    const text = `{"private_key":"${"A".repeat(MAX_KEY_BYTES)}"}`;
    await refused(
      loadKey(text),
      "key_too_large",
      'Cannot load key "the JSON key": the key text is 65,554 bytes, but a service-account key is a few KB (dwd reads at most 65,536)',
    );
    await refused(
      loadKey(new Uint8Array(MAX_KEY_BYTES + 1)),
      "key_too_large",
      'Cannot load key "the key bytes": the key is 65,537 bytes, but a service-account key is a few KB (dwd reads at most 65,536)',
    );
  });
});

describe("loadKey() tells a path from key text by content, and never echoes key text", () => {
  it("loadKey() takes a 1,117-character path for a path (and says the file does not exist)", async () => {
    const dir = tempDir();
    let path = dir;
    for (let i = 0; path.length < 1100; i++)
      path = join(path, `nested-directory-${String(i).padStart(4, "0")}`);
    mkdirSync(path, { recursive: true });
    path = join(path, "k".repeat(1117 - path.length - 6) + ".json");
    expect(path).toHaveLength(1117);
    await refused(
      loadKey(path),
      "key_file_not_found",
      `Cannot load key "${path}": the file does not exist`,
    );
    const { pem } = await generateRsa();
    writeFileSync(path, JSON.stringify(jsonKey(pem)));
    expect(await loadKey(path)).toMatchObject({ kind: "json", source: path });
  });

  it("loadKey() loads the key JSON held in GOOGLE_APPLICATION_CREDENTIALS, naming it without echoing it", async () => {
    const { pem } = await generateRsa();
    const key = await loadKey(undefined, {
      env: { GOOGLE_APPLICATION_CREDENTIALS: JSON.stringify(jsonKey(pem)) },
    });
    expect(key).toMatchObject({ kind: "json", source: ENV });
  });

  it("loadKey() refuses broken key text in GOOGLE_APPLICATION_CREDENTIALS without printing it", async () => {
    const { pem } = await generateRsa();
    const secrets = keyChunks(pem);
    const cases: { value: string; code: KeyErrorCode; what: string; options?: LoadKeyOptions }[] = [
      { value: pem, code: "pem_email_required", what: "a PEM key holds no service-account email" },
      {
        value: `${JSON.stringify(jsonKey(pem)).slice(0, -1)},`,
        code: "key_not_json",
        what: "the text is not valid JSON",
      },
      {
        value: JSON.stringify(jsonKey(pem.replace("-----BEGIN PRIVATE KEY-----", ""))),
        code: "key_unparseable",
        what: '"private_key" is not a PEM private key',
      },
      {
        value: pem.replace(/-----[A-Z ]+-----/g, ""),
        code: "key_not_json",
        what: "it is neither JSON, PEM nor PKCS#12",
      },
    ];
    for (const c of cases) {
      await refused(
        loadKey(undefined, { env: { GOOGLE_APPLICATION_CREDENTIALS: c.value } }),
        c.code,
        `Cannot load key "${ENV}": ${c.what}`,
        secrets,
      );
    }
  });
});

describe("loadKey() names what a key is", () => {
  const dsaPem =
    "-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQCdVoFWH2wW0FGyqKOfGjkQmaq6HSeM9vlClNTNbTcfpT8Z1jCq\n-----END DSA PRIVATE KEY-----\n";
  // PrivateKeyInfo { version 0, AlgorithmIdentifier { id-dsa }, OCTET STRING {} }: enough to be named.
  const dsaPkcs8 =
    "-----BEGIN PRIVATE KEY-----\n" +
    btoa(
      String.fromCharCode(
        0x30,
        0x10,
        0x02,
        0x01,
        0x00,
        0x30,
        0x09,
        0x06,
        0x07,
        0x2a,
        0x86,
        0x48,
        0xce,
        0x38,
        0x04,
        0x01,
        0x04,
        0x00,
      ),
    ) +
    "\n-----END PRIVATE KEY-----\n";
  const cases = [
    {
      name: "a DSA key (PKCS#1 armour)",
      pem: dsaPem,
      message:
        'Cannot load key "the PEM key": the PEM text is a DSA key, but RS256 needs an RSA key',
    },
    {
      name: "a DSA key (PKCS#8)",
      pem: dsaPkcs8,
      message:
        'Cannot load key "the PEM key": the PEM text is a DSA key, but RS256 needs an RSA key',
    },
  ];
  for (const c of cases) {
    it(`loadKey() says ${c.name} with the right article`, async () => {
      await refused(loadKey(c.pem, { email: EMAIL }), "key_not_rsa", c.message);
    });
  }

  it("loadKey() says an OpenSSH private key is OpenSSH's format and how to get a JSON key", async () => {
    const dir = tempDir();
    const file = join(dir, "id_rsa");
    const made =
      spawnSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", file]).status === 0;
    const pem = made
      ? (await import("node:fs")).readFileSync(file, "utf8")
      : "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABFwAAAAdzc2gtcn\nNhAAAAAwEAAQAAAQEAtGZ5bbS0dQ2xGmEnQ0n1J8Fjw0b1S3rH2kqY6f6UQ8Hk7M9l\n-----END OPENSSH PRIVATE KEY-----\n";
    expect(pem).toContain("-----BEGIN OPENSSH PRIVATE KEY-----");
    const error = await refused(
      loadKey(pem, { email: EMAIL }),
      "key_openssh",
      'Cannot load key "the PEM key": the PEM text is an OpenSSH private key (ssh-keygen\'s own format), not a service-account key',
      keyChunks(pem),
    );
    expect(error.hint).toContain(
      "Cloud console → IAM & Admin → Service accounts → the account → Keys → Add key → Create new key → JSON",
    );
    expect(error.hint).toContain("ssh-keygen -p -m PKCS8 -f COPY");
    await refused(
      loadKey(JSON.stringify(jsonKey(pem))),
      "key_openssh",
      'Cannot load key "the JSON key": "private_key" is an OpenSSH private key (ssh-keygen\'s own format), not a service-account key',
    );
  });
});

/** Rewrites every INTEGER `from` inside a forge ASN.1 tree, also inside OCTET STRINGs that hold DER. */
function replaceIntegers(
  node: forge.asn1.Asn1,
  from: number,
  to: number,
  skipMac: boolean,
): forge.asn1.Asn1 {
  const visit = (n: forge.asn1.Asn1, path: number[]): forge.asn1.Asn1 => {
    if (skipMac && path.length === 1 && path[0] === 2) return n; // PFX.macData
    if (
      n.tagClass === forge.asn1.Class.UNIVERSAL &&
      n.type === forge.asn1.Type.INTEGER &&
      !n.constructed
    ) {
      if (forge.asn1.derToInteger(n.value as string) === from)
        return forge.asn1.create(n.tagClass, n.type, false, forge.asn1.integerToDer(to).getBytes());
      return n;
    }
    if (Array.isArray(n.value))
      return { ...n, value: n.value.map((c, i) => visit(c, [...path, i])) };
    if (
      n.type === forge.asn1.Type.OCTETSTRING &&
      typeof n.value === "string" &&
      n.value.charCodeAt(0) === 0x30
    ) {
      try {
        const inner = forge.asn1.fromDer(n.value, true);
        return { ...n, value: forge.asn1.toDer(visit(inner, [...path, -1])).getBytes() };
      } catch {
        return n; // encrypted bytes that only start like DER
      }
    }
    return n;
  };
  return visit(node, []);
}

async function p12With(iterations: { mac?: number; encryption?: number }): Promise<Uint8Array> {
  const { pem } = await generateRsa(1024);
  const key = forge.pki.privateKeyFromPem(pem);
  const pfx = forge.pkcs12.toPkcs12Asn1(
    key,
    null as unknown as forge.pki.Certificate[],
    "notasecret",
    { algorithm: "aes256", count: 2048, saltSize: 8 },
  );
  let out = pfx;
  if (iterations.encryption !== undefined)
    out = replaceIntegers(out, 2048, iterations.encryption, true);
  if (iterations.mac !== undefined) {
    const mac = (out.value as forge.asn1.Asn1[])[2]!;
    out = {
      ...out,
      value: [
        ...(out.value as forge.asn1.Asn1[]).slice(0, 2),
        replaceIntegers(mac, 2048, iterations.mac, false),
      ],
    };
  }
  return Uint8Array.from(forge.asn1.toDer(out).getBytes(), (c) => c.charCodeAt(0));
}

describe("loadKey() caps PKCS#12 iteration counts before any key derivation", () => {
  afterEach(() => setForgeImporter(undefined));

  it(`loadKey() refuses a .p12 whose MAC names 2^31 - 1 iterations, by its count (node-forge is never imported)`, async () => {
    const p12 = await p12With({ mac: 2 ** 31 - 1 });
    let imports = 0;
    setForgeImporter(() => {
      imports++;
      return import("node-forge");
    });
    await refused(
      loadKey(p12, { email: EMAIL }),
      "p12_iterations_too_high",
      'Cannot load key "the key bytes": the .p12 MAC iteration count is 2,147,483,647, above the 100,000 dwd runs',
    );
    expect(imports).toBe(0);
  }, 60_000);

  it("loadKey() refuses a .p12 whose key encryption names 1,000,000 PBKDF2 iterations", async () => {
    const dir = tempDir();
    const file = join(dir, "slow.p12");
    writeFileSync(file, await p12With({ encryption: 1_000_000 }));
    await refused(
      loadKey(file, { email: EMAIL }),
      "p12_iterations_too_high",
      `Cannot load key "${file}": the .p12 encryption iteration count is 1,000,000, above the 100,000 dwd runs`,
    );
  }, 60_000);

  it("loadKey() still opens a .p12 at the cap, and Google's published .p12 files (1,024 and 2,048 iterations)", async () => {
    // At the cap the MAC no longer matches (it was computed with 2,048), so the file is refused later, by forge:
    // what matters is that the count itself is accepted.
    const atCap = await p12With({ mac: MAX_P12_ITERATIONS });
    const error = await loadKey(atCap, { email: EMAIL }).then(
      () => undefined,
      (e: unknown) => e as KeyError,
    );
    expect(error?.code).toBe("p12_wrong_password");
    for (const name of [
      "google-p12-pem-key.p12",
      "oauth2client-privatekey.p12",
      "google-api-php-client-cert.p12",
    ]) {
      expect((await loadKey(fixture(name), { email: EMAIL })).kind).toBe("p12");
    }
  }, 60_000);
});
