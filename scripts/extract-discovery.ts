// Extracts from Google's Calendar v3 discovery document only the facts dwd needs — method ids, HTTP
// methods, paths, parameters, scopes, schema fields and their types; no descriptions — and writes them
// as typed TypeScript data, once for @dwd/calendar and once for @dwd/emulator (which imports nothing of
// ours, so it keeps its own copy).
//
//   node scripts/extract-discovery.ts [SOURCE]           write both files (and the committed copy)
//   node scripts/extract-discovery.ts --check [SOURCE]   fail if either file is out of date
//
// SOURCE is a path, an http(s) URL, or `--google` for Google's own discovery URL (below). Without one it
// reads the committed copy, scripts/fixtures/discovery/calendar-v3.json (revision 20260225, provenance
// beside it): the document's facts only, with Google's descriptions removed by `factsOnly` below, which
// `pnpm lint` checks against. Writing from another source also replaces that copy (facts only again), so
// the check keeps holding: `node scripts/extract-discovery.ts --google` takes Google's latest revision.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Top-level keys of a discovery document that are about the document, not the API. */
const documentKeys = new Set([
  "description",
  "documentationLink",
  "icons",
  "ownerDomain",
  "ownerName",
  "title",
  "canonicalName",
]);

/**
 * The document with Google's prose removed — every `description` and `enumDescriptions` text and the
 * document's own metadata — so the committed copy keeps only facts (ids, paths, parameters, scopes,
 * field types), in the same shape, which is all the extraction reads. A field named `description` (an
 * object in `properties`) stays.
 */
export function factsOnly(documentText: string): string {
  const strip = (value: unknown, top: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => strip(v, false));
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (top && documentKeys.has(k)) continue;
      if (k === "description" && typeof v === "string") continue;
      if (k === "enumDescriptions" && Array.isArray(v)) continue;
      out[k] = strip(v, false);
    }
    return out;
  };
  return `${JSON.stringify(strip(JSON.parse(documentText), true), null, 2)}\n`;
}

const root = new URL("../", import.meta.url);
/** Google's discovery document for Calendar v3. */
export const googleDiscoveryUrl = "https://www.googleapis.com/discovery/v1/apis/calendar/v3/rest";
/** The committed copy, relative to the repository root. */
const committedCopy = "scripts/fixtures/discovery/calendar-v3.json";
const targets = [
  "packages/calendar/src/_generated/discovery.ts",
  "packages/emulator/src/_generated/discovery.ts",
];

interface RawSchema {
  type?: string;
  $ref?: string;
  format?: string;
  enum?: string[];
  items?: RawSchema;
  properties?: Record<string, RawSchema>;
  additionalProperties?: RawSchema;
  readOnly?: boolean;
  annotations?: { required?: string[] };
}
interface RawParameter extends RawSchema {
  location: string;
  required?: boolean;
  repeated?: boolean;
  minimum?: string;
  maximum?: string;
  default?: string;
}
interface RawMethod {
  id: string;
  httpMethod: string;
  path: string;
  parameterOrder?: string[];
  parameters?: Record<string, RawParameter>;
  scopes?: string[];
  request?: { $ref: string };
  response?: { $ref: string };
  supportsSubscription?: boolean;
}
interface RawDiscovery {
  revision: string;
  rootUrl: string;
  servicePath: string;
  batchPath: string;
  resources: Record<string, { methods: Record<string, RawMethod> }>;
  schemas: Record<string, RawSchema & { id?: string }>;
}

function schema(s: RawSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.$ref) out.ref = s.$ref;
  if (s.type) out.type = s.type;
  if (s.format) out.format = s.format;
  if (s.enum) out.enum = s.enum;
  if (s.readOnly) out.readOnly = true;
  if (s.annotations?.required) out.requiredFor = s.annotations.required;
  if (s.items) out.items = schema(s.items);
  if (s.additionalProperties) out.additionalProperties = schema(s.additionalProperties);
  if (s.properties)
    out.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, schema(v)]),
    );
  return out;
}

