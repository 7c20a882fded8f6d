/**
 * Prometheus metrics in the text exposition format, without a client library: a few counters, one
 * histogram and gauges read at scrape time.
 *
 * @module
 */

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
