// A small in-test Calendar over fetch: events (list with pages and sync tokens, get with ETags,
// insert with client ids, patch with If-Match, delete), the batch endpoint, and fault injection.
// It stands in for what @dwd/emulator does not serve yet; its wire format follows Google's
// (legacy error envelope, multipart/mixed batch with `response-` Content-IDs, parts in any order).

export interface FakeEvent {
  id: string;
  etag: string;
  status: string;
  summary?: string;
  updated: string;
  seq: number;
  [key: string]: unknown;
}

/**
 * What a fault hook sees; return a Response to answer with it, "reset" to fail the connection before
 * the call is served, "reset-after" to serve it and then fail the connection (the answer is lost).
 */
export interface FakeRequest {
  method: string;
  path: string;
  subject: string;
  inBatch: boolean;
  /** 1-based count of calls to this method+path so far. */
  nth: number;
}

export interface FakeCalendar {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  events(subject: string, calendarId?: string): FakeEvent[];
  /** Outer HTTP requests (a batch counts once). */
  httpRequests: number;
  /** Calendar calls served (each batch part counts). */
  apiCalls: number;
  batchRequests: number;
  /** Sync tokens issued before this seq answer 410. */
  expireSyncTokensBefore: number;
  fault?: (r: FakeRequest) => Response | "reset" | "reset-after" | undefined;
  /** Every request as `METHOD path?query` (batch parts too), for assertions. */
  log: string[];
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=UTF-8", ...headers },
  });

export const googleError = (
  code: number,
  reason: string,
  message: string,
  domain = "global",
): Response => json(code, { error: { errors: [{ domain, reason, message }], code, message } });

