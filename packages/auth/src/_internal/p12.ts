// PKCS#12 → PKCS#8 via node-forge, imported lazily: only code that actually reads a .p12 pays for it.
// node-forge 1.4 decrypts Google's legacy files (3DES key bag, RC2-40 cert bag, SHA-1 MAC) and
// OpenSSL 3's defaults (PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, SHA-256 MAC); WebCrypto offers neither
// PKCS#12 KDF nor RC2, and Node's own crypto cannot open RC2-40 under OpenSSL 3.

import { readTlv } from "./asn1.ts";
import { readP12Iterations } from "./p12-iterations.ts";

/** The slice of node-forge this module uses (typed here so the build needs no @types). */
interface ForgeAsn1 {
  fromDer(bytes: string, strict?: boolean): unknown;
  toDer(obj: unknown): { getBytes(): string };
}
interface ForgeBag {
  key?: unknown;
  asn1?: unknown;
}
interface Forge {
  asn1: ForgeAsn1;
  pkcs12: {
    pkcs12FromAsn1(
      obj: unknown,
      strict: boolean,
      password: string,
    ): {
      getBags(filter: { bagType: string }): Record<string, ForgeBag[] | undefined>;
    };
  };
  pki: {
    oids: Record<string, string>;
    privateKeyToAsn1(key: unknown): unknown;
    wrapRsaPrivateKey(asn1: unknown): unknown;
  };
}

/** Why a .p12 could not be opened. */
export type P12Failure =
  | "p12_truncated"
  | "p12_invalid"
  | "p12_wrong_password"
  | "p12_no_private_key"
  | "p12_unsupported_runtime"
  | "p12_iterations_too_high";

/**
 * The result of {@link p12ToPkcs8}; `cause` is what the import of node-forge threw; `iterations` names
 * the count that is too high.
 */
export type P12Result =
  | { ok: true; pkcs8: Uint8Array }
  | {
      ok: false;
      reason: P12Failure;
      cause?: unknown;
      iterations?: { of: "MAC" | "encryption"; count: number } | undefined;
    };

// A literal specifier, so bundlers see node-forge and include it.
const importNodeForge = (): Promise<unknown> => import("node-forge");

let importForge: () => Promise<unknown> = importNodeForge;
let forgePromise: Promise<Forge> | undefined;

/**
 * Replaces how node-forge is imported (tests simulate a bundle that left it out); `undefined` restores
 * the real import. Forgets the module loaded so far.
 */
export function setForgeImporter(importer: (() => Promise<unknown>) | undefined): void {
  importForge = importer ?? importNodeForge;
  forgePromise = undefined;
}

/** Loads node-forge once; a failed import is not remembered, so a later call tries again. */
export function loadForge(): Promise<Forge> {
  const promise = (forgePromise ??= importForge().then((m: unknown) => {
    const mod = m as { default?: Forge | undefined } & Partial<Forge>;
    return (mod.default ?? mod) as Forge;
  }));
  promise.catch(() => {
    if (forgePromise === promise) forgePromise = undefined;
  });
  return promise;
}

/** True when the PFX carries macData (its third element). */
function hasMac(pfx: unknown): boolean {
  const value = (pfx as { value?: unknown } | null)?.value;
  return Array.isArray(value) && value.length >= 3;
}

/** True when `attempt` succeeds or throws something other than `message`. */
function failsDifferently(attempt: () => unknown, message: string): boolean {
  try {
    attempt();
    return true;
  } catch (error) {
    return !(error instanceof Error) || error.message !== message;
  }
}

function toBinary(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

function fromBinary(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const PASSWORD_ERROR = /password|MAC could not|Failed to decrypt/i;

/**
 * Decrypts a PKCS#12 file and returns its private key as PKCS#8 DER. Never throws. Refuses, before
 * node-forge is even imported, a file whose MAC or encryption names more than `maxIterations`.
 */
export async function p12ToPkcs8(
  bytes: Uint8Array,
  password: string,
  maxIterations: number,
): Promise<P12Result> {
  const outer = readTlv(bytes, 0);
  if (!outer || outer.tag !== 0x30) return { ok: false, reason: "p12_invalid" };
  // Checked before forge: a cut-off download declares more bytes than it has.
  if (outer.end > bytes.length) return { ok: false, reason: "p12_truncated" };
  const counts = readP12Iterations(bytes);
  if (!counts.ok) return { ok: false, reason: "p12_invalid" };
  if (counts.mac !== undefined && counts.mac > maxIterations) {
    return {
      ok: false,
      reason: "p12_iterations_too_high",
      iterations: { of: "MAC", count: counts.mac },
    };
  }
  const encryption = Math.max(0, ...counts.encryption);
  if (encryption > maxIterations)
    return {
      ok: false,
      reason: "p12_iterations_too_high",
      iterations: { of: "encryption", count: encryption },
    };
  let forge: Forge;
  try {
    forge = await loadForge();
  } catch (cause) {
    // e.g. ERR_MODULE_NOT_FOUND from a bundle that left node-forge out
    return { ok: false, reason: "p12_unsupported_runtime", cause };
  }
  let asn1: unknown;
  try {
    asn1 = forge.asn1.fromDer(toBinary(bytes), false);
  } catch {
    return { ok: false, reason: "p12_invalid" };
  }
  const open = (pass: string): ForgeBag[] => {
    const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, pass);
    const shrouded = forge.pki.oids["pkcs8ShroudedKeyBag"]!;
    const plain = forge.pki.oids["keyBag"]!;
    return [
      ...(p12.getBags({ bagType: shrouded })[shrouded] ?? []),
      ...(p12.getBags({ bagType: plain })[plain] ?? []),
    ];
  };
  let bags: ForgeBag[];
  try {
    bags = open(password);
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    if (PASSWORD_ERROR.test(message)) return { ok: false, reason: "p12_wrong_password" };
    // With a MAC, forge checks the password first, so a later error means a broken file. Without one, a
    // wrong password decrypts to garbage that fails to parse in many ways ("Too few bytes to parse
    // DER", "Unparsed DER bytes remain", …); truncation was ruled out above. A parse error that depends on
    // the password is the password's; one that another password repeats is the file's.
    if (!hasMac(asn1) && failsDifferently(() => open(`${password}#`), message))
      return { ok: false, reason: "p12_wrong_password" };
    return { ok: false, reason: "p12_invalid" };
  }
  const bag = bags.find((b) => b.key || b.asn1);
  if (!bag) return { ok: false, reason: "p12_no_private_key" };
  try {
    // An RSA key comes back parsed; any other algorithm comes back as its PrivateKeyInfo.
    const info = bag.key
      ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))
      : bag.asn1;
    return { ok: true, pkcs8: fromBinary(forge.asn1.toDer(info).getBytes()) };
  } catch {
    return { ok: false, reason: "p12_invalid" };
  }
}
