/**
 * The API's routes, declared once: the same objects validate requests (pipeline.ts) and generate
 * /openapi.json ({@link openApiDocument}).
 *
 * @module
 */

import type { Schema } from "./_internal/schema.ts";
import type { Operation } from "./operations.ts";

/** One route. */
export interface RouteDef {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path template, e.g. `/v1/users/{subject}/calendarList/{calendarId}`. */
  path: string;
  operationId: string;
  summary: string;
  /** The policy operation; absent for public operational routes. */
  operation?: Operation;
  /** Path parameters (all strings). */
  pathParams?: Record<string, Schema>;
  /** Query parameters. */
  query?: Record<string, Schema>;
  /** Request headers the route reads. */
  headers?: Record<string, Schema>;
  /** JSON body. */
  body?: Schema;
  /** The success answer. */
  response: { status: number; contentType: string; schema?: Schema; description: string };
  /** Problem answers of a route without a policy operation (guarded routes share theirs), by status. */
  problems?: Record<string, string>;
}

const email: Schema = {
  type: "string",
  format: "email",
  maxLength: 254,
  description: "A user's email address",
};
const dateTime: Schema = { type: "string", format: "date-time" };
const calendarId: Schema = {
  type: "string",
  minLength: 1,
  maxLength: 1024,
  description: 'A calendar ID, e.g. "primary" or an email',
};
const eventId: Schema = { type: "string", minLength: 1, maxLength: 1024 };
const subjects: Schema = {
  type: "array",
  items: email,
  minItems: 1,
  maxItems: 50,
  description: "Users to act as, one token each",
};
const interval: Schema = {
  type: "object",
  required: ["start", "end"],
  properties: { start: dateTime, end: dateTime },
};
const event: Schema = {
  type: "object",
  description: "A Calendar event (Google's Events resource); passed to Google as given",
  additionalProperties: true,
  properties: {
    summary: { type: "string", maxLength: 1024 },
    description: { type: "string", maxLength: 8192 },
    location: { type: "string", maxLength: 1024 },
    start: {
      type: "object",
      additionalProperties: true,
      properties: {
        dateTime,
        date: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
        timeZone: { type: "string" },
      },
    },
    end: {
      type: "object",
      additionalProperties: true,
      properties: {
        dateTime,
        date: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
        timeZone: { type: "string" },
      },
    },
    attendees: {
      type: "array",
      maxItems: 200,
      items: {
        type: "object",
        required: ["email"],
        additionalProperties: true,
        properties: { email },
      },
    },
  },
};
const anyObject: Schema = { type: "object", additionalProperties: true };
const fresh: Schema = {
  type: "boolean",
  default: false,
  description:
    "true: ask Google for every subject, even those the mirror keeps (default: mirrored subjects are answered from the mirror)",
};
const source: Schema = {
  type: "string",
  enum: ["mirror", "google"],
  description: '"mirror": answered from the mirror, without a call to Google; "google": asked now',
};
const asOf: Schema = {
  ...dateTime,
  description: "When the answer matched Google: the mirror's last sync of the user, or now",
};
const sendUpdates: Schema = { type: "string", enum: ["all", "externalOnly", "none"] };
const conferenceDataVersion: Schema = {
  type: "integer",
  enum: [0, 1],
  description: "1 to create or keep conferenceData (a Meet link: conferenceData.createRequest)",
};
const eventWrite = { sendUpdates, conferenceDataVersion };
const subjectPath = { subject: email };

