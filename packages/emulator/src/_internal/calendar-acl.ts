import type { CalendarCall } from "./calendar-call.ts";
import {
  access,
  flag,
  ifMatchFails,
  listEtag,
  maxResultsOf,
  noContent,
  notModified,
  ok,
  paginate,
  readBody,
  readSyncToken,
  syncTokenFor,
} from "./calendar-call.ts";
import { calendarError, invalidValue, missingField, notFound } from "./calendar-errors.ts";
import type { AclRecord } from "./calendar-state.ts";
import { addToList, changed, etagOf, nextSeq, roles } from "./calendar-state.ts";
import { cleanResource } from "./discovery-schema.ts";

const scopeTypes = new Set(["default", "user", "group", "domain"]);

/** A `calendar#aclRule`; a deleted rule shows role `none`. */
export function aclRule(rule: AclRecord): Record<string, unknown> {
  const scope: Record<string, string> = { type: rule.scopeType };
  if (rule.scopeValue !== undefined) scope["value"] = rule.scopeValue;
  return {
    kind: "calendar#aclRule",
    etag: etagOf(rule.seq),
    id: rule.id,
    scope,
    role: rule.deleted ? "none" : rule.role,
  };
}

function cannotChangeOwn(call: CalendarCall): Response {
  return calendarError(
    403,
    "cannotChangeOwnAcl",
    "Cannot change your own access level.",
    call.now,
    { domain: "calendar" },
  );
}

/** acl.list: owner only; pages of 100 (max 250); deleted rules with showDeleted or in a sync. */
export function aclList(call: CalendarCall): Response {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  const max = maxResultsOf(call, 100, 250);
  if (max instanceof Response) return max;
  let showDeleted = flag(call, "showDeleted");
  if (showDeleted instanceof Response) return showDeleted;
  const key = `acl:${a.calendar.id}`;
  let rules = [...a.calendar.acl.values()];
  const sync = call.query.get("syncToken");
  if (sync !== null) {
    const since = readSyncToken(call, key, sync);
    if (typeof since !== "number") return since;
    rules = rules.filter((r) => r.seq > since);
    showDeleted = true;
  }
  if (!showDeleted) rules = rules.filter((r) => !r.deleted);
  const page = paginate(call, rules, max);
  if (page instanceof Response) return page;
  const body: Record<string, unknown> = {
    kind: "calendar#acl",
    etag: listEtag(key, call.data.version),
  };
  if (page.nextPageToken !== undefined) body["nextPageToken"] = page.nextPageToken;
  else body["nextSyncToken"] = syncTokenFor(call.data, key, page.snapshot);
  body["items"] = page.items.map(aclRule);
  return ok(call, body);
}

function findRule(call: CalendarCall, rules: Map<string, AclRecord>): AclRecord | undefined {
  const id = call.params["ruleId"] ?? "";
  const rule =
    rules.get(id) ?? [...rules.values()].find((r) => r.id.toLowerCase() === id.toLowerCase());
  return rule === undefined || rule.deleted ? undefined : rule;
}

/** acl.get: owner only. */
export function aclGet(call: CalendarCall): Response {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  const rule = findRule(call, a.calendar.acl);
  if (rule === undefined) return notFound(call.now);
  const res = aclRule(rule);
  return notModified(call, String(res["etag"])) ?? ok(call, res);
}

function readRole(call: CalendarCall, body: Record<string, unknown>): string | Response {
  const role = body["role"];
  if (role === undefined) return missingField("Missing role.", call.now);
  if (typeof role !== "string" || !roles.includes(role as never))
    return invalidValue("role", call.now);
  return role;
}

/** acl.insert: creates (or replaces) the rule for a scope; a user of the domain gets it in their list. */
export async function aclInsert(call: CalendarCall): Promise<Response> {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  const body = cleanResource(raw, "AclRule");
  const role = readRole(call, body);
  if (role instanceof Response) return role;
  const scope = body["scope"] as
    { type?: string | undefined; value?: string | undefined } | undefined;
  if (scope?.type === undefined) return missingField("Missing scope.", call.now);
  if (!scopeTypes.has(scope.type)) return invalidValue("scope.type", call.now);
  if (scope.type !== "default" && (scope.value === undefined || scope.value === ""))
    return missingField("Missing scope value.", call.now);
  const value = scope.type === "default" ? undefined : (scope.value ?? "").toLowerCase();
  if (scope.type === "user" && value === a.calendar.owner) return cannotChangeOwn(call);
  const id = value === undefined ? "default" : `${scope.type}:${value}`;
  const seq = nextSeq(call.data);
  const rule: AclRecord = { id, scopeType: scope.type, role, seq, deleted: false };
  if (value !== undefined) rule.scopeValue = value;
  a.calendar.acl.set(id, rule);
  changed(call.data, `acl:${a.calendar.id}`);
  if (
    scope.type === "user" &&
    value !== undefined &&
    call.data.calendars.has(value) &&
    role !== "none"
  ) {
    addToList(call.data, value, a.calendar.id, seq);
    changed(call.data, `calendarList:${value}`);
  }
  return ok(call, aclRule(rule));
}

async function rewrite(call: CalendarCall, replace: boolean): Promise<Response> {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  const rule = findRule(call, a.calendar.acl);
  if (rule === undefined) return notFound(call.now);
  const stale = ifMatchFails(call, etagOf(rule.seq));
  if (stale !== undefined) return stale;
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  const body = cleanResource(raw, "AclRule");
  const scope = body["scope"] as
    { type?: string | undefined; value?: string | undefined } | undefined;
  if (
    scope !== undefined &&
    (scope.type !== rule.scopeType || (scope.value ?? "").toLowerCase() !== (rule.scopeValue ?? ""))
  ) {
    return calendarError(400, "invalid", "Invalid Value", call.now);
  }
  if (replace || body["role"] !== undefined) {
    const role = readRole(call, body);
    if (role instanceof Response) return role;
    if (rule.scopeType === "user" && rule.scopeValue === a.calendar.owner)
      return cannotChangeOwn(call);
    rule.role = role;
  }
  rule.seq = nextSeq(call.data);
  changed(call.data, `acl:${a.calendar.id}`);
  return ok(call, aclRule(rule));
}

/** acl.update: replaces the rule's role. */
export function aclUpdate(call: CalendarCall): Promise<Response> {
  return rewrite(call, true);
}

/** acl.patch: changes the rule's role when given. */
export function aclPatch(call: CalendarCall): Promise<Response> {
  return rewrite(call, false);
}

/** acl.delete: the rule is gone (a sync reports it with role `none`); the owner's own rule stays. */
export function aclDelete(call: CalendarCall): Response {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  const rule = findRule(call, a.calendar.acl);
  if (rule === undefined) return notFound(call.now);
  if (rule.scopeType === "user" && rule.scopeValue === a.calendar.owner)
    return cannotChangeOwn(call);
  rule.deleted = true;
  rule.seq = nextSeq(call.data);
  changed(call.data, `acl:${a.calendar.id}`);
  return noContent(call.now);
}
