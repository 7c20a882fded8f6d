/**
 * The dwd-server configuration file: its schema (also shipped as dwd-server.schema.json, so editors
 * complete it), and `parseConfig()`, which refuses a bad file with the field, the problem and the fix.
 *
 * @module
 */

import type { Schema, SchemaIssue } from "./_internal/schema.ts";
import { validate } from "./_internal/schema.ts";
import { operations } from "./operations.ts";
import type { IdentityConfig } from "./identity-config.ts";
import { canonicalIssuer, identityIssues, identitySchema } from "./identity-config.ts";
import type { Operation } from "./operations.ts";
import type { MirrorConfig } from "./mirror/types.ts";

/** A caller's request budget: `requests` per `per`. */
export interface RateConfig {
  requests: number;
  per: "second" | "minute" | "hour";
}

/** One application allowed to call dwd-server. */
export interface CallerConfig {
  /** Shown in audit lines and metrics. */
  name: string;
  /** SHA-256 (hex) of the caller's bearer token; `dwd-server hash-token` prints one. */
  tokenSha256?: string;
  /** Or its workload identity: an OIDC ID token of this issuer and audience (no shared secret). */
  identity?: IdentityConfig;
  /** Who it may act as: `ana@example.com`, `*@example.com`, or `list:NAME` (a `subjectLists` entry). */
  subjects: string[];
  /** What it may call. */
  operations: Operation[];
  /** The OAuth scopes it may cause to be used. */
  scopes: string[];
  /**
   * Calendars beyond the subject's own (`primary` and the subject's email) it may reach: exact IDs
   * (a resource calendar's `…@resource.calendar.google.com`, a shared one's email), `*@domain`, or
   * `*` for any calendar the subject can see. None by default.
   */
  calendars?: string[];
  /** Its request budget; default 600 per minute. */
  rate?: RateConfig;
}

/** The delegation: a key file, or keyless (IAM signJwt). */
export interface DelegationConfig {
  /** Path of the service account's key file (JSON, .p12 or PEM). */
  keyFile?: string;
  /** Email of the service account, needed for .p12/PEM keys and for `signer: "iam"`. */
  serviceAccount?: string;
  /** Numeric client ID, for .p12/PEM keys and keyless signers (the Admin-console link needs it). */
  clientId?: string;
  /** `key` (default, with keyFile) or `iam` (keyless: the IAM Credentials API signs). */
  signer?: "key" | "iam";
  /** The user the health check (/v1/doctor, /readyz) impersonates. */
  checkSubject: string;
  /** Token endpoint (default: the key's token_uri). */
  tokenUri?: string;
  /** Calendar API root (default Google's). */
  calendarRoot?: string;
}

/** Operational limits. */
export interface LimitsConfig {
  /** Largest accepted request body in bytes (default 65,536). */
  bodyBytes: number;
  /** Requests in flight per subject (default 4); more wait in line, up to `subjectQueue`. */
  subjectConcurrency: number;
  /** Requests waiting per subject before 429 (default 32). */
  subjectQueue: number;
  /**
   * A request budget per subject, shared by every caller (and by every replica when the cache is
   * Redis), e.g. to stay within Google's per-user quota; none by default.
   */
  subjectRate?: RateConfig;
  /** Timeout of every upstream call in ms (default 10,000). */
  upstreamTimeoutMs: number;
  /** How long SIGTERM waits for requests in flight in ms (default 10,000). */
  shutdownGraceMs: number;
  /**
   * How long a client may take to send a whole request, headers and body, in ms (default 15,000;
   * headers within 10,000 at most): a slower one gets 408 and its connection is closed, so clients
   * that trickle bytes cannot hold the server's connections.
   */
  requestTimeoutMs?: number | undefined;
}

/** A validated configuration. */
export interface ServerConfig {
  listen: { host: string; port: number };
  /** A second listener for operators: the doctor without a token, /metrics, the probes. */
  admin?: { host: string; port: number };
  delegation: DelegationConfig;
  callers: CallerConfig[];
  subjectLists: Record<string, string[]>;
  /** `memory` or a `redis://` URL. */
  cache: string;
  /** `stdout` or `{ file }`. */
  audit: "stdout" | { file: string };
  limits: LimitsConfig;
  /** The availability mirror (off when absent): users kept in sync through Google's push notifications. */
  mirror?: MirrorConfig;
}

