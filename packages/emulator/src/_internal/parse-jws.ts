import { base64UrlToString, fromBase64Url } from "./base64.ts";

/** A compact JWS split into its parts. Nothing here is verified yet. */
export interface ParsedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** ASCII bytes of `<header>.<claims>`, the signed data. */
  signingInput: Uint8Array;
  signature: Uint8Array;
}

// A real assertion is ~1 KB; anything far bigger is not worth parsing.
const maxLength = 16 * 1024;

function jsonObject(segment: string): Record<string, unknown> | undefined {
  const text = base64UrlToString(segment);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a compact JWS defensively: returns `undefined` for any malformed input, never throws. */
export function parseJws(token: string): ParsedJws | undefined {
  if (token.length > maxLength) return undefined;
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h = "", c = "", s = ""] = parts;
  const header = jsonObject(h);
  const claims = jsonObject(c);
  const signature = fromBase64Url(s);
  if (header === undefined || claims === undefined || signature === undefined) return undefined;
  return { header, claims, signingInput: new TextEncoder().encode(`${h}.${c}`), signature };
}
