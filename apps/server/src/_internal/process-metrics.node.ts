/**
 * Process and runtime metrics under the names Prometheus' client libraries use (prom-client's default
 * metrics), read from Node's own counters — `process.cpuUsage()`, `process.memoryUsage()`, an
 * event-loop delay histogram and the GC's performance entries — without a client library.
 *
 * @module
 */

import { PerformanceObserver, monitorEventLoopDelay, performance } from "node:perf_hooks";
import process from "node:process";

const gcBuckets = [0.001, 0.01, 0.1, 1, 2, 5];
const gcKinds: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };

/**
 * Starts the collectors (an event-loop delay histogram, a GC observer) and returns the renderer of
 * their exposition lines.
 *
 * @returns a function that renders the process metrics (and restarts the event-loop window)
 */
export function createProcessMetrics(): () => string {
  const started = (performance.timeOrigin + 0) / 1000;
  // A runtime without the histogram (Deno's Node compatibility may lack it) reports no lag.
  let loop: ReturnType<typeof monitorEventLoopDelay> | undefined;
  try {
    loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
  } catch {
    loop = undefined;
  }
  const gc = new Map<string, { buckets: number[]; sum: number; count: number }>();
  try {
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as { detail?: { kind?: number } }).detail;
        const kind = gcKinds[detail?.kind ?? 0] ?? "other";
        let h = gc.get(kind);
        if (h === undefined)
          gc.set(kind, (h = { buckets: gcBuckets.map(() => 0), sum: 0, count: 0 }));
        const seconds = entry.duration / 1000;
        gcBuckets.forEach((le, i) => {
          if (seconds <= le) h.buckets[i]!++;
        });
        h.sum += seconds;
        h.count++;
      }
    });
    observer.observe({ entryTypes: ["gc"] });
  } catch {
    // A runtime without GC entries (Deno): no GC histogram.
  }
  const line = (name: string, help: string, type: string, value: number): string =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;
  return () => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const ns = (x: number): number => (Number.isFinite(x) ? x / 1e9 : 0);
    const lines = [
      line(
        "process_cpu_user_seconds_total",
        "User CPU time spent in seconds.",
        "counter",
        cpu.user / 1e6,
      ),
      line(
        "process_cpu_system_seconds_total",
        "System CPU time spent in seconds.",
        "counter",
        cpu.system / 1e6,
      ),
      line(
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.",
        "counter",
        (cpu.user + cpu.system) / 1e6,
      ),
      line(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        "gauge",
        Math.round(started),
      ),
      line("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", memory.rss),
      line(
        "nodejs_heap_size_total_bytes",
        "Process heap size from Node.js in bytes.",
        "gauge",
        memory.heapTotal,
      ),
      line(
        "nodejs_heap_size_used_bytes",
        "Process heap size used from Node.js in bytes.",
        "gauge",
        memory.heapUsed,
      ),
      line(
        "nodejs_external_memory_bytes",
        "Node.js external memory size in bytes.",
        "gauge",
        memory.external,
      ),
    ];
    if (loop !== undefined) {
      const l = loop;
      lines.push(
        line(
          "nodejs_eventloop_lag_seconds",
          "Mean event-loop delay since the last scrape, in seconds.",
          "gauge",
          ns(l.mean),
        ),
        line(
          "nodejs_eventloop_lag_p99_seconds",
          "99th percentile of the event-loop delay since the last scrape, in seconds.",
          "gauge",
          ns(l.percentile(99)),
        ),
        line(
          "nodejs_eventloop_lag_max_seconds",
          "Longest event-loop delay since the last scrape, in seconds.",
          "gauge",
          ns(l.max),
        ),
      );
      l.reset();
    }
    lines.push(
      "# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
      "# TYPE nodejs_gc_duration_seconds histogram",
    );
    for (const [kind, h] of gc) {
      gcBuckets.forEach((le, i) =>
        lines.push(`nodejs_gc_duration_seconds_bucket{le="${le}",kind="${kind}"} ${h.buckets[i]}`),
      );
      lines.push(
        `nodejs_gc_duration_seconds_bucket{le="+Inf",kind="${kind}"} ${h.count}`,
        `nodejs_gc_duration_seconds_sum{kind="${kind}"} ${h.sum}`,
        `nodejs_gc_duration_seconds_count{kind="${kind}"} ${h.count}`,
      );
    }
    return `${lines.join("\n")}\n`;
  };
}