const scopePattern = "^https://www\\.googleapis\\.com/auth/[a-z.]+$";

const rateSchema: Schema = {
  type: "object",
  description:
    "Request budget of the caller: `requests` per `per`; over it the caller gets 429 with Retry-After",
  required: ["requests", "per"],
  additionalProperties: false,
  properties: {
    requests: { type: "integer", minimum: 1, maximum: 1_000_000, description: "How many requests" },
    per: { type: "string", enum: ["second", "minute", "hour"], description: "Per which period" },
  },
};

/** JSON Schema of the configuration file (dwd-server.schema.json is written from it). */
export const configSchema: Schema = {
  type: "object",
  description: "dwd-server configuration",
  required: ["delegation", "callers"],
  additionalProperties: false,
  properties: {
    $schema: {
      type: "string",
      description: "Path or URL of this schema (editors use it for completion)",
    },
    listen: {
      type: "object",
      description: "Where to listen",
      additionalProperties: false,
      properties: {
        host: {
          type: "string",
          minLength: 1,
          default: "127.0.0.1",
          description:
            "Interface to bind; 127.0.0.1 by default (put a TLS proxy in front for anything else)",
        },
        port: {
          type: "integer",
          minimum: 0,
          maximum: 65535,
          default: 8080,
          description: "TCP port; 0 picks a free one",
        },
      },
    },
    admin: {
      type: "object",
      description:
        "A second listener for operators only (keep it off the callers' network): the doctor page and /v1/doctor without a token, /metrics, /healthz, /readyz",
      required: ["port"],
      additionalProperties: false,
      properties: {
        host: { type: "string", minLength: 1, default: "127.0.0.1", description: "Interface" },
        port: { type: "integer", minimum: 0, maximum: 65535, description: "TCP port; 0 picks one" },
      },
    },
    delegation: {
      type: "object",
      description: "The service account with domain-wide delegation that dwd-server acts through",
      required: ["checkSubject"],
      additionalProperties: false,
      properties: {
        keyFile: {
          type: "string",
          minLength: 1,
          description:
            "Path of the service account's key file (JSON, .p12 or PEM), relative to the config file",
        },
        signer: {
          type: "string",
          enum: ["key", "iam"],
          default: "key",
          description:
            '"key" signs with keyFile; "iam" is keyless (IAM Credentials signJwt) and needs serviceAccount',
        },
        serviceAccount: {
          type: "string",
          format: "email",
          description: 'The service account\'s email (for .p12/PEM keys and for signer "iam")',
        },
        clientId: {
          type: "string",
          pattern: "^[0-9]{10,30}$",
          description: "numeric OAuth2 client ID, the service account's Unique ID",
        },
        checkSubject: {
          type: "string",
          format: "email",
          description: "A user of the domain the health check impersonates (/v1/doctor, /readyz)",
        },
        tokenUri: {
          type: "string",
          format: "uri",
          description: "Token endpoint; default: the key's token_uri",
        },
        calendarRoot: {
          type: "string",
          format: "uri",
          description: "Calendar API root; default https://www.googleapis.com/calendar/v3",
        },
      },
    },
    callers: {
      type: "array",
      minItems: 1,
      description: "The applications allowed to call; everything else is refused",
      items: {
        type: "object",
        required: ["name", "subjects", "operations", "scopes"],
        additionalProperties: false,
        properties: {
          name: {
            type: "string",
            pattern: "^[A-Za-z0-9._-]{1,64}$",
            description: "letters, digits, dot, dash, underscore; at most 64",
          },
          tokenSha256: {
            type: "string",
            pattern: "^[0-9a-f]{64}$",
            description: "64 lower-case hex digits",
          },
          identity: identitySchema,
          subjects: {
            type: "array",
            minItems: 1,
            description:
              'Who the caller may act as: "ana@example.com", "*@example.com" or "list:NAME"',
            items: {
              type: "string",
              pattern:
                "^(list:[A-Za-z0-9._-]+|\\*@[^@\\s]+\\.[^@\\s]+|[^@\\s*]+@[^@\\s]+\\.[^@\\s]+)$",
              description: 'an email, "*@domain" or "list:NAME"',
            },
          },
          operations: {
            type: "array",
            minItems: 1,
            description: "What the caller may call",
            items: { type: "string", enum: operations },
          },
          scopes: {
            type: "array",
            minItems: 1,
            description: "The OAuth scopes the caller may cause to be used",
            items: {
              type: "string",
              pattern: scopePattern,
              description: "a Google OAuth scope URL",
            },
          },
          rate: rateSchema,
          calendars: {
            type: "array",
            maxItems: 1000,
            description:
              'Calendars beyond the subject\'s own ("primary" and its email) the caller may reach: a calendar ID, "*@domain" (e.g. "*@resource.calendar.google.com") or "*" for any; none by default',
            items: {
              type: "string",
              pattern: "^(\\*|\\*@[^@\\s]+|[^*\\s]+)$",
              maxLength: 1024,
              description: 'a calendar ID, "*@domain" or "*"',
            },
          },
        },
      },
    },
    subjectLists: {
      type: "object",
      description: 'Named lists of users, referenced from a caller\'s subjects as "list:NAME"',
      additionalProperties: { type: "array", items: { type: "string", format: "email" } },
    },
    cache: {
      type: "string",
      pattern: "^(memory|rediss?://.+)$",
      default: "memory",
      description:
        '"memory" or a redis:// URL shared by replicas (tokens are encrypted with DWD_CACHE_KEY)',
    },
    audit: {
      oneOf: [
        { type: "string", enum: ["stdout"] },
        {
          type: "object",
          required: ["file"],
          additionalProperties: false,
          properties: { file: { type: "string", minLength: 1 } },
        },
      ],
      description: 'Where audit lines go: "stdout" (default) or { "file": "audit.log" }',
    },
    mirror: {
      type: "object",
      description:
        "The availability mirror (off when absent): dwd-server watches these users' primary calendars (events.watch), keeps their busy times in sync through Google's push notifications and sync tokens, and answers /v1/availability and /v1/freebusy for them without calling Google",
      required: ["users", "pushUrl"],
      additionalProperties: false,
      properties: {
        users: {
          type: "array",
          minItems: 1,
          maxItems: 100_000,
          description:
            'Who is mirrored: emails ("ana@example.com") and named lists ("list:NAME", a subjectLists entry)',
          items: {
            type: "string",
            pattern: "^(list:[A-Za-z0-9._-]+|[^@\\s*]+@[^@\\s]+\\.[^@\\s]+)$",
            description: 'an email or "list:NAME"',
          },
        },
        pushUrl: {
          type: "string",
          format: "uri",
          maxLength: 2048,
          description:
            'The public HTTPS address Google posts notifications to: this server\'s /v1/push behind its TLS proxy, e.g. "https://dwd.example.com/v1/push" (http only on a loopback address, for the emulator)',
        },
        horizonDays: {
          type: "integer",
          minimum: 1,
          maximum: 365,
          default: 90,
          description: "Days ahead kept in the mirror; ranges reaching past it are asked of Google",
        },
        channelTtlHours: {
          type: "integer",
          minimum: 1,
          maximum: 720,
          default: 168,
          description:
            "Lifetime asked of each watch channel in hours (Google caps it; channels are renewed before they expire)",
        },
        reconcileMinutes: {
          type: "number",
          minimum: 0.1,
          maximum: 1440,
          default: 15,
          description:
            "Longest time in minutes a user goes without a sync (fractions allowed, e.g. 0.5): a reconcile pass, ten times an interval, syncs each user whose last sync is older, so a lost notification costs freshness, never correctness",
        },
        callsPerSecond: {
          type: "number",
          minimum: 0.1,
          maximum: 1000,
          default: 10,
          description:
            "Google calls per second the mirror makes at most (start-up, renewals, reconcile), so many users do not trip Google's quotas",
        },
      },
    },
    limits: {
      type: "object",
      description: "Operational limits",
      additionalProperties: false,
      properties: {
        bodyBytes: {
          type: "integer",
          minimum: 256,
          maximum: 10_000_000,
          default: 65536,
          description: "Largest request body in bytes",
        },
        subjectConcurrency: {
          type: "integer",
          minimum: 1,
          maximum: 1000,
          default: 4,
          description: "Requests in flight per subject",
        },
        subjectQueue: {
          type: "integer",
          minimum: 0,
          maximum: 100_000,
          default: 32,
          description: "Requests waiting per subject before 429",
        },
        subjectRate: {
          ...rateSchema,
          description:
            "Request budget per subject, shared by every caller (and every replica with a Redis cache), e.g. Google's per-user quota; over it 429 with Retry-After. None by default",
        },
        upstreamTimeoutMs: {
          type: "integer",
          minimum: 100,
          maximum: 300_000,
          default: 10000,
          description: "Timeout of every call to Google in ms",
        },
        shutdownGraceMs: {
          type: "integer",
          minimum: 0,
          maximum: 600_000,
          default: 10000,
          description: "How long SIGTERM waits for requests in flight",
        },
        requestTimeoutMs: {
          type: "integer",
          minimum: 100,
          maximum: 600_000,
          default: 15000,
          description:
            "How long a client may take to send a whole request (headers within 10 s at most); a slower one gets 408 and its connection is closed",
        },
      },
    },
  },
};

