import forge from "node-forge";
import { afterEach, describe, expect, it } from "vitest";
import { setForgeImporter } from "../src/_internal/p12.ts";
import { KeyError, loadKey } from "../src/index.ts";
import { fixture, generateRsa } from "./helpers.ts";

const EMAIL = "legacy@test-project.iam.gserviceaccount.com";

async function keyError(promise: Promise<unknown>): Promise<KeyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyError);
  return error as KeyError;
}

function der(asn1: forge.asn1.Asn1): Uint8Array {
  return Uint8Array.from(forge.asn1.toDer(asn1).getBytes(), (c) => c.charCodeAt(0));
}

describe("loadKey() when node-forge cannot be imported", () => {
  afterEach(() => setForgeImporter(undefined));

  const missing = Object.assign(
    new Error("Cannot find package 'node-forge' imported from /app/dist/cli.js"),
    { code: "ERR_MODULE_NOT_FOUND" },
  );
  const cases = [
    {
      name: "a module-not-found error",
      error: missing,
      message: `Cannot load key "${fixture("google-p12-pem-key.p12")}": node-forge, which reads .p12 files, cannot be imported (ERR_MODULE_NOT_FOUND)`,
    },
    {
      name: "an error without a code",
      error: new TypeError("Module not found"),
      message: `Cannot load key "${fixture("google-p12-pem-key.p12")}": node-forge, which reads .p12 files, cannot be imported`,
    },
  ];
  for (const c of cases) {
    it(`loadKey() maps ${c.name} while importing node-forge to p12_unsupported_runtime`, async () => {
      setForgeImporter(() => Promise.reject(c.error));
      const error = await keyError(loadKey(fixture("google-p12-pem-key.p12"), { email: EMAIL }));
      expect({ code: error.code, message: error.message }).toEqual({
        code: "p12_unsupported_runtime",
        message: c.message,
      });
      expect(error.hint).toMatch(
        /^Install node-forge \(npm install node-forge\) and keep it in the bundle/,
      );
      expect(error.hint).toContain(
        "openssl pkcs12 -legacy -in key.p12 -nocerts -nodes -passin pass:notasecret -out key.pem",
      );
      expect(error.hint).toContain("JSON key");
      expect(error.cause).toBe(c.error);
    });
  }

  it("loadKey() imports node-forge again after a failed import", async () => {
    let calls = 0;
    setForgeImporter(() => (++calls === 1 ? Promise.reject(missing) : import("node-forge")));
    expect(
      (await keyError(loadKey(fixture("google-p12-pem-key.p12"), { email: EMAIL }))).code,
    ).toBe("p12_unsupported_runtime");
    expect((await loadKey(fixture("google-p12-pem-key.p12"), { email: EMAIL })).kind).toBe("p12");
    expect(calls).toBe(2);
  });

  it("loadKey() of a JSON key never imports node-forge", async () => {
    setForgeImporter(() => Promise.reject(missing));
    expect((await loadKey(fixture("google-cloud-go-auth-sa.json"))).kind).toBe("json");
  });
});

describe("loadKey() of a .p12 without a MAC", async () => {
  const { pem } = await generateRsa(1024);
  // Iteration count 1 keeps the password search below fast; it changes nothing else.
  const p12 = der(
    forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(pem),
      null as unknown as forge.pki.Certificate[],
      "right password",
      { algorithm: "3des", useMac: false, count: 1 },
    ),
  );
  expect(forge.asn1.fromDer(forge.util.binary.raw.encode(p12)).value).toHaveLength(2); // version, authSafe: no macData

  // Without a MAC, a wrong password decrypts the key bag to garbage: usually forge notices the padding
  // ("…wrong password?"), but sometimes the garbage parses partway. Find a password for each such failure.
  const kinds = [
    /Too few bytes/,
    /Unparsed DER bytes remain/,
    /Only 8, 16, 24, or 32 bits supported/,
  ];
  const found = new Map<RegExp, { password: string; forgeMessage: string }>();
  for (let i = 0; i < 100_000 && found.size < kinds.length; i++) {
    const password = `wrong-${i}`;
    try {
      forge.pkcs12.pkcs12FromAsn1(
        forge.asn1.fromDer(forge.util.binary.raw.encode(p12), false),
        false,
        password,
      );
    } catch (error) {
      const forgeMessage = (error as Error).message;
      const kind = kinds.find((k) => k.test(forgeMessage));
      if (kind && !found.has(kind)) found.set(kind, { password, forgeMessage });
    }
  }

  for (const kind of kinds) {
    it(`loadKey() reports a wrong password as p12_wrong_password when forge says ${String(kind)}`, async () => {
      const hit = found.get(kind);
      expect(hit, `no password made forge throw ${String(kind)}`).toBeDefined();
      const error = await keyError(loadKey(p12, { email: EMAIL, password: hit!.password }));
      expect({ code: error.code, message: error.message }).toEqual({
        code: "p12_wrong_password",
        message: 'Cannot load key "the key bytes": the .p12 password is wrong',
      });
    });
  }

  it("loadKey() opens it with the right password", async () => {
    expect((await loadKey(p12, { email: EMAIL, password: "right password" })).kind).toBe("p12");
  });

  it("loadKey() reports a broken structure that fails the same for every password as p12_invalid", async () => {
    // PFX { version 3, authSafe ContentInfo { data, [0] OCTET STRING holding a SEQUENCE and a stray byte } }: no MAC, nothing encrypted
    const { asn1 } = forge;
    const broken = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(3)),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(
          asn1.Class.UNIVERSAL,
          asn1.Type.OID,
          false,
          asn1.oidToDer(forge.pki.oids["data"]!).getBytes(),
        ),
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
          asn1.create(
            asn1.Class.UNIVERSAL,
            asn1.Type.OCTETSTRING,
            false,
            "\x30\x03\x02\x01\x00\x00",
          ),
        ]),
      ]),
    ]);
    const bytes = der(broken);
    expect(() =>
      forge.pkcs12.pkcs12FromAsn1(
        forge.asn1.fromDer(forge.util.binary.raw.encode(bytes), false),
        false,
        "x",
      ),
    ).toThrow(/Unparsed DER bytes remain/);
    const error = await keyError(loadKey(bytes, { email: EMAIL, password: "x" }));
    expect({ code: error.code, message: error.message }).toEqual({
      code: "p12_invalid",
      message: 'Cannot load key "the key bytes": it is not a PKCS#12 (.p12) file',
    });
  });
});
