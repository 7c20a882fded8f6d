// Admin SDK Directory API error answers, in Google's legacy envelope ({error: {errors, code, message}}),
// with the messages Google sends: "Not Authorized to access this resource/api" for a caller who is not an
// admin (or a domain that is not the caller's), "Resource Not Found: groupKey" for an unknown group.
import { apiHeaders } from "./headers.ts";

function legacy(code: number, reason: string, message: string, nowMs: number): Response {
  const body = { error: { errors: [{ domain: "global", reason, message }], code, message } };
  return new Response(JSON.stringify(body), { status: code, headers: apiHeaders(nowMs) });
}

/** 403: the acting user is not an admin with the privilege, or asked about another customer's domain. */
export function notAuthorized(nowMs: number): Response {
  return legacy(403, "forbidden", "Not Authorized to access this resource/api", nowMs);
}

/** 404: no such resource; `key` names the path parameter (`groupKey`, `userKey`). */
export function resourceNotFound(key: string, nowMs: number): Response {
  return legacy(404, "notFound", `Resource Not Found: ${key}`, nowMs);
}

/** 400: users.list without `customer` or `domain`, as Google answers it. */
export function badRequest(nowMs: number): Response {
  return legacy(400, "badRequest", "Bad Request", nowMs);
}

/** 400: a parameter (`query`, `maxResults`, `pageToken`) Google would not take. */
export function invalidInput(parameter: string | undefined, nowMs: number): Response {
  return legacy(
    400,
    "invalid",
    parameter === undefined ? "Invalid Input" : `Invalid Input: ${parameter}`,
    nowMs,
  );
}
