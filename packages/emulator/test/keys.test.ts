import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator, EmulatorError } from "../src/index.ts";
import { exchange, importPrivateKey, signRs256 } from "./helpers.ts";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ baseUrl: "http://127.0.0.1:8085/" });
});

function toBinary(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe("service-account keys", () => {
  it("serviceAccountKeyJson() returns Google's JSON key format with token_uri at the emulator", async () => {
    const key = await emulator.serviceAccountKeyJson("calendar-bot");
    expect(Object.keys(key)).toEqual([
      "type",
      "project_id",
      "private_key_id",
      "private_key",
      "client_email",
      "client_id",
      "auth_uri",
      "token_uri",
      "auth_provider_x509_cert_url",
      "client_x509_cert_url",
      "universe_domain",
    ]);
    expect(key).toMatchObject({
      type: "service_account",
      project_id: "dwd-emulator",
      client_email: "calendar-bot@dwd-emulator.iam.gserviceaccount.com",
      auth_uri: "https://accounts.google.com/o/oauth2/auth",
      token_uri: "http://127.0.0.1:8085/token",
      auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
      client_x509_cert_url:
        "https://www.googleapis.com/robot/v1/metadata/x509/calendar-bot%40dwd-emulator.iam.gserviceaccount.com",
      universe_domain: "googleapis.com",
    });
    expect(key["private_key_id"]).toMatch(/^[0-9a-f]{40}$/);
    expect(key["client_id"]).toMatch(/^[0-9]{21}$/);
    expect(key["private_key"]).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----\n$/,
    );
    await expect(importPrivateKey(key["private_key"] ?? "")).resolves.toBeDefined();
  });

  it("token_uri follows baseUrl when it changes", async () => {
    const em = await createEmulator();
    em.baseUrl = "http://127.0.0.1:41234";
    expect((await em.serviceAccountKeyJson("calendar-bot"))["token_uri"]).toBe(
      "http://127.0.0.1:41234/token",
    );
  });

  it("serviceAccount() gives email, a deterministic 21-digit client ID and the key ID", async () => {
    const info = emulator.serviceAccount("calendar-bot");
    const again = (await createEmulator()).serviceAccount(
      "calendar-bot@dwd-emulator.iam.gserviceaccount.com",
    );
    expect(info.email).toBe("calendar-bot@dwd-emulator.iam.gserviceaccount.com");
    expect(info.clientId).toMatch(/^[0-9]{21}$/);
    expect(again.clientId).toBe(info.clientId);
    expect(again.keyId).not.toBe(info.keyId); // a fresh key per start
    expect(info.keyId).toBe(
      (await emulator.serviceAccountKeyJson("calendar-bot"))["private_key_id"],
    );
  });

  it("serviceAccount() of an unknown name throws unknown_service_account", () => {
    expect(() => emulator.serviceAccount("ghost-bot")).toThrow(EmulatorError);
    try {
      emulator.serviceAccount("ghost-bot");
    } catch (err) {
      expect(err).toMatchObject({
        code: "unknown_service_account",
        message:
          'No service account "ghost-bot" in the scenario: it has "calendar-bot", "ungranted-bot", "deployer", "intruder"',
      });
    }
  });

  it("serviceAccountKeyP12() opens with node-forge and password notasecret: 3DES key bag, friendlyName privatekey, RC2-40 cert bag, SHA-1 MAC", async () => {
    const der = await emulator.serviceAccountKeyP12("calendar-bot");
    const asn1 = forge.asn1.fromDer(toBinary(der));
    const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, "notasecret");
    const keyBags =
      p12.getBags({ bagType: forge.pki.oids["pkcs8ShroudedKeyBag"] ?? "" })[
        forge.pki.oids["pkcs8ShroudedKeyBag"] ?? ""
      ] ?? [];
    const certBags =
      p12.getBags({ bagType: forge.pki.oids["certBag"] ?? "" })[forge.pki.oids["certBag"] ?? ""] ??
      [];
    expect(keyBags).toHaveLength(1);
    expect(certBags).toHaveLength(1);
    const attributes = keyBags[0]?.attributes as Record<string, unknown> | undefined;
    expect(attributes?.["friendlyName"]).toEqual(["privatekey"]);
    // The key inside is the account's key: its PKCS#8 matches the JSON key's.
    const pkcs8 = forge.asn1
      .toDer(
        forge.pki.wrapRsaPrivateKey(
          forge.pki.privateKeyToAsn1(keyBags[0]?.key as forge.pki.rsa.PrivateKey),
        ),
      )
      .getBytes();
    const json = await emulator.serviceAccountKeyJson("calendar-bot");
    const jsonDer = toBinary(
      Uint8Array.from(atob((json["private_key"] ?? "").replace(/-----[A-Z ]+-----|\n/g, "")), (c) =>
        c.charCodeAt(0),
      ),
    );
    expect(pkcs8).toBe(jsonDer);
    expect(() =>
      forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(toBinary(der)), true, "wrong"),
    ).toThrow();
    // The certificate is the key's: same modulus.
    const certificate = certBags[0]?.cert;
    expect((certificate?.publicKey as forge.pki.rsa.PublicKey | undefined)?.n.toString(16)).toBe(
      (keyBags[0]?.key as forge.pki.rsa.PrivateKey).n.toString(16),
    );
    // The encryption algorithms on the wire: 3DES for the key, RC2-40 for the certificates, SHA-1 for the MAC.
    const text = toBinary(der);
    expect(text).toContain(forge.asn1.oidToDer("1.2.840.113549.1.12.1.3").getBytes()); // pbeWithSHAAnd3-KeyTripleDES-CBC
    expect(text).toContain(forge.asn1.oidToDer("1.2.840.113549.1.12.1.6").getBytes()); // pbeWithSHAAnd40BitRC2-CBC
    expect(text).toContain(forge.asn1.oidToDer("1.3.14.3.2.26").getBytes()); // SHA-1 (MAC)
    // The AuthenticatedSafe holds EncryptedData (certificates) then Data (the shrouded key), as openssl -legacy writes.
    const pfx = forge.asn1.fromDer(toBinary(der));
    const authSafe = forge.asn1.fromDer(
      (((pfx.value[1] as forge.asn1.Asn1).value[1] as forge.asn1.Asn1).value[0] as forge.asn1.Asn1)
        .value as string,
    );
    const contentTypes = (authSafe.value as forge.asn1.Asn1[]).map((ci) =>
      forge.asn1.derToOid((ci.value[0] as forge.asn1.Asn1).value as string),
    );
    expect(contentTypes).toEqual([forge.pki.oids["encryptedData"], forge.pki.oids["data"]]);
  });

  it("serviceAccountKeyP12() honours a custom password", async () => {
    const der = await emulator.serviceAccountKeyP12("ungranted-bot", "s3cret");
    expect(() =>
      forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(toBinary(der)), true, "s3cret"),
    ).not.toThrow();
  });

  it.skipIf(!hasOpenssl)(
    "`openssl pkcs12 -info -legacy` reports Google's layout: RC2-40 certificates, 3DES key bag, SHA-1 MAC",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "dwd-emulator-p12-"));
      try {
        const path = join(dir, "calendar-bot.p12");
        await writeFile(path, await emulator.serviceAccountKeyP12("calendar-bot"));
        const info = spawnSync(
          "openssl",
          ["pkcs12", "-info", "-legacy", "-noout", "-in", path, "-passin", "pass:notasecret"],
          { encoding: "utf8" },
        );
        expect(info.status).toBe(0);
        const report = info.stdout + info.stderr;
        expect(report).toContain("MAC: sha1, Iteration 2048");
        expect(report).toContain(
          "PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 2048",
        );
        expect(report).toContain(
          "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048",
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!hasOpenssl)(
    "the .p12 opens with `openssl pkcs12 -legacy` and signs a token-worthy assertion",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "dwd-emulator-p12-"));
      try {
        const path = join(dir, "calendar-bot.p12");
        await writeFile(path, await emulator.serviceAccountKeyP12("calendar-bot"));
        const pem = execFileSync(
          "openssl",
          ["pkcs12", "-in", path, "-nodes", "-nocerts", "-passin", "pass:notasecret", "-legacy"],
          { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
        );
        const friendly = /friendlyName: (\S+)/.exec(pem)?.[1];
        expect(friendly).toBe("privatekey");
        const keyPem =
          /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)?.[0] ?? "";
        const key = await importPrivateKey(keyPem);
        const now = Math.floor(Date.now() / 1000);
        const assertion = await signRs256(
          key,
          { alg: "RS256" },
          {
            iss: "calendar-bot@dwd-emulator.iam.gserviceaccount.com",
            sub: "info@example.com",
            scope: "https://www.googleapis.com/auth/calendar",
            aud: "https://oauth2.googleapis.com/token",
            iat: now,
            exp: now + 3600,
          },
        );
        expect((await exchange(emulator, assertion)).status).toBe(200);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
