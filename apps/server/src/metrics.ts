/**
 * Prometheus metrics in the text exposition format, without a client library: a few counters, one
 * histogram and gauges read at scrape time.
 *
 * @module
 */

import type { MirrorCounters, MirrorStatus } from "./mirror/types.ts";

/** The most distinct Google reasons counted apart (every map here is bounded). */
const maxReasons = 200;
const otherReason = '{reason="other"}';

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** The server's metrics. */
export interface Metrics {
  /** Counts one finished request and its latency. */
  request(route: string, method: string, status: number, seconds: number): void;
  /** Counts a Google error by its reason (or dwd code). */
  googleError(reason: string): void;
  /** Counts a policy denial by code. */
  denial(code: string, caller: string): void;
  /** Renders every metric; `gauges` are read now (token exchanges, cache hits, cache mode). */
  render(
    gauges: () => Record<string, { help: string; type: "counter" | "gauge"; value: number }>,
  ): string;
}

/**
 * Creates the metrics registry.
 *
 * @returns the registry
 */
export function createMetrics(): Metrics {
  const requests = new Map<string, number>();
  const histogram = new Map<string, Histogram>();
  const googleErrors = new Map<string, number>();
  const denials = new Map<string, number>();
  const inc = (m: Map<string, number>, key: string): void => void m.set(key, (m.get(key) ?? 0) + 1);
  // The label text of each route and method, and of each status under it, made once (routes are few).
  const series = new Map<string, { h: Histogram; byStatus: Map<number, string> }>();

  return {
    request(route, method, status, seconds) {
      const id = `${method} ${route}`;
      let s = series.get(id);
      if (s === undefined) {
        const key = labelText({ route, method });
        let h = histogram.get(key);
        if (h === undefined)
          histogram.set(key, (h = { buckets: latencyBuckets.map(() => 0), sum: 0, count: 0 }));
        series.set(id, (s = { h, byStatus: new Map() }));
      }
      let requestKey = s.byStatus.get(status);
      if (requestKey === undefined)
        s.byStatus.set(status, (requestKey = labelText({ route, method, status: String(status) })));
      inc(requests, requestKey);
      const h = s.h;
      for (let i = 0; i < latencyBuckets.length; i++)
        if (seconds <= latencyBuckets[i]!) h.buckets[i]!++;
      h.sum += seconds;
      h.count++;
    },
    googleError(reason) {
      // Reasons come from upstream: past maxReasons distinct ones, the rest count as "other".
      const key = labelText({ reason });
      inc(
        googleErrors,
        googleErrors.has(key) || googleErrors.size < maxReasons ? key : otherReason,
      );
    },
    denial(code, caller) {
      inc(denials, labelText({ code, caller }));
    },
    render(gauges) {
      const lines: string[] = [];
      const family = (
        name: string,
        help: string,
        type: string,
        samples: Map<string, number>,
      ): void => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
      };
      family(
        "dwd_http_requests_total",
        "HTTP requests by route, method and status.",
        "counter",
        requests,
      );
      lines.push(
        "# HELP dwd_http_request_duration_seconds Request latency by route and method.",
        "# TYPE dwd_http_request_duration_seconds histogram",
      );
      for (const [labels, h] of histogram) {
        const inner = labels.slice(1, -1);
        latencyBuckets.forEach((le, i) =>
          lines.push(
            `dwd_http_request_duration_seconds_bucket{${inner},le="${le}"} ${h.buckets[i]}`,
          ),
        );
        lines.push(`dwd_http_request_duration_seconds_bucket{${inner},le="+Inf"} ${h.count}`);
        lines.push(
          `dwd_http_request_duration_seconds_sum${labels} ${h.sum}`,
          `dwd_http_request_duration_seconds_count${labels} ${h.count}`,
        );
      }
      family(
        "dwd_google_errors_total",
        "Errors from Google (token endpoint or Calendar API) by reason.",
        "counter",
        googleErrors,
      );
      family(
        "dwd_policy_denials_total",
        "Requests refused by the policy, by code and caller.",
        "counter",
        denials,
      );
      for (const [name, g] of Object.entries(gauges()))
        lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} ${g.type}`, `${name} ${g.value}`);
      return `${lines.join("\n")}\n`;
    },
  };
}

/** Buckets of the mirror's lag histogram, in seconds: from a push's usual second to a missed day. */
const lagBuckets = [1, 2, 5, 10, 30, 60, 300, 900, 1800, 3600, 21600, 86400];

/**
 * The mirror's metrics in the exposition format: its lag (the largest, and a histogram over the
 * mirrored users, read from `status()` now), channels, notifications and syncs (this replica's counters).
 *
 * @param status the mirror's state now
 * @param counters its counters since start
 * @returns the lines, each family with HELP and TYPE, ending in a newline
 */
export function renderMirrorMetrics(status: MirrorStatus, counters: MirrorCounters): string {
  const lines: string[] = [];
  const one = (name: string, help: string, type: "counter" | "gauge", value: number): void =>
    void lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  const lags = status.lagsMs.map((ms) => ms / 1000);
  one(
    "dwd_mirror_lag_max_seconds",
    "Largest time since a mirrored user's last successful sync (users never synced left out).",
    "gauge",
    lags.reduce((a, b) => Math.max(a, b), 0),
  );
  lines.push(
    "# HELP dwd_mirror_lag_seconds Time since each mirrored user's last successful sync, now.",
    "# TYPE dwd_mirror_lag_seconds histogram",
  );
  for (const le of lagBuckets)
    lines.push(`dwd_mirror_lag_seconds_bucket{le="${le}"} ${lags.filter((l) => l <= le).length}`);
  lines.push(
    `dwd_mirror_lag_seconds_bucket{le="+Inf"} ${lags.length}`,
    `dwd_mirror_lag_seconds_sum ${lags.reduce((a, b) => a + b, 0)}`,
    `dwd_mirror_lag_seconds_count ${lags.length}`,
  );
  one("dwd_mirror_users", "Users the mirror keeps.", "gauge", status.users);
  one("dwd_mirror_users_synced", "Mirrored users with a synced mirror.", "gauge", status.synced);
  one(
    "dwd_mirror_ready",
    "1 once every mirrored user has had a first full sync (or failed one), 0 while warming.",
    "gauge",
    status.state === "ready" ? 1 : 0,
  );
  one(
    "dwd_mirror_channels_live",
    "Watch channels live (not expired).",
    "gauge",
    status.channelsLive,
  );
  one(
    "dwd_mirror_channels_expiring",
    "Live watch channels that expire within the renewal window.",
    "gauge",
    status.channelsExpiring,
  );
  const counter = (name: string, help: string, value: number): void =>
    one(name, help, "counter", value);
  counter(
    "dwd_mirror_notifications_accepted_total",
    "Push notifications accepted (a sync of their user followed or joined one).",
    counters.notificationsAccepted,
  );
  counter(
    "dwd_mirror_notifications_refused_total",
    "Push notifications refused: no channel of this server, or the wrong token.",
    counters.notificationsRefused,
  );
  counter(
    "dwd_mirror_notifications_duplicate_total",
    "Push notifications dropped as duplicates (a message number seen already, or older).",
    counters.notificationsDuplicate,
  );
  counter("dwd_mirror_syncs_total", "Incremental syncs (with a sync token).", counters.syncs);
  counter(
    "dwd_mirror_full_syncs_total",
    "Full syncs: each user's first, and every resync after a 410.",
    counters.fullSyncs,
  );
  counter(
    "dwd_mirror_full_resyncs_total",
    "Full resyncs caused by Google's 410 fullSyncRequired on a sync token.",
    counters.fullResyncs,
  );
  counter(
    "dwd_mirror_reconcile_repairs_total",
    "Users the reconcile pass found stale and synced again.",
    counters.reconcileRepairs,
  );
  counter(
    "dwd_mirror_channels_renewed_total",
    "Watch channels replaced before they expired.",
    counters.channelsRenewed,
  );
  counter(
    "dwd_mirror_sync_errors_total",
    "Sync or watch calls that failed (the user stays as it was; reconcile tries again).",
    counters.syncErrors,
  );
  return `${lines.join("\n")}\n`;
}
