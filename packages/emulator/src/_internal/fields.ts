// Partial responses: the `fields` parameter of every Google API (`fields=items(id,summary),nextPageToken`,
// `items/start/dateTime`, `*`). A selection is checked against the method's response schema from the
// discovery data — a name the schema does not have is a 400, as Google answers — and applied to the
// answer's JSON.
import type { DiscoverySchema } from "../_generated/discovery.ts";
import { discovery } from "../_generated/discovery.ts";

/** A parsed selection: each selected name, with what is selected under it (`true`: all of it). */
export type FieldSelection = Map<string, FieldSelection | true>;

function merge(into: FieldSelection, name: string, sub: FieldSelection | true): void {
  const held = into.get(name);
  if (held === true || sub === true) into.set(name, true);
  else if (held === undefined) into.set(name, sub);
  else for (const [k, v] of sub) merge(held, k, v);
}

/**
 * Parses a `fields` value. Returns the selection, or the text of the first part that is not one (the
 * "Invalid field selection" of Google's 400).
 */
export function parseFields(text: string): FieldSelection | { invalid: string } {
  let i = 0;
  const bad = (from: number): { invalid: string } => ({
    invalid: text.slice(from).split(",")[0] || text,
  });
  const selection = (depth: number): FieldSelection | { invalid: string } => {
    const out: FieldSelection = new Map();
    for (;;) {
      const start = i;
      const path: string[] = [];
      for (;;) {
        const m = /^(\*|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
        if (m === null) return bad(start);
        path.push(m[0]);
        i += m[0].length;
        if (text[i] !== "/") break;
        i++;
      }
      let sub: FieldSelection | true = true;
      if (text[i] === "(") {
        i++;
        const inner = selection(depth + 1);
        if (!(inner instanceof Map)) return inner;
        if (text[i] !== ")") return bad(start);
        i++;
        sub = inner;
      }
      // a/b/c(x) is a(b(c(x)))
      for (let k = path.length - 1; k > 0; k--) sub = new Map([[path[k]!, sub]]);
      merge(out, path[0]!, sub);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (depth > 0 || i === text.length) return out;
      return bad(start);
    }
  };
  if (text.trim() === "") return { invalid: text };
  return selection(0);
}

function resolve(schema: DiscoverySchema | undefined): DiscoverySchema | undefined {
  return schema?.ref === undefined ? schema : discovery.schemas[schema.ref];
}

/** The first selected name the schema does not describe (`a/b` form), or undefined when all exist. */
export function unknownField(
  selection: FieldSelection,
  schemaName: string | undefined,
): string | undefined {
  const walk = (
    sel: FieldSelection,
    schema: DiscoverySchema | undefined,
    at: string,
  ): string | undefined => {
    let s = resolve(schema);
    while (s?.type === "array") s = resolve(s.items);
    if (s === undefined) return undefined;
    for (const [name, sub] of sel) {
      if (name === "*") continue;
      const field = s.properties?.[name] ?? s.additionalProperties;
      if (field === undefined) return `${at}${name}`;
      if (sub !== true) {
        const deeper: string | undefined = walk(sub, field, `${at}${name}/`);
        if (deeper !== undefined) return deeper;
      }
    }
    return undefined;
  };
  return schemaName === undefined ? undefined : walk(selection, discovery.schemas[schemaName], "");
}

/** The parts of `value` the selection names (arrays: each element; `*`: every key at that level). */
export function applyFields(value: unknown, selection: FieldSelection): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFields(v, selection));
  if (typeof value !== "object" || value === null) return value;
  const all = selection.get("*");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = selection.get(k) ?? all;
    if (sub === undefined) continue;
    out[k] = sub === true ? v : applyFields(v, sub);
  }
  return out;
}