export function createFakeCalendar(): FakeCalendar {
  const store = new Map<string, Map<string, FakeEvent>>(); // `${subject}|${calendarId}` → events
  const counts = new Map<string, number>();
  let seq = 0;
  const calendarOf = (subject: string, calendarId: string): Map<string, FakeEvent> => {
    const key = `${subject}|${calendarId === "primary" ? subject : calendarId}`;
    let m = store.get(key);
    if (m === undefined) store.set(key, (m = new Map<string, FakeEvent>()));
    return m;
  };
  const stamp = (e: { id: string; status: string; [key: string]: unknown }): FakeEvent => {
    seq++;
    return {
      ...e,
      etag: `"${seq}"`,
      updated: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
      seq,
    };
  };

  function serve(
    method: string,
    url: URL,
    headers: Headers,
    body: string,
    inBatch: boolean,
  ): Response | "reset" {
    const auth = headers.get("authorization") ?? "";
    const subject = /^Bearer tok-(.*)$/.exec(auth)?.[1];
    const path = url.pathname;
    fake.log.push(`${method} ${path}${url.search}`);
    if (subject === undefined) return googleError(401, "authError", "Invalid Credentials");
    const countKey = `${method} ${path}`;
    const nth = (counts.get(countKey) ?? 0) + 1;
    counts.set(countKey, nth);
    const injected = fake.fault?.({ method, path, subject, inBatch, nth });
    if (injected === "reset-after") {
      const saved = fake.fault;
      fake.fault = undefined;
      fake.log.pop();
      serve(method, url, headers, body, inBatch);
      fake.fault = saved;
      return "reset";
    }
    if (injected !== undefined) return injected;
    fake.apiCalls++;
    const m = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(path);
    if (m === null) return googleError(404, "notFound", "Not Found");
    const calendar = calendarOf(subject, decodeURIComponent(m[1]!));
    const eventId = m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
    const q = url.searchParams;
    if (eventId === undefined && method === "GET") {
      const syncToken = q.get("syncToken");
      let since = -1;
      if (syncToken !== null) {
        since = Number(syncToken.slice(1));
        if (since < fake.expireSyncTokensBefore)
          return googleError(
            410,
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
            "calendar",
          );
      }
      const all = [...calendar.values()]
        .filter((e) => (since >= 0 ? e.seq > since : e.status !== "cancelled"))
        .sort((a, b) => a.seq - b.seq);
      const max = Number(q.get("maxResults") ?? 250);
      const offset = Number(q.get("pageToken") ?? 0);
      const items = all.slice(offset, offset + max).map(({ seq: _s, ...e }) => e);
      const more = offset + max < all.length;
      return json(200, {
        kind: "calendar#events",
        items,
        ...(more ? { nextPageToken: String(offset + max) } : { nextSyncToken: `s${seq}` }),
      });
    }
    if (eventId === undefined && method === "POST") {
      const event = JSON.parse(body) as { id?: string };
      const id = event.id ?? `gen${seq + 1}`;
      if (calendar.has(id))
        return googleError(409, "duplicate", "The requested identifier already exists.");
      const stored = stamp({ ...event, id, status: "confirmed" });
      calendar.set(id, stored);
      const { seq: _s, ...out } = stored;
      return json(200, out);
    }
    const existing = eventId !== undefined ? calendar.get(eventId) : undefined;
    if (existing === undefined) return googleError(404, "notFound", "Not Found");
    const { seq: _s, ...visible } = existing;
    if (method === "GET") {
      if (headers.get("if-none-match") === existing.etag)
        return new Response(null, { status: 304 });
      return json(200, visible);
    }
    if (method === "PATCH") {
      const ifMatch = headers.get("if-match");
      if (ifMatch !== null && ifMatch !== existing.etag) {
        return json(412, {
          error: {
            errors: [
              {
                domain: "global",
                reason: "conditionNotMet",
                message: "Precondition Failed",
                locationType: "header",
                location: "If-Match",
              },
            ],
            code: 412,
            message: "Precondition Failed",
          },
        });
      }
      const next = stamp({
        ...visible,
        ...(JSON.parse(body) as object),
        id: existing.id,
        status: existing.status,
      });
      calendar.set(existing.id, next);
      const { seq: _n, ...out } = next;
      return json(200, out);
    }
    if (method === "DELETE") {
      if (existing.status === "cancelled")
        return googleError(410, "deleted", "Resource has been deleted");
      calendar.set(existing.id, stamp({ ...visible, status: "cancelled" }));
      return new Response(null, { status: 204 });
    }
    return googleError(400, "badRequest", "Bad Request");
  }

  async function batch(request: Request): Promise<Response> {
    const boundary = /boundary=([^;]+)/.exec(request.headers.get("content-type") ?? "")?.[1];
    if (boundary === undefined) return googleError(400, "badRequest", "Bad Request");
    fake.batchRequests++;
    const text = await request.text();
    const parts = text.split(`--${boundary}`).slice(1, -1);
    const outerAuth = request.headers.get("authorization");
    const answers: string[] = [];
    for (const part of parts) {
      const [outerHead = "", ...restParts] = part.replace(/^\r\n/, "").split("\r\n\r\n");
      const contentId = /Content-ID: <([^>]+)>/i.exec(outerHead)?.[1] ?? "";
      const inner = restParts.join("\r\n\r\n");
      const [head = "", ...bodyParts] = inner.split("\r\n\r\n");
      const [requestLine = "", ...headerLines] = head.split("\r\n");
      const [method = "GET", target = "/"] = requestLine.split(" ");
      const headers = new Headers();
      if (outerAuth !== null) headers.set("authorization", outerAuth);
      for (const line of headerLines) {
        const i = line.indexOf(":");
        if (i > 0) headers.set(line.slice(0, i), line.slice(i + 1).trim());
      }
      const body = bodyParts.join("\r\n\r\n").replace(/\r\n$/, "");
      const answer = serve(method, new URL(target, "http://fake"), headers, body, true);
      const res =
        answer === "reset"
          ? googleError(503, "backendError", "The service is currently unavailable.")
          : answer;
      const resText = await res.text();
      const statusText = res.status === 200 ? "OK" : "Status";
      let http = `HTTP/1.1 ${res.status} ${statusText}\r\n`;
      res.headers.forEach((v, k) => (http += `${k}: ${v}\r\n`));
      answers.push(
        `Content-Type: application/http\r\nContent-ID: <response-${contentId}>\r\n\r\n${http}\r\n${resText}\r\n`,
      );
    }
    answers.reverse(); // Google may answer in any order: the client must match by Content-ID.
    const out = `${answers.map((a) => `--batch_answer\r\n${a}`).join("")}--batch_answer--\r\n`;
    return new Response(out, {
      status: 200,
      headers: { "content-type": "multipart/mixed; boundary=batch_answer" },
    });
  }

  const fake: FakeCalendar = {
    httpRequests: 0,
    apiCalls: 0,
    batchRequests: 0,
    expireSyncTokensBefore: -1,
    log: [],
    events: (subject, calendarId = subject) => [...calendarOf(subject, calendarId).values()],
    async fetch(input, init) {
      const request = new Request(input, init);
      fake.httpRequests++;
      const url = new URL(request.url);
      if (url.pathname === "/batch/calendar/v3") return await batch(request);
      const answer = serve(request.method, url, request.headers, await request.text(), false);
      if (answer === "reset")
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
        });
      return answer;
    },
  };
  return fake;
}

/** A token source whose tokens name the subject (`tok-<subject>`); counts getToken calls. */
export function fakeTokenSource(): {
  getToken(o: {
    subject?: string;
    scopes: string[];
  }): Promise<{ accessToken: string; expiresAt: number; scopes: string[] }>;
  invalidate(o: { subject?: string; scopes: string[] }): void;
  signer: { clientEmail: string; clientId: string };
  calls: number;
  invalidated: number;
} {
  const source = {
    calls: 0,
    invalidated: 0,
    signer: {
      clientEmail: "calendar-bot@dwd-emulator.iam.gserviceaccount.com",
      clientId: "1234567890",
    },
    getToken(o: { subject?: string; scopes: string[] }) {
      source.calls++;
      return Promise.resolve({
        accessToken: `tok-${o.subject ?? "sa"}`,
        expiresAt: 0,
        scopes: o.scopes,
      });
    },
    invalidate() {
      source.invalidated++;
    },
  };
  return source;
}
