// PEM → DER for private keys. Tolerates text around the block (OpenSSL's "Bag Attributes") and
// JSON-escaped "\n" sequences; refuses a block flattened onto one line, as OpenSSL does.

import { base64Decode } from "./base64.ts";

/** What {@link findPrivateKeyPem} found. */
export type PemResult =
  | { ok: true; format: "pkcs8" | "pkcs1"; der: Uint8Array }
  | {
      ok: false;
      reason:
        "no_pem" | "one_line" | "not_private" | "encrypted" | "not_rsa" | "openssh" | "bad_base64";
      label?: string | undefined;
    };

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** True when the text contains a PEM armour line. */
export function hasPemArmour(text: string): boolean {
  return text.includes("-----BEGIN ");
}

/** Finds the first private-key block in PEM text and decodes it. Never throws. */
export function findPrivateKeyPem(input: string): PemResult {
  const text = input.includes("\\n") ? input.replace(/(?:\\r)?\\n/g, "\n") : input;
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) return { ok: false, reason: "no_pem" };
  const block = blocks.find((b) => b[1]!.endsWith("PRIVATE KEY"));
  if (!block) return { ok: false, reason: "not_private", label: blocks[0]![1]! };
  const label = block[1]!;
  let body = block[2]!;
  // OpenSSH's own format (ssh-keygen's default since 7.8) is not PEM inside, whatever its armour says.
  if (label === "OPENSSH PRIVATE KEY") return { ok: false, reason: "openssh", label };
  if (!/^[ \t]*\r?\n/.test(body)) return { ok: false, reason: "one_line", label };
  if (label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/i.test(body))
    return { ok: false, reason: "encrypted", label };
  if (label === "EC PRIVATE KEY" || label === "DSA PRIVATE KEY")
    return { ok: false, reason: "not_rsa", label };
  // RFC 1421 headers ("Name: value") end at the first blank line.
  if (/^\s*[A-Za-z-]+:/.test(body)) body = body.replace(/^[\s\S]*?\r?\n\r?\n/, "");
  const der = base64Decode(body);
  if (!der || der.length === 0) return { ok: false, reason: "bad_base64", label };
  if (label === "RSA PRIVATE KEY") return { ok: true, format: "pkcs1", der };
  if (label === "PRIVATE KEY") return { ok: true, format: "pkcs8", der };
  return { ok: false, reason: "not_private", label };
}
