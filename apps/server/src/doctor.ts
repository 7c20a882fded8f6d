/**
 * The delegation's health: the doctor's checks (key, clock, a delegated token per scope, Calendar API
 * access), as JSON for /v1/doctor and /readyz, and as a small self-contained HTML page for `GET /`.
 *
 * @module
 */

import { adminConsoleLink, measureClockOffset, normalizeScopes } from "@dwd/auth";
import type { FetchLike, TokenSource } from "@dwd/auth";
import type { CalendarPort } from "./calendar-port.ts";
import type { Mirror } from "./mirror/types.ts";
import { pushProbeHeader as probeHeader } from "./routes/push.ts";

/** One check. */
export interface DoctorCheck {
  id: "key" | "clock" | "token" | "api" | "push" | "channels";
  status: "pass" | "fail" | "skip";
  /** What was checked and what is true. */
  detail: string;
  /** For `token` checks. */
  scope?: string;
  /** The dwd code of a failure. */
  code?: string;
  /** The fix of a failure. */
  hint?: string;
}

/** The whole report. */
export interface DoctorReport {
  ok: boolean;
  checkedAt: string;
  serviceAccount: string;
  clientId?: string;
  signer: string;
  subject: string;
  scopes: string[];
  checks: DoctorCheck[];
  missingScopes: string[];
  /** Prefilled Admin-console link granting every scope, when some are missing and the client ID is known. */
  adminConsoleLink?: string;
}

/** What the checks need. */
export interface DoctorOptions {
  tokenSource: TokenSource;
  /** The user to impersonate. */
  subject: string;
  /** Every scope the callers may use. */
  scopes: readonly string[];
  /** A client acting as `subject` with `scope`. */
  calendar(subject: string, scope: string): CalendarPort;
  fetch?: FetchLike;
  now?: () => number;
}

const readScopes = [
  "https://www.googleapis.com/auth/calendar.readonly",
  "https://www.googleapis.com/auth/calendar",
];

function fail(
  id: DoctorCheck["id"],
  error: unknown,
  extra: Partial<DoctorCheck> = {},
): DoctorCheck {
  const e = error as { message?: unknown; code?: unknown; hint?: unknown };
  return {
    id,
    status: "fail",
    detail: typeof e?.message === "string" ? e.message : String(error),
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
    ...(typeof e?.hint === "string" ? { hint: e.hint } : {}),
    ...extra,
  };
}