/** Fixes for the fields whose problem has one obvious remedy; other fields get their schema description. */
const fixes: [RegExp, string][] = [
  [
    /^callers\[\d+\]$/,
    'Give the caller "tokenSha256" (printf %s "$TOKEN" | dwd-server hash-token) or an "identity" (issuer, audience, subjects or emails)',
  ],
  [
    /tokenSha256$/,
    'Run `printf %s "$TOKEN" | dwd-server hash-token` and paste the 64 hex digits it prints (never the token itself)',
  ],
  [
    /subjects\[\d+\]$/,
    'Write an email ("ana@example.com"), a whole domain ("*@example.com") or a named list ("list:sales")',
  ],
  [/operations\[\d+\]$/, `Use one of: ${operations.join(", ")}`],
  [
    /scopes\[\d+\]$/,
    'Write the full scope URL, e.g. "https://www.googleapis.com/auth/calendar.readonly"',
  ],
  [
    /^mirror\.users\[\d+\]$/,
    'Write an email ("ana@example.com") or a named list ("list:sales") defined in "subjectLists"',
  ],
  [
    /^mirror\.pushUrl$/,
    'Write the public HTTPS address of this server\'s /v1/push, e.g. "https://dwd.example.com/v1/push" (http only for 127.0.0.1, ::1 or localhost)',
  ],
  [/^cache$/, 'Write "memory" or a Redis URL such as "redis://127.0.0.1:6379"'],
  [
    /^delegation$/,
    'Add "delegation": { "keyFile": "key.json", "checkSubject": "someone@your-domain" }',
  ],
];