/** Every route of the API, in the order /openapi.json lists them. */
export const routes: readonly RouteDef[] = [
  {
    method: "get",
    path: "/v1/users/{subject}/calendarList/{calendarId}",
    operationId: "calendarListGet",
    summary: "One entry of the subject's calendar list (calendarList.get as the subject)",
    operation: "calendarList.get",
    pathParams: { ...subjectPath, calendarId },
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "Google's CalendarListEntry",
    },
  },
  {
    method: "get",
    path: "/v1/users/{subject}/calendars/{calendarId}/events",
    operationId: "eventsList",
    summary: "One page of events (events.list as the subject)",
    operation: "events.list",
    pathParams: { ...subjectPath, calendarId },
    query: {
      timeMin: dateTime,
      timeMax: dateTime,
      q: { type: "string", maxLength: 1024, description: "Free-text search" },
      maxResults: { type: "integer", minimum: 1, maximum: 2500 },
      pageToken: { type: "string", maxLength: 4096 },
      singleEvents: { type: "boolean" },
      orderBy: { type: "string", enum: ["startTime", "updated"] },
    },
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "Google's Events page (items, nextPageToken)",
    },
  },
  {
    method: "post",
    path: "/v1/users/{subject}/calendars/{calendarId}/events",
    operationId: "eventsInsert",
    summary: "Creates an event as the subject; with Idempotency-Key a retried insert lands once",
    operation: "events.insert",
    pathParams: { ...subjectPath, calendarId },
    query: eventWrite,
    headers: {
      "idempotency-key": {
        type: "string",
        minLength: 1,
        maxLength: 255,
        description:
          "Client-chosen key, scoped to the caller and route (draft-ietf-httpapi-idempotency-key-header; a bare token or a quoted string): the same key and request replay the first answer for 24 h, another request with it is 422, a second while the first runs is 409; the event ID is derived from it",
      },
    },
    body: { ...event, required: ["start", "end"] },
    response: {
      status: 201,
      contentType: "application/json",
      schema: anyObject,
      description:
        "The created event (200 and `Idempotent-Replayed: true` when the key was used before)",
    },
  },
  {
    method: "patch",
    path: "/v1/users/{subject}/calendars/{calendarId}/events/{eventId}",
    operationId: "eventsPatch",
    summary: "Changes fields of an event as the subject",
    operation: "events.patch",
    pathParams: { ...subjectPath, calendarId, eventId },
    query: eventWrite,
    body: event,
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "The event",
    },
  },
  {
    method: "get",
    path: "/v1/users/{subject}/calendars/{calendarId}/events/{eventId}",
    operationId: "eventsGet",
    summary: "One event as the subject",
    operation: "events.get",
    pathParams: { ...subjectPath, calendarId, eventId },
    query: {
      timeZone: { type: "string", maxLength: 64 },
      maxAttendees: { type: "integer", minimum: 1, maximum: 1000 },
    },
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "The event",
    },
  },
  {
    method: "put",
    path: "/v1/users/{subject}/calendars/{calendarId}/events/{eventId}",
    operationId: "eventsUpdate",
    summary: "Replaces an event as the subject",
    operation: "events.update",
    pathParams: { ...subjectPath, calendarId, eventId },
    query: eventWrite,
    body: { ...event, required: ["start", "end"] },
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "The event",
    },
  },
  {
    method: "post",
    path: "/v1/users/{subject}/calendars/{calendarId}/events/{eventId}/move",
    operationId: "eventsMove",
    summary:
      "Moves an event to another calendar (destination): both calendars must be within the caller's policy",
    operation: "events.move",
    pathParams: { ...subjectPath, calendarId, eventId },
    query: {
      destination: { ...calendarId, description: "The calendar to move to (required)" },
      sendUpdates,
    },
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "The moved event",
    },
  },
  {
    method: "get",
    path: "/v1/users/{subject}/calendars/{calendarId}/events/{eventId}/instances",
    operationId: "eventsInstances",
    summary: "One page of a recurring event's instances as the subject",
    operation: "events.instances",
    pathParams: { ...subjectPath, calendarId, eventId },
    query: {
      timeMin: dateTime,
      timeMax: dateTime,
      maxResults: { type: "integer", minimum: 1, maximum: 2500 },
      pageToken: { type: "string", maxLength: 4096 },
      timeZone: { type: "string", maxLength: 64 },
    },
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "Google's Events page of instances",
    },
  },
  {
    method: "delete",
    path: "/v1/users/{subject}/calendars/{calendarId}/events/{eventId}",
    operationId: "eventsDelete",
    summary: "Deletes an event as the subject",
    operation: "events.delete",
    pathParams: { ...subjectPath, calendarId, eventId },
    query: { sendUpdates: { type: "string", enum: ["all", "externalOnly", "none"] } },
    response: { status: 204, contentType: "application/json", description: "Deleted" },
  },
  {
    method: "post",
    path: "/v1/freebusy",
    operationId: "freebusy",
    summary: "Busy intervals of many users over one range (one token per user)",
    operation: "freebusy",
    body: {
      type: "object",
      required: ["subjects", "timeMin", "timeMax"],
      additionalProperties: false,
      properties: { subjects, timeMin: dateTime, timeMax: dateTime, fresh },
    },
    response: {
      status: 200,
      contentType: "application/json",
      description: "Each subject's busy intervals",
      schema: {
        type: "object",
        properties: {
          timeMin: dateTime,
          timeMax: dateTime,
          subjects: {
            type: "object",
            additionalProperties: {
              type: "object",
              properties: {
                busy: { type: "array", items: interval },
                error: anyObject,
                source,
                asOf,
              },
            },
          },
        },
      },
    },
  },
  {
    method: "post",
    path: "/v1/availability",
    operationId: "availability",
    summary:
      "The slots in a range when all (or at least minAttendees) subjects are free, inside working hours",
    operation: "availability",
    body: {
      type: "object",
      required: ["subjects", "timeMin", "timeMax", "durationMinutes", "timeZone"],
      additionalProperties: false,
      properties: {
        subjects,
        timeMin: dateTime,
        timeMax: dateTime,
        durationMinutes: { type: "integer", minimum: 5, maximum: 1440 },
        stepMinutes: {
          type: "integer",
          minimum: 5,
          maximum: 1440,
          default: 15,
          description: "Distance between candidate starts",
        },
        timeZone: {
          type: "string",
          minLength: 1,
          maxLength: 64,
          description: 'IANA time zone of the working hours, e.g. "Europe/Berlin"',
        },
        workingHours: {
          type: "object",
          additionalProperties: false,
          properties: {
            start: {
              type: "string",
              pattern: "^([01]\\d|2[0-3]):[0-5]\\d$",
              default: "09:00",
              description: "HH:MM",
            },
            end: {
              type: "string",
              pattern: "^([01]\\d|2[0-4]):[0-5]\\d$",
              default: "17:00",
              description: "HH:MM",
            },
            days: {
              type: "array",
              minItems: 1,
              maxItems: 7,
              items: { type: "integer", minimum: 1, maximum: 7 },
              default: [1, 2, 3, 4, 5],
              description: "ISO weekdays, 1 = Monday",
            },
          },
        },
        minAttendees: {
          type: "integer",
          minimum: 1,
          maximum: 50,
          description: "Default: every subject",
        },
        maxSlots: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
        fresh,
      },
    },
    response: {
      status: 200,
      contentType: "application/json",
      description: "The common free slots",
      schema: {
        type: "object",
        properties: {
          slots: {
            type: "array",
            items: {
              type: "object",
              properties: {
                start: dateTime,
                end: dateTime,
                available: { type: "array", items: email },
              },
            },
          },
          sources: {
            type: "object",
            description: "Where each subject's busy times came from, and as of when",
            additionalProperties: { type: "object", properties: { source, asOf } },
          },
        },
      },
    },
  },
  {
    method: "post",
    path: "/v1/token",
    operationId: "token",
    summary: "A delegated access token (token broker, for apps that keep Google's own clients)",
    operation: "token",
    body: {
      type: "object",
      required: ["subject", "scopes"],
      additionalProperties: false,
      properties: {
        subject: email,
        scopes: {
          type: "array",
          minItems: 1,
          maxItems: 20,
          items: { type: "string", pattern: "^https://www\\.googleapis\\.com/auth/[a-z.]+$" },
        },
      },
    },
    response: {
      status: 200,
      contentType: "application/json",
      description: "The token",
      schema: {
        type: "object",
        properties: {
          accessToken: { type: "string" },
          tokenType: { type: "string" },
          expiresAt: dateTime,
          expiresIn: { type: "integer" },
          subject: email,
          scopes: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
  {
    method: "get",
    path: "/v1/doctor",
    operationId: "doctor",
    summary: 'The delegation\'s health checks (a caller allowed "doctor"; cached for a minute)',
    operation: "doctor",
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "The report (503 when a check fails)",
    },
  },
  {
    method: "get",
    path: "/",
    operationId: "doctorPage",
    summary: 'The delegation\'s health as an HTML page (a caller allowed "doctor")',
    operation: "doctor",
    response: { status: 200, contentType: "text/html", description: "The page" },
  },
  {
    method: "post",
    path: "/v1/push",
    operationId: "push",
    summary:
      "Google's push notifications for the mirror's watch channels (no caller token: the channel's own token, X-Goog-Channel-Token, is checked; the body is ignored)",
    headers: {
      "x-goog-channel-id": { type: "string", description: "The channel's ID (set by this server)" },
      "x-goog-channel-token": {
        type: "string",
        description: "The channel's secret token (set by this server; compared in constant time)",
      },
      "x-goog-resource-id": { type: "string", description: "Google's ID of the watched resource" },
      "x-goog-resource-state": {
        type: "string",
        enum: ["sync", "exists", "not_exists"],
        description: '"sync" for the channel\'s first message (ignored), then "exists"',
      },
      "x-goog-message-number": {
        type: "string",
        pattern: "^[0-9]+$",
        description:
          "Increases with each message of the channel; older or repeated ones are dropped",
      },
    },
    response: {
      status: 200,
      contentType: "text/plain",
      description:
        "Taken, with no body: accepted (the user is synced), the sync message, or a duplicate",
    },
    problems: {
      "404": "No channel of this server with that token (Google does not retry), or no mirror",
      "413": "A body longer than 4096 bytes",
      "429": "Over the notifications' budget (see Retry-After)",
    },
  },
  {
    method: "get",
    path: "/healthz",
    operationId: "healthz",
    summary: "Liveness",
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "Alive",
    },
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "readyz",
    summary: "Readiness: the delegation has been checked",
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "Ready (503 when not)",
    },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics",
    response: { status: 200, contentType: "text/plain; version=0.0.4", description: "Metrics" },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This document",
    response: {
      status: 200,
      contentType: "application/json",
      schema: anyObject,
      description: "OpenAPI 3.1",
    },
  },
];

