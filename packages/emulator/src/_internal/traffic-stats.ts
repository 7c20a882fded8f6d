/** Counters of one emulator, served by `GET /_emulator/stats`. */
export interface TrafficStats {
  /** Requests to the token endpoint, answered or refused. */
  tokenRequests: number;
  /** Access tokens issued. */
  tokensIssued: number;
  /** API calls, Calendar and Directory (a batch counts each of its parts; injected failures included). */
  apiRequests: number;
  /** Calendar API calls only: every request under `/calendar/v3/` (batch parts each, injected failures and 401s included). */
  calendarRequests: number;
  /** `POST /batch/calendar/v3` requests. */
  batchRequests: number;
  /** Calls inside batch requests. */
  batchParts: number;
  /** Response body bytes sent (token endpoint, API and batch; the control API is not counted). */
  bytesSent: number;
  /** Requests by endpoint: `token`, `batch`, or the Calendar method ID such as `calendar.events.list`. */
  byEndpoint: Record<string, number>;
  /** By subject (the impersonated user, or the service account's email when it acts as itself). */
  bySubject: Record<string, { tokenRequests: number; apiRequests: number }>;
  /** Injected failures by kind (`429`, `403`, `500`, `503`, `reset`, `tokenOutage`). */
  faultsInjected: Record<string, number>;
  /** Sets every counter to 0. */
  reset(): void;
}

/** A zeroed set of counters. */
export function createTrafficStats(): TrafficStats {
  const stats: TrafficStats = {
    tokenRequests: 0,
    tokensIssued: 0,
    apiRequests: 0,
    calendarRequests: 0,
    batchRequests: 0,
    batchParts: 0,
    bytesSent: 0,
    byEndpoint: {},
    bySubject: {},
    faultsInjected: {},
    reset() {
      stats.tokenRequests = 0;
      stats.tokensIssued = 0;
      stats.apiRequests = 0;
      stats.calendarRequests = 0;
      stats.batchRequests = 0;
      stats.batchParts = 0;
      stats.bytesSent = 0;
      stats.byEndpoint = {};
      stats.bySubject = {};
      stats.faultsInjected = {};
    },
  };
  return stats;
}

/** Adds one to a named counter of a record. */
export function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** The per-subject counters of `subject`, created on first use. */
export function subjectCounters(
  stats: TrafficStats,
  subject: string,
): { tokenRequests: number; apiRequests: number } {
  let s = stats.bySubject[subject];
  if (s === undefined) {
    s = { tokenRequests: 0, apiRequests: 0 };
    stats.bySubject[subject] = s;
  }
  return s;
}