/** A configuration that cannot be used: the field, the problem and the fix. */
export class ConfigError extends Error {
  /** Stable code. */
  readonly code = "invalid_config";
  /** Every issue found. */
  readonly issues: (SchemaIssue & { fix: string })[];
  /** The fix of the first issue. */
  readonly hint: string;

  /**
   * @param source the config file's name
   * @param issues the issues, each with a fix
   */
  constructor(source: string, issues: (SchemaIssue & { fix: string })[]) {
    const first = issues[0] ?? {
      field: "(root)",
      problem: "is invalid",
      fix: "See dwd-server.schema.json",
    };
    const more =
      issues.length > 1
        ? ` (and ${issues.length - 1} more: ${issues
            .slice(1)
            .map((i) => `"${i.field}" ${i.problem}`)
            .join("; ")})`
        : "";
    super(`Cannot use the configuration "${source}": "${first.field}" ${first.problem}${more}`);
    this.name = "ConfigError";
    this.issues = issues;
    this.hint = first.fix;
  }
}

function fixFor(field: string): string {
  for (const [pattern, fix] of fixes) if (pattern.test(field)) return fix;
  let schema: Schema | undefined = configSchema;
  for (const part of field
    .replace(/\[\d+\]/g, ".[]")
    .split(".")
    .filter((p) => p !== "")) {
    schema =
      part === "[]"
        ? schema?.items
        : ((schema?.properties !== undefined && Object.hasOwn(schema.properties, part)
            ? schema.properties[part]
            : undefined) ??
          (typeof schema?.additionalProperties === "object"
            ? schema.additionalProperties
            : undefined));
  }
  return schema?.description
    ? `Set "${field}" to ${schema.description.charAt(0).toLowerCase()}${schema.description.slice(1)}`
    : "Remove the field or correct it (dwd-server.schema.json lists every field)";
}

