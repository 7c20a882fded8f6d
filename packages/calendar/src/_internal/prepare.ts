import { callOptionNames } from "../call-types.ts";
import type { CallOptions, PreparedCall } from "../call-types.ts";
import { defaultScopeFor } from "../method-scopes.ts";
import type { MethodSpec } from "../method-spec.ts";
import { isEventId, newEventId } from "./event-id.ts";

/** Who a builder acts as, and with which scopes. */
export interface Principal {
  subject?: string | undefined;
  /** The client's scopes; absent means "each method's default". */
  scopes?: readonly string[] | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function scalar(spec: MethodSpec, name: string, value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  throw new TypeError(
    `${spec.id}: parameter "${name}" must be a string, number or boolean (got ${typeof value})`,
  );
}

/**
 * Turns the arguments of a typed method call — positional parameters in discovery `parameterOrder`,
 * the body when the method has one, then one object of query parameters and call options — into a
 * {@link PreparedCall}.
 *
 * @throws {TypeError} for a missing positional parameter, a missing body, or an unknown parameter name
 */
export function prepare(
  spec: MethodSpec,
  args: readonly unknown[],
  principal: Principal,
): PreparedCall<unknown> {
  const key = `${spec.resource}.${spec.name}`;
  const positional = spec.parameterOrder.map((name, i) => {
    const value = args[i];
    if (typeof value !== "string" || value === "")
      throw new TypeError(`${key}() needs ${name} as argument ${i + 1} (a non-empty string)`);
    return value;
  });
  let next = spec.parameterOrder.length;
  let body: unknown;
  if (spec.request !== undefined) {
    body = args[next++];
    if (!isRecord(body))
      throw new TypeError(`${key}() needs the request body (${spec.request}) as argument ${next}`);
  }
  const params = args[next] ?? {};
  if (!isRecord(params))
    throw new TypeError(`${key}(): argument ${next + 1} must be an object of parameters`);

  const options: CallOptions = {};
  const query: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (callOptionNames.has(name)) {
      (options as Record<string, unknown>)[name] = value;
      continue;
    }
    if (!spec.query.includes(name)) {
      const known = spec.query.length > 0 ? spec.query.map((q) => `"${q}"`).join(", ") : "none";
      throw new TypeError(
        `${key}() has no parameter "${name}": it takes ${known}, and the options ${[...callOptionNames].join(", ")}`,
      );
    }
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && spec.repeated.includes(name))
      for (const v of value) query.push([name, scalar(spec, name, v)]);
    else query.push([name, scalar(spec, name, value)]);
  }
  for (const name of spec.positionalQuery)
    query.push([name, positional[spec.parameterOrder.indexOf(name)]!]);
  if (options.fields !== undefined) query.push(["fields", options.fields]);
  if (options.quotaUser !== undefined) query.push(["quotaUser", options.quotaUser]);

  let path = spec.path;
  spec.parameterOrder.forEach((name, i) => {
    path = path.replace(`{${name}}`, encodeURIComponent(positional[i]!));
  });

  if (spec.id === "calendar.events.insert") {
    // A client-chosen id makes the insert safe to repeat: a retry that finds it stored resolves to it.
    const event = body as { id?: unknown };
    if (event.id === undefined || event.id === null) body = { ...event, id: newEventId() };
    else if (typeof event.id !== "string" || !isEventId(event.id)) {
      throw new TypeError(
        `events.insert(): event id ${JSON.stringify(event.id)} is not 5–1024 characters of base32hex (0-9, a-v)`,
      );
    }
  }

  const subject = options.subject ?? principal.subject;
  const scopes = options.scopes ?? principal.scopes ?? [defaultScopeFor(spec.id)];
  const calendarIndex = spec.parameterOrder.indexOf("calendarId");
  return {
    spec,
    path,
    query,
    ...(body !== undefined ? { body } : {}),
    ...(subject !== undefined ? { subject } : {}),
    scopes,
    options,
    ...(calendarIndex >= 0 ? { calendarId: positional[calendarIndex] } : {}),
  };
}