const problemSchema: Schema = {
  type: "object",
  required: ["type", "title", "status", "detail", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
    hint: { type: "string" },
    googleReason: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: { field: { type: "string" }, problem: { type: "string" } },
      },
    },
  },
};

/**
 * OpenAPI 3.1 document generated from {@link routes}.
 *
 * @param version the server's version
 * @returns the document
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const problem = (description: string): unknown => ({
    description,
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  });
  for (const r of routes) {
    const parameters = [
      ...Object.entries(r.pathParams ?? {}).map(([name, schema]) => ({
        name,
        in: "path",
        required: true,
        schema,
      })),
      ...Object.entries(r.query ?? {}).map(([name, schema]) => ({
        name,
        in: "query",
        required: false,
        schema,
      })),
      ...Object.entries(r.headers ?? {}).map(([name, schema]) => ({
        name,
        in: "header",
        required: false,
        schema,
      })),
    ];
    const responses: Record<string, unknown> = {
      [String(r.response.status)]: {
        description: r.response.description,
        ...(r.response.schema
          ? { content: { [r.response.contentType]: { schema: r.response.schema } } }
          : {}),
      },
    };
    for (const [status, description] of Object.entries(r.problems ?? {}))
      responses[status] = problem(description);
    if (r.operation !== undefined) {
      Object.assign(responses, {
        "400": problem("The request is malformed (errors lists each field)"),
        "401": problem("No bearer token, or one that matches no caller"),
        "403": problem("The caller's policy does not allow this subject, operation or scope"),
        "429": problem(
          "Over the caller's rate (see Retry-After) or too many requests for one subject",
        ),
        "502": problem("Google refused or failed (code, hint and googleReason say why)"),
        "504": problem("Google did not answer in time"),
      });
    }
    paths[r.path] = {
      ...paths[r.path],
      [r.method]: {
        operationId: r.operationId,
        summary: r.summary,
        ...(r.operation !== undefined
          ? { "x-dwd-operation": r.operation, security: [{ bearer: [] }] }
          : { security: [] }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(r.body
          ? { requestBody: { required: true, content: { "application/json": { schema: r.body } } } }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "dwd-server",
      version,
      description:
        "Google Calendar with domain-wide delegation, behind a policy: who may act as whom, doing what",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