function semanticIssues(config: ServerConfig): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const d = config.delegation;
  if ((d.signer ?? "key") === "key" && d.keyFile === undefined)
    issues.push({ field: "delegation.keyFile", problem: 'is required unless "signer" is "iam"' });
  if (d.signer === "iam" && d.serviceAccount === undefined)
    issues.push({
      field: "delegation.serviceAccount",
      problem: 'is required with "signer": "iam"',
    });
  if (d.signer === "iam" && d.keyFile !== undefined)
    issues.push({
      field: "delegation.keyFile",
      problem: 'must not be set with "signer": "iam" (keyless)',
    });
  const names = new Set<string>();
  const hashes = new Set<string>();
  const identities = new Map<string, string>();
  const jwksUris = new Map<string, string>();
  config.callers.forEach((caller, i) => {
    if (names.has(caller.name))
      issues.push({ field: `callers[${i}].name`, problem: `repeats "${caller.name}"` });
    if (caller.tokenSha256 !== undefined && hashes.has(caller.tokenSha256))
      issues.push({
        field: `callers[${i}].tokenSha256`,
        problem: "is the same as another caller's",
      });
    names.add(caller.name);
    if (caller.tokenSha256 !== undefined) hashes.add(caller.tokenSha256);
    if ((caller.tokenSha256 === undefined) === (caller.identity === undefined))
      issues.push({
        field: `callers[${i}]`,
        problem:
          caller.identity === undefined
            ? 'has neither "tokenSha256" nor "identity": give one, so the caller can prove who it is'
            : 'has both "tokenSha256" and "identity": give one',
      });
    if (caller.identity !== undefined) {
      const id = caller.identity;
      issues.push(...identityIssues(id, `callers[${i}].identity`));
      const issuer = canonicalIssuer(id.issuer);
      for (const who of [
        ...(id.subjects ?? []).map((s) => `sub ${s}`),
        ...(id.emails ?? []).map((e) => `email ${e.toLowerCase()}`),
      ]) {
        const key = `${issuer}\n${id.audience}\n${who}`;
        const other = identities.get(key);
        if (other !== undefined)
          issues.push({
            field: `callers[${i}].identity`,
            problem: `names ${who} for audience "${id.audience}", as caller "${other}" does: one identity, one caller`,
          });
        else identities.set(key, caller.name);
      }
      const uri = jwksUris.get(issuer);
      if (uri !== undefined && uri !== (id.jwksUri ?? ""))
        issues.push({
          field: `callers[${i}].identity.jwksUri`,
          problem: `differs from another caller's for the issuer "${issuer}": one issuer, one key set`,
        });
      jwksUris.set(issuer, id.jwksUri ?? "");
    }
    caller.subjects.forEach((s, j) => {
      if (s.startsWith("list:") && !Object.hasOwn(config.subjectLists, s.slice(5))) {
        issues.push({
          field: `callers[${i}].subjects[${j}]`,
          problem: `names the list "${s.slice(5)}", which "subjectLists" does not define`,
        });
      }
    });
  });
  config.mirror?.users.forEach((s, j) => {
    if (s.startsWith("list:") && !Object.hasOwn(config.subjectLists, s.slice(5)))
      issues.push({
        field: `mirror.users[${j}]`,
        problem: `names the list "${s.slice(5)}", which "subjectLists" does not define`,
      });
  });
  if (config.mirror !== undefined) {
    const problem = pushUrlProblem(config.mirror.pushUrl);
    if (problem !== undefined) issues.push({ field: "mirror.pushUrl", problem });
  }
  return issues;
}