/**
 * Runs every check; never throws for a finding.
 *
 * @param options token source, subject, scopes, calendar factory
 * @returns the report
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { tokenSource, subject } = options;
  const now = options.now ?? Date.now;
  const scopes = options.scopes.length > 0 ? normalizeScopes([...options.scopes]) : [];
  const signer = tokenSource.signer;
  const checks: DoctorCheck[] = [];
  const report: DoctorReport = {
    ok: false,
    checkedAt: new Date(now()).toISOString(),
    serviceAccount: signer.clientEmail,
    ...(signer.clientId !== undefined ? { clientId: signer.clientId } : {}),
    signer: signer.kind,
    subject,
    scopes,
    checks,
    missingScopes: [],
  };
  const kind =
    signer.kind === "iam"
      ? "keyless (IAM signJwt)"
      : signer.kind === "json"
        ? "JSON key"
        : signer.kind === "p12"
          ? ".p12 key"
          : "PEM key";
  checks.push({
    id: "key",
    status: "pass",
    detail: `${kind} for "${signer.clientEmail}" (client ID ${signer.clientId ?? "unknown: set delegation.clientId"}${signer.privateKeyId ? `, key ID ${signer.privateKeyId}` : ""})`,
  });

  try {
    const offsetMs = await measureClockOffset({
      tokenUri: tokenSource.tokenUri,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now,
    });
    // A Date header is truncated to the second: offsets in (-2 s, +1 s) cannot be told from agreement.
    const seconds =
      offsetMs === undefined || (offsetMs > -2000 && offsetMs < 1000)
        ? 0
        : Math.round((offsetMs + 500) / 1000);
    checks.push({
      id: "clock",
      status: Math.abs(seconds) <= 30 ? "pass" : "fail",
      detail:
        seconds === 0
          ? "Local clock agrees with the token endpoint's Date header (to the second)"
          : `Local clock is ${Math.abs(seconds)} s ${seconds > 0 ? "behind" : "ahead of"} the token endpoint`,
      ...(Math.abs(seconds) <= 30
        ? {}
        : {
            code: "clock_skew",
            hint: "Synchronise the system clock (NTP, e.g. timedatectl set-ntp true)",
          }),
    });
  } catch (error) {
    checks.push({
      id: "clock",
      status: "fail",
      code: "token_endpoint_unreachable",
      detail: `Cannot reach the token endpoint "${tokenSource.tokenUri}": ${error instanceof Error ? error.message : String(error)}`,
      hint: "Check the network, or delegation.tokenUri",
    });
    checks.push(
      { id: "token", status: "skip", detail: "Skipped: the token endpoint cannot be reached" },
      { id: "api", status: "skip", detail: "Skipped: the token endpoint cannot be reached" },
    );
    return report;
  }

  const granted: string[] = [];
  for (const scope of scopes) {
    try {
      await tokenSource.getToken({ subject, scopes: [scope] });
      granted.push(scope);
      checks.push({
        id: "token",
        status: "pass",
        scope,
        detail: `Delegated token for "${subject}" with scope "${scope}"`,
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "delegation_not_authorized" || code === "scope_not_granted")
        report.missingScopes.push(scope);
      checks.push(fail("token", error, { scope }));
    }
  }
  if (report.missingScopes.length > 0 && signer.clientId !== undefined)
    report.adminConsoleLink = adminConsoleLink(signer.clientId, scopes);

  const scope = granted.find((s) => readScopes.includes(s));
  if (scope === undefined) {
    checks.push({
      id: "api",
      status: "skip",
      detail:
        "Skipped the Calendar API check: no granted calendar or calendar.readonly scope among the callers' scopes",
    });
  } else {
    try {
      await options.calendar(subject, scope).calendarList.get("primary");
      checks.push({
        id: "api",
        status: "pass",
        detail: `calendarList.get("primary") as "${subject}" answered: the Calendar API is enabled and reachable`,
      });
    } catch (error) {
      checks.push(fail("api", error));
    }
  }
  report.ok = checks.every((c) => c.status !== "fail");
  return report;
}

/** What {@link runMirrorChecks} needs. */
export interface MirrorCheckOptions {
  mirror: Mirror;
  /** The configured push address (`mirror.pushUrl`). */
  pushUrl: string;
  /** The transport for the probe of the push address (a GET, as anyone on the internet could send). */
  fetch: FetchLike;
}

/**
 * The mirror's checks: the push address reaches this server (`GET pushUrl` answers 405 with
 * `X-Dwd-Push: on`, as /v1/push does), and every mirrored user has a live channel (while the mirror
 * warms, a shortfall is skipped, not failed). Failing users are listed with their reason, never a token.
 *
 * @param options the mirror, its push address, the transport
 * @returns the two checks
 */
