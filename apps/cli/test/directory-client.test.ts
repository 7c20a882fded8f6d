// The CLI's Directory client against scripted answers: retries, errors read from Google's shape, paging
// that keeps only the selected emails, and the subject flags that choose Directory.
import type { FetchLike, FetchLikeResponse, TokenSource } from "@dwd/auth";
import { describe, expect, it } from "vitest";
import type { DirectoryContext } from "../src/_internal/directory.ts";
import { DirectoryError, directoryUsers, usersQuery } from "../src/_internal/directory.ts";
import { subjectSource } from "../src/_internal/subjects.ts";
import { UsageError } from "../src/_internal/usage-error.ts";

function answer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FetchLikeResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
    text: () => Promise.resolve(typeof body === "string" ? body : JSON.stringify(body)),
  };
}

function context(answers: (FetchLikeResponse | Error)[]): {
  ctx: DirectoryContext;
  urls: string[];
  waits: number[];
  scopes: string[][];
} {
  const urls: string[] = [];
  const waits: number[] = [];
  const scopes: string[][] = [];
  const fetch: FetchLike = (url) => {
    urls.push(url);
    const next = answers.shift();
    if (next === undefined) return Promise.reject(new Error("no more answers"));
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  const tokenSource = {
    getToken: (request: { scopes: string[] }) => {
      scopes.push(request.scopes);
      return Promise.resolve({ accessToken: "ya29.test", expiresAt: 0, scopes: request.scopes });
    },
  } as unknown as TokenSource;
  return {
    ctx: {
      fetch,
      tokenSource,
      root: "https://www.googleapis.com/admin/directory/v1",
      admin: "admin@example.com",
      retries: 2,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    },
    urls,
    waits,
    scopes,
  };
}

const rateLimited = answer(
  429,
  {
    error: { code: 429, message: "Quota exceeded", errors: [{ reason: "rateLimitExceeded" }] },
  },
  { "retry-after": "3" },
);

describe("directoryUsers()", () => {
  it("pages users.list with maxResults=500, fields and the token, and keeps only the active emails", async () => {
    const { ctx, urls, scopes } = context([
      answer(200, {
        users: [
          { primaryEmail: "Ana@example.com", suspended: false },
          { primaryEmail: "x@example.com", suspended: true },
        ],
        nextPageToken: "p2",
      }),
      answer(200, { users: [{ primaryEmail: "bo@example.com", suspended: false }] }),
    ]);
    const found = await directoryUsers(ctx, { kind: "users", ou: "/Sales" }, false);
    expect(found).toEqual({ users: ["ana@example.com", "bo@example.com"], skipped: 1 });
    expect(urls.map((u) => new URL(u).searchParams.toString())).toEqual([
      "customer=my_customer&maxResults=500&fields=users%28primaryEmail%2Csuspended%29%2CnextPageToken&query=orgUnitPath%3D%27%2FSales%27",
      "customer=my_customer&maxResults=500&fields=users%28primaryEmail%2Csuspended%29%2CnextPageToken&query=orgUnitPath%3D%27%2FSales%27&pageToken=p2",
    ]);
    expect(scopes[0]).toEqual(["https://www.googleapis.com/auth/admin.directory.user.readonly"]);
  });

  it("retries a 429 after its Retry-After and a network failure, then answers", async () => {
    const { ctx, waits } = context([
      rateLimited,
      new Error("ECONNRESET"),
      answer(200, { users: [{ primaryEmail: "ana@example.com" }] }),
    ]);
    let retries = 0;
    ctx.onRetry = () => retries++;
    expect((await directoryUsers(ctx, { kind: "users" }, false)).users).toEqual([
      "ana@example.com",
    ]);
    expect(retries).toBe(2);
    expect(waits[0]).toBe(3000);
  });

  it("gives up after --retries with the last error, code and hint", async () => {
    const { ctx } = context([rateLimited, rateLimited, rateLimited]);
    const error = await directoryUsers(ctx, { kind: "users" }, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryError);
    expect(error).toMatchObject({
      code: "directory_error",
      message: "Directory failed users.list: 429 Quota exceeded",
    });
  });

  it("does not retry a 400 and says it as bad_request", async () => {
    const { ctx, urls } = context([
      answer(400, {
        error: { code: 400, message: "Invalid Input", errors: [{ reason: "invalid" }] },
      }),
    ]);
    await expect(directoryUsers(ctx, { kind: "users", query: "bad" }, false)).rejects.toMatchObject(
      {
        code: "bad_request",
        message: 'Directory refused users.list with query "bad": 400 Invalid Input',
      },
    );
    expect(urls).toHaveLength(1);
  });

  it("walks nested groups once each, with the member scope", async () => {
    const { ctx, urls, scopes } = context([
      answer(200, {
        members: [
          { email: "a@example.com", type: "USER", status: "ACTIVE" },
          { email: "inner@example.com", type: "GROUP" },
          { email: "c@example.com", type: "CUSTOMER" },
        ],
      }),
      answer(200, {
        members: [
          { email: "outer@example.com", type: "GROUP" },
          { email: "a@example.com", type: "USER", status: "ACTIVE" },
          { email: "s@example.com", type: "USER", status: "SUSPENDED" },
        ],
      }),
    ]);
    expect(await directoryUsers(ctx, { kind: "group", group: "outer@example.com" }, false)).toEqual(
      {
        users: ["a@example.com"],
        skipped: 1,
      },
    );
    expect(urls.map((u) => new URL(u).pathname)).toEqual([
      "/admin/directory/v1/groups/outer%40example.com/members",
      "/admin/directory/v1/groups/inner%40example.com/members",
    ]);
    expect(scopes[0]).toEqual([
      "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
    ]);
  });
});

describe("usersQuery()", () => {
  it("joins the org unit and the query; quotes in a path are escaped", () => {
    expect(usersQuery("/Sales", "isAdmin=false")).toBe("orgUnitPath='/Sales' isAdmin=false");
    expect(usersQuery("/O'Neil", undefined)).toBe("orgUnitPath='/O\\'Neil'");
    expect(usersQuery(undefined, undefined)).toBeUndefined();
  });
});

describe("subjectSource() with Directory flags", () => {
  it("--ou with --admin is a Directory selection; --admin alone changes nothing", () => {
    expect(subjectSource({ ou: "/Sales/", admin: "admin@example.com" })).toEqual({
      kind: "directory",
      admin: "admin@example.com",
      selection: { kind: "users", ou: "/Sales" },
      includeSuspended: false,
    });
    expect(subjectSource({ admin: "admin@example.com", subject: "a@example.com" })).toEqual({
      kind: "one",
      subject: "a@example.com",
    });
  });
  it("--all-users --scenario keeps reading the file even with a profile's --admin", () => {
    expect(
      subjectSource({ "all-users": true, scenario: "s.json", admin: "admin@example.com" }),
    ).toEqual({ kind: "all", scenario: "s.json", includeSuspended: false });
  });
  it("refuses --scenario with --ou, and an --admin that is not an email", () => {
    const a = (): unknown =>
      subjectSource({
        "all-users": true,
        ou: "/Sales",
        scenario: "s.json",
        admin: "x@example.com",
      });
    expect(a).toThrow(UsageError);
    expect(a).toThrow(
      "Conflicting options --scenario and --ou: a scenario file has no Directory to ask",
    );
    const b = (): unknown => subjectSource({ query: "isAdmin=false", admin: "root" });
    expect(b).toThrow('Invalid user "root" in --admin: not an email address');
  });
});