/** Whether `host` (a URL's hostname) is this machine: 127.0.0.0/8, ::1 or localhost. */
function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]" || host === "localhost";
}

/**
 * What is wrong with a push address, if anything: Google posts only to HTTPS (the emulator to
 * loopback http too), to a path of this server ending in /v1/push.
 */
function pushUrlProblem(pushUrl: string): string | undefined {
  const url = URL.parse(pushUrl);
  if (url === null) return `must be a URL, got "${pushUrl}"`;
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname)))
    return `must be an https:// URL (Google posts notifications only over HTTPS; http is allowed on a loopback address), got "${pushUrl}"`;
  if (url.username !== "" || url.password !== "" || url.hash !== "")
    return `must not carry a user, password or #fragment, got "${pushUrl}"`;
  if (!url.pathname.endsWith("/v1/push"))
    return `must be this server's /v1/push (its path ends in /v1/push), got the path "${url.pathname}"`;
  return undefined;
}

/**
 * The mirrored users' emails: `list:NAME` entries expanded, lower-cased, each once, in order.
 *
 * @param config a validated configuration
 * @returns the emails (none when the mirror is off)
 */
export function mirrorSubjects(config: Pick<ServerConfig, "mirror" | "subjectLists">): string[] {
  const out = new Set<string>();
  for (const entry of config.mirror?.users ?? []) {
    const emails = entry.startsWith("list:")
      ? (config.subjectLists[entry.slice(5)] ?? [])
      : [entry];
    for (const email of emails) out.add(email.toLowerCase());
  }
  return [...out];
}

/**
 * Validates a parsed configuration file and fills in defaults.
 *
 * @param json the parsed JSON
 * @param source the file's name, for messages
 * @returns the configuration
 * @throws {ConfigError} with every field that is wrong, each with the problem and the fix
 * @example
 * ```ts
 * const config = parseConfig(JSON.parse(await readFile("dwd-server.json", "utf8")), "dwd-server.json");
 * ```
 */
export function parseConfig(json: unknown, source: string): ServerConfig {
  const withFix = (issues: SchemaIssue[]): (SchemaIssue & { fix: string })[] =>
    issues.map((i) => ({ ...i, fix: fixFor(i.field) }));
  const issues = validate(configSchema, json);
  if (issues.length > 0) throw new ConfigError(source, withFix(issues));
  const raw = json as Partial<ServerConfig> & Pick<ServerConfig, "delegation" | "callers">;
  const config: ServerConfig = {
    listen: { host: raw.listen?.host ?? "127.0.0.1", port: raw.listen?.port ?? 8080 },
    ...(raw.admin !== undefined
      ? { admin: { host: raw.admin.host ?? "127.0.0.1", port: raw.admin.port } }
      : {}),
    delegation: raw.delegation,
    callers: raw.callers,
    subjectLists: raw.subjectLists ?? {},
    cache: raw.cache ?? "memory",
    audit: raw.audit ?? "stdout",
    limits: {
      bodyBytes: raw.limits?.bodyBytes ?? 65536,
      subjectConcurrency: raw.limits?.subjectConcurrency ?? 4,
      subjectQueue: raw.limits?.subjectQueue ?? 32,
      ...(raw.limits?.subjectRate !== undefined ? { subjectRate: raw.limits.subjectRate } : {}),
      upstreamTimeoutMs: raw.limits?.upstreamTimeoutMs ?? 10_000,
      shutdownGraceMs: raw.limits?.shutdownGraceMs ?? 10_000,
      requestTimeoutMs: raw.limits?.requestTimeoutMs ?? 15_000,
    },
    ...(raw.mirror !== undefined
      ? {
          mirror: {
            users: raw.mirror.users,
            pushUrl: raw.mirror.pushUrl,
            horizonDays: raw.mirror.horizonDays ?? 90,
            channelTtlHours: raw.mirror.channelTtlHours ?? 168,
            reconcileMinutes: raw.mirror.reconcileMinutes ?? 15,
            callsPerSecond: raw.mirror.callsPerSecond ?? 10,
          },
        }
      : {}),
  };
  const more = semanticIssues(config);
  if (more.length > 0) throw new ConfigError(source, withFix(more));
  return config;
}