function parameter(p: RawParameter): Record<string, unknown> {
  const out: Record<string, unknown> = { type: p.type, location: p.location };
  for (const key of [
    "required",
    "repeated",
    "format",
    "enum",
    "minimum",
    "maximum",
    "default",
  ] as const) {
    if (p[key] !== undefined) out[key] = p[key];
  }
  return out;
}

export function extract(raw: RawDiscovery): unknown {
  const methods = Object.entries(raw.resources).flatMap(([resource, r]) =>
    Object.entries(r.methods).map(([name, m]) => ({
      id: m.id,
      resource,
      name,
      httpMethod: m.httpMethod,
      path: m.path,
      parameterOrder: m.parameterOrder ?? [],
      parameters: Object.fromEntries(
        Object.entries(m.parameters ?? {}).map(([k, v]) => [k, parameter(v)]),
      ),
      scopes: m.scopes ?? [],
      ...(m.request ? { request: m.request.$ref } : {}),
      ...(m.response ? { response: m.response.$ref } : {}),
      ...(m.supportsSubscription ? { supportsSubscription: true } : {}),
    })),
  );
  return {
    revision: raw.revision,
    rootUrl: raw.rootUrl,
    servicePath: raw.servicePath,
    batchPath: raw.batchPath,
    methods,
    schemas: Object.fromEntries(Object.entries(raw.schemas).map(([k, v]) => [k, schema(v)])),
  };
}

const header = `// Generated by scripts/extract-discovery.ts from Google's Calendar v3 discovery document. Do not edit:
// run \`node scripts/extract-discovery.ts\` against a new revision instead. Facts only (ids, paths,
// parameters, scopes, field types), no descriptions.

/** A field or parameter type, as the discovery document describes it. */
export interface DiscoverySchema {
  ref?: string;
  type?: string;
  format?: string;
  enum?: readonly string[];
  readOnly?: boolean;
  /** Method ids for which this field must be set. */
  requiredFor?: readonly string[];
  items?: DiscoverySchema;
  additionalProperties?: DiscoverySchema;
  properties?: Readonly<Record<string, DiscoverySchema>>;
}

/** One parameter of a method. */
export interface DiscoveryParameter {
  type: string;
  location: string;
  required?: boolean;
  repeated?: boolean;
  format?: string;
  enum?: readonly string[];
  minimum?: string;
  maximum?: string;
  default?: string;
}

/** One method: \`calendar.events.list\` and the rest. */
export interface DiscoveryMethod {
  id: string;
  resource: string;
  name: string;
  httpMethod: string;
  /** Relative to \`servicePath\`. */
  path: string;
  parameterOrder: readonly string[];
  parameters: Readonly<Record<string, DiscoveryParameter>>;
  /** Any one of these scopes is enough. */
  scopes: readonly string[];
  request?: string;
  response?: string;
  supportsSubscription?: boolean;
}

/** What dwd keeps of the discovery document. */
export interface Discovery {
  revision: string;
  rootUrl: string;
  servicePath: string;
  batchPath: string;
  methods: readonly DiscoveryMethod[];
  schemas: Readonly<Record<string, DiscoverySchema>>;
}

/** Calendar v3, as extracted. */
export const discovery: Discovery = `;

function render(data: unknown): string {
  return `${header}${JSON.stringify(data, null, 2)};\n`;
}

