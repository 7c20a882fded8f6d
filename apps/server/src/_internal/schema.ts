/**
 * A small JSON Schema subset, used twice from one definition: to validate requests (and the config
 * file) and to publish `/openapi.json` (and dwd-server.schema.json). Each schema object is plain JSON
 * Schema (2020-12 / OpenAPI 3.1), so the published document is the validating one, not a copy.
 *
 * @module
 */

/** The schema keywords dwd-server uses (a subset of JSON Schema 2020-12). */
export interface Schema {
  type?: "object" | "string" | "integer" | "number" | "boolean" | "array";
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: readonly (string | number)[];
  format?: "date-time" | "email" | "uri";
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  examples?: unknown[];
  oneOf?: Schema[];
  $ref?: string;
}

/** One problem found by {@link validate}. */
export interface SchemaIssue {
  /** Where, as a JSON path: `callers[0].tokenSha256`, `timeMin`. */
  field: string;
  /** What is wrong, e.g. `must be a string of 64 hex digits`. */
  problem: string;
}

const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
// Each schema's pattern, compiled once (schemas are fixed objects; a request must not compile one).
const compiled = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) compiled.set(source, (re = new RegExp(source)));
  return re;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function describe(schema: Schema): string {
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  if (schema.oneOf) return schema.oneOf.map(describe).join(" or ");
  switch (schema.type) {
    case "object":
      return "an object";
    case "array":
      return "an array";
    case "integer":
      return "an integer";
    default:
      return `a ${schema.type ?? "value"}`;
  }
}

/**
 * Validates `value` against `schema`, collecting every issue (not only the first).
 *
 * @param schema the schema
 * @param value the parsed JSON value
 * @param path the JSON path of `value` (for nested calls)
 * @returns the issues, empty when valid
 */
export function validate(schema: Schema, value: unknown, path = ""): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const at = path === "" ? "(root)" : path;
  if (schema.oneOf) {
    if (schema.oneOf.some((s) => validate(s, value, path).length === 0)) return issues;
    return [{ field: at, problem: `must be ${describe(schema)}, got ${typeName(value)}` }];
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    return [{ field: at, problem: `must be ${describe(schema)}, got ${JSON.stringify(value)}` }];
  }
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return [{ field: at, problem: `must be an object, got ${typeName(value)}` }];
      const record = value as Record<string, unknown>;
      for (const name of schema.required ?? []) {
        if (record[name] === undefined)
          issues.push({ field: join(path, name), problem: "is required" });
      }
      for (const [name, child] of Object.entries(record)) {
        // Own properties only: a field named "constructor" or "toString" is not one of the schema's.
        const sub =
          schema.properties !== undefined && Object.hasOwn(schema.properties, name)
            ? schema.properties[name]
            : undefined;
        if (sub !== undefined) issues.push(...validate(sub, child, join(path, name)));
        else if (typeof schema.additionalProperties === "object")
          issues.push(...validate(schema.additionalProperties, child, join(path, name)));
        else if (schema.additionalProperties === false)
          issues.push({ field: join(path, name), problem: "is not a known field" });
      }
      return issues;
    }
    case "array": {
      if (!Array.isArray(value))
        return [{ field: at, problem: `must be an array, got ${typeName(value)}` }];
      if (schema.minItems !== undefined && value.length < schema.minItems)
        issues.push({
          field: at,
          problem: `must have at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`,
        });
      // Over its bound, the items are not looked at: a long array costs no more than a short one.
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        issues.push({
          field: at,
          problem: `must have at most ${schema.maxItems} items, got ${value.length}`,
        });
        return issues;
      }
      if (schema.items)
        value.forEach((item, i) => issues.push(...validate(schema.items!, item, join(path, i))));
      return issues;
    }
    case "string": {
      if (typeof value !== "string")
        return [{ field: at, problem: `must be a string, got ${typeName(value)}` }];
      if (schema.minLength !== undefined && value.length < schema.minLength)
        issues.push({
          field: at,
          problem:
            schema.minLength === 1
              ? "must not be empty"
              : `must have at least ${schema.minLength} characters`,
        });
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        issues.push({ field: at, problem: `must have at most ${schema.maxLength} characters` });
      if (schema.pattern !== undefined && !patternOf(schema.pattern).test(value))
        issues.push({
          field: at,
          problem: `must match ${schema.pattern}${schema.description ? ` (${schema.description})` : ""}`,
        });
      if (
        schema.format === "date-time" &&
        (!dateTimePattern.test(value) || Number.isNaN(Date.parse(value)))
      ) {
        issues.push({
          field: at,
          problem: `must be an RFC 3339 date-time with an offset, e.g. "2026-12-01T09:00:00Z", got "${value}"`,
        });
      }
      if (schema.format === "email" && !emailPattern.test(value))
        issues.push({ field: at, problem: `must be an email address, got "${value}"` });
      if (schema.format === "uri" && !URL.canParse(value))
        issues.push({ field: at, problem: `must be a URL, got "${value}"` });
      return issues;
    }
    case "integer":
    case "number": {
      if (
        typeof value !== "number" ||
        !Number.isFinite(value) ||
        (schema.type === "integer" && !Number.isInteger(value))
      ) {
        return [
          {
            field: at,
            problem: `must be ${describe(schema)}, got ${typeof value === "number" ? String(value) : typeName(value)}`,
          },
        ];
      }
      if (schema.minimum !== undefined && value < schema.minimum)
        issues.push({ field: at, problem: `must be at least ${schema.minimum}, got ${value}` });
      if (schema.maximum !== undefined && value > schema.maximum)
        issues.push({ field: at, problem: `must be at most ${schema.maximum}, got ${value}` });
      return issues;
    }
    case "boolean":
      return typeof value === "boolean"
        ? issues
        : [{ field: at, problem: `must be a boolean, got ${typeName(value)}` }];
    default:
      return issues;
  }
}
