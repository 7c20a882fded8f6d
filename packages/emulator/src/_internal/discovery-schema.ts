import type { DiscoverySchema } from "../_generated/discovery.ts";
import { discovery } from "../_generated/discovery.ts";

function resolve(schema: DiscoverySchema): DiscoverySchema {
  return schema.ref === undefined ? schema : (discovery.schemas[schema.ref] ?? {});
}

function typeMatches(value: unknown, schema: DiscoverySchema): boolean {
  switch (schema.type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

function clean(value: unknown, schema: DiscoverySchema): unknown {
  const s = resolve(schema);
  // Google coerces int64 strings and int32 numbers; keep numbers where an integer is expected.
  if (s.type === "integer" && typeof value === "string" && /^-?\d+$/.test(value))
    return Number(value);
  if (!typeMatches(value, s)) return undefined;
  if (s.type === "array" && Array.isArray(value)) {
    const item = s.items ?? {};
    return value.map((v) => clean(v, item)).filter((v) => v !== undefined);
  }
  if (s.type === "object" && typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const field = s.properties?.[k] ?? s.additionalProperties;
      if (field === undefined) continue;
      const c = clean(v, field);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return value;
}

/**
 * Keeps only what the discovery schema `name` describes, with the right JSON types: request bodies
 * pass through this before they are stored, so every stored resource is schema-valid.
 */
export function cleanResource(
  value: Record<string, unknown>,
  name: string,
): Record<string, unknown> {
  const schema = discovery.schemas[name];
  if (schema === undefined) throw new Error(`No schema "${name}" in the discovery data`);
  return (clean(value, schema) as Record<string, unknown> | undefined) ?? {};
}