/** A problem with the source: one line for the user, the exit code, and the fix. */
class SourceError extends Error {
  readonly exitCode: number;
  readonly hint: string;
  constructor(message: string, exitCode: number, hint: string) {
    super(message);
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Reads the document's text from a path or an http(s) URL. */
async function readSource(source: string): Promise<string> {
  if (!/^https?:\/\//i.test(source)) {
    if (!existsSync(source))
      throw new SourceError(
        `Cannot read the discovery document "${source}": the file does not exist`,
        2,
        `give a path, an http(s) URL, or --google (${googleDiscoveryUrl})`,
      );
    return readFileSync(source, "utf8");
  }
  let response: Response;
  try {
    response = await fetch(source, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause ?? error) : error;
    throw new SourceError(
      `Cannot fetch the discovery document from ${source}: ${cause instanceof Error ? cause.message : String(cause)}`,
      1,
      "check the URL and the network, or give a local copy's path",
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SourceError(
      `Cannot fetch the discovery document from ${source}: HTTP ${response.status}`,
      1,
      `Google's is ${googleDiscoveryUrl}`,
    );
  }
  return await response.text();
}

/** Parses the text and checks that it is Calendar v3's discovery document. */
function parse(text: string, source: string): RawDiscovery {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SourceError(
      `Cannot read the discovery document from ${source}: it is not JSON (${error instanceof Error ? error.message : String(error)})`,
      1,
      `Google's is ${googleDiscoveryUrl}`,
    );
  }
  const doc = raw as Partial<RawDiscovery> & { kind?: unknown; name?: unknown; version?: unknown };
  if (
    doc.kind !== "discovery#restDescription" ||
    doc.name !== "calendar" ||
    doc.version !== "v3" ||
    typeof doc.resources !== "object" ||
    typeof doc.schemas !== "object"
  )
    throw new SourceError(
      `Cannot use the document from ${source}: it is not Calendar v3's discovery document (kind ${JSON.stringify(doc.kind)}, name ${JSON.stringify(doc.name)}, version ${JSON.stringify(doc.version)})`,
      1,
      `Google's is ${googleDiscoveryUrl}`,
    );
  return raw as RawDiscovery;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes("--check");
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--check" && a !== "--google");
  const given = argv.filter((a) => !a.startsWith("--"));
  if (unknown.length > 0 || given.length + (argv.includes("--google") ? 1 : 0) > 1) {
    console.error(
      unknown.length > 0
        ? `error: Unknown option ${unknown.join(" ")}`
        : "error: Give one source: a path, a URL or --google",
    );
    console.error("hint: node scripts/extract-discovery.ts [--check] [PATH | URL | --google]");
    return 2;
  }
  const committed = fileURLToPath(new URL(committedCopy, root));
  const source = argv.includes("--google") ? googleDiscoveryUrl : (given[0] ?? committed);
  const label = source === committed ? committedCopy : source;
  let raw: RawDiscovery;
  let documentText: string;
  try {
    documentText = await readSource(source);
    raw = parse(documentText, label);
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    console.error(`error: ${error.message}`);
    console.error(`hint: ${error.hint}`);
    return error.exitCode;
  }
  const text = render(extract(raw));
  let stale = 0;
  for (const target of targets) {
    const file = fileURLToPath(new URL(target, root));
    const current = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (current === text) continue;
    if (check) {
      console.error(`error: ${target} is out of date with ${label} (revision ${raw.revision})`);
      stale++;
    } else {
      writeFileSync(file, text);
      console.log(`extract-discovery: wrote ${target}`);
    }
  }
  if (!check && source !== committed) {
    const current = existsSync(committed) ? readFileSync(committed, "utf8") : "";
    const facts = factsOnly(documentText);
    if (current !== facts) {
      writeFileSync(committed, facts);
      console.log(
        `extract-discovery: wrote ${committedCopy} (revision ${raw.revision}); update its PROVENANCE.md`,
      );
    }
  }
  if (stale) {
    console.error(
      `hint: run \`node scripts/extract-discovery.ts${source === committed ? "" : ` ${given[0] ?? "--google"}`}\` and commit the result`,
    );
    return 1;
  }
  if (check)
    console.log(
      `extract-discovery: ${targets.join(" and ")} are up to date with ${label} (revision ${raw.revision})`,
    );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