export async function runMirrorChecks(options: MirrorCheckOptions): Promise<DoctorCheck[]> {
  const { mirror, pushUrl } = options;
  let push: DoctorCheck;
  try {
    const answer = await options.fetch(pushUrl, { method: "GET" });
    await answer.text().catch(() => "");
    const header = answer.headers.get(probeHeader);
    push =
      answer.status === 405 && header === "on"
        ? {
            id: "push",
            status: "pass",
            detail: `The push address "${pushUrl}" reaches this server's /v1/push`,
          }
        : {
            id: "push",
            status: "fail",
            code: "push_address_elsewhere",
            detail: `GET "${pushUrl}" answered ${answer.status}${header === null ? " without X-Dwd-Push" : ` with X-Dwd-Push: ${header}`}: the address does not reach a dwd-server whose mirror runs`,
            hint: "Point mirror.pushUrl (and the TLS proxy in front) at this server's /v1/push; Google posts notifications there",
          };
  } catch (error) {
    push = {
      id: "push",
      status: "fail",
      code: "push_address_unreachable",
      detail: `Cannot reach the push address "${pushUrl}": ${error instanceof Error ? error.message : String(error)}`,
      hint: "Check mirror.pushUrl, DNS and the TLS proxy: Google must reach it from the internet",
    };
  }
  const s = mirror.status();
  const failing = s.failing.map((f) => `${f.subject} (${f.reason})`).join("; ");
  const counts = `${s.channelsLive} of ${s.users} mirrored user(s) have a live channel, ${s.channelsExpiring} expiring soon`;
  const channels: DoctorCheck =
    s.channelsLive >= s.users
      ? { id: "channels", status: "pass", detail: counts }
      : s.state === "warming"
        ? {
            id: "channels",
            status: "skip",
            detail: `Warming up: ${counts}${failing === "" ? "" : `; failing: ${failing}`}`,
          }
        : {
            id: "channels",
            status: "fail",
            code: "channels_missing",
            detail: `${counts}${failing === "" ? "" : `; failing: ${failing}`}`,
            hint: "Users without a channel are answered live from Google and retried at each reconcile pass; see the reasons, and the dwd_mirror_sync_errors_total metric",
          };
  return [push, channels];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The report as a self-contained HTML page: no script, no external asset.
 *
 * @param report the report
 * @returns the page
 */
export function doctorPage(report: DoctorReport): string {
  const rows = report.checks
    .map(
      (c) =>
        `<tr class="${c.status}"><td class="status">${c.status.toUpperCase()}</td><td>${escapeHtml(c.id)}${c.scope ? `<br><code>${escapeHtml(c.scope)}</code>` : ""}</td>` +
        `<td>${escapeHtml(c.detail)}${c.hint ? `<div class="hint">Fix: ${escapeHtml(c.hint)}</div>` : ""}</td></tr>`,
    )
    .join("\n");
  const fix =
    report.adminConsoleLink !== undefined
      ? `<section class="fix"><h2>Missing scopes</h2><p>${report.missingScopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(", ")}</p>` +
        `<p><a id="admin-console-link" href="${escapeHtml(report.adminConsoleLink)}">Grant them in the Admin console</a> (the link replaces the entry of client ${escapeHtml(report.clientId ?? "")} with every scope listed)</p></section>`
      : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dwd-server: delegation ${report.ok ? "healthy" : "needs attention"}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;table-layout:fixed}td{border-top:1px solid #d0d7de;padding:.45rem;vertical-align:top;overflow-wrap:anywhere}td:nth-child(2){width:15rem}
.status{font-weight:700;width:4rem}.pass .status{color:#1a7f37}.fail .status{color:#cf222e}.skip .status{color:#6e7781}
.hint{color:#9a6700;margin-top:.25rem}.fix{border:2px solid #cf222e;border-radius:6px;padding:.5rem 1rem;margin-top:1rem}
code{font-size:.85em;background:#f6f8fa;padding:0 .2em}
</style></head><body>
<h1 id="summary">${report.ok ? "Delegation healthy" : "Delegation needs attention"}</h1>
<p>Service account <code>${escapeHtml(report.serviceAccount)}</code> (client ID ${escapeHtml(report.clientId ?? "unknown")}, ${escapeHtml(report.signer)} signer) acting as <code>${escapeHtml(report.subject)}</code>; checked ${escapeHtml(report.checkedAt)}.</p>
<table id="checks"><tbody>
${rows}
</tbody></table>
${fix}
<p><a href="/v1/doctor">JSON</a> · <a href="/openapi.json">OpenAPI</a> · <a href="/metrics">metrics</a></p>
</body></html>
`;
}
