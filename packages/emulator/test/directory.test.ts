import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator, ScenarioInput } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import { CALENDAR, mint, signerFor } from "./helpers.ts";

const USER_RO = "https://www.googleapis.com/auth/admin.directory.user.readonly";
const MEMBER_RO = "https://www.googleapis.com/auth/admin.directory.group.member.readonly";
const now = Date.UTC(2026, 3, 1, 12, 0, 0);

// 12 users in /Sales (one suspended) and below it, 3 elsewhere, an admin; groups nested with a cycle.
const sales = Array.from({ length: 12 }, (_, i) => ({
  email: `s${String(i).padStart(2, "0")}@example.com`,
  name: `Sales Person${i}`,
  orgUnitPath: i < 8 ? "/Sales" : "/Sales/EMEA",
  ...(i === 3 ? { suspended: true } : {}),
}));
const scenario: ScenarioInput = {
  domain: "example.com",
  users: [
    { email: "admin@example.com", name: "Ada Admin", isAdmin: true },
    { email: "ana@example.com", name: "Ana Lima", orgUnitPath: "/Engineering" },
    { email: "bo@example.com", name: "Bo Berg", orgUnitPath: "/Salesforce" },
    ...sales,
  ],
  serviceAccounts: [{ name: "directory-bot" }],
  grants: [{ serviceAccount: "directory-bot", scopes: [USER_RO, MEMBER_RO, CALENDAR] }],
  groups: [
    { email: "all@example.com", members: ["ana@example.com", "team@example.com"] },
    {
      email: "team@example.com",
      name: "Team",
      members: ["bo@example.com", "s03@example.com", "all@example.com"],
    },
  ],
};

let emulator: Emulator;
let bot: Signer;
let adminToken: string;

beforeAll(async () => {
  emulator = await createEmulator({ scenario, now: () => now });
  bot = await signerFor(emulator, "directory-bot", () => now);
  adminToken = await mint(emulator, bot, {
    sub: "admin@example.com",
    scope: `${USER_RO} ${MEMBER_RO}`,
  });
});

async function get(path: string, token = adminToken): Promise<{ status: number; body: string }> {
  const res = await emulator.fetch(
    new Request(`${emulator.baseUrl}/admin/directory/v1/${path}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  return { status: res.status, body: await res.text() };
}

type UsersPage = { users?: { primaryEmail: string }[]; nextPageToken?: string };

describe("Directory users.list", () => {
  it("pages with maxResults and nextPageToken, in email order, each user once", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await get(
        `users?customer=my_customer&maxResults=4${token === undefined ? "" : `&pageToken=${token}`}`,
      );
      expect(r.status).toBe(200);
      const page = JSON.parse(r.body) as UsersPage;
      seen.push(...(page.users ?? []).map((u) => u.primaryEmail));
      token = page.nextPageToken;
      pages++;
    } while (token !== undefined);
    expect(pages).toBe(4); // 15 users, 4 a page
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(15);
  });

  it("answers with the fields asked for only", async () => {
    const r = await get(
      "users?domain=example.com&maxResults=2&fields=users(primaryEmail,suspended,orgUnitPath),nextPageToken",
    );
    const page = JSON.parse(r.body) as Record<string, unknown>;
    expect(Object.keys(page).sort()).toEqual(["nextPageToken", "users"]);
    expect(page["users"]).toEqual([
      { primaryEmail: "admin@example.com", suspended: false, orgUnitPath: "/" },
      { primaryEmail: "ana@example.com", suspended: false, orgUnitPath: "/Engineering" },
    ]);
  });

  it("refuses a field the User resource does not have, as Google does", async () => {
    const r = await get("users?customer=my_customer&fields=users(shoeSize)");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      error: {
        errors: [
          {
            domain: "global",
            reason: "invalidParameter",
            message: "Invalid field selection users/shoeSize",
            locationType: "parameter",
            location: "fields",
          },
        ],
        code: 400,
        message: "Invalid field selection users/shoeSize",
      },
    });
  });

  const emails = async (query: string): Promise<string[]> => {
    const r = await get(
      `users?customer=my_customer&maxResults=500&fields=users(primaryEmail)&query=${encodeURIComponent(query)}`,
    );
    expect(r.status).toBe(200);
    return ((JSON.parse(r.body) as UsersPage).users ?? []).map((u) => u.primaryEmail);
  };

  it("filters with query: an org unit and those below it, isSuspended, email prefix, name", async () => {
    const inSales = await emails("orgUnitPath='/Sales'");
    expect(inSales).toHaveLength(12); // /Sales and /Sales/EMEA, not /Salesforce
    expect(inSales).not.toContain("bo@example.com");
    expect(await emails("orgUnitPath='/Sales/EMEA'")).toEqual([
      "s08@example.com",
      "s09@example.com",
      "s10@example.com",
      "s11@example.com",
    ]);
    expect(await emails("orgUnitPath='/Sales' isSuspended=false")).toHaveLength(11);
    expect(await emails("isSuspended=true")).toEqual(["s03@example.com"]);
    expect(await emails("email:an*")).toEqual(["ana@example.com"]);
    expect(await emails("name:'Ana Lima'")).toEqual(["ana@example.com"]);
    expect(await emails("name:Ber*")).toEqual(["bo@example.com"]);
    expect(await emails("isAdmin=true")).toEqual(["admin@example.com"]);
    expect(await emails("orgUnitPath='/Nowhere'")).toEqual([]);
  });

  it("pages a filtered listing: a page token belongs to its query", async () => {
    const first = JSON.parse(
      (
        await get(
          `users?customer=my_customer&maxResults=5&query=${encodeURIComponent("orgUnitPath='/Sales'")}`,
        )
      ).body,
    ) as UsersPage;
    expect(first.users).toHaveLength(5);
    const other = await get(
      `users?customer=my_customer&maxResults=5&pageToken=${first.nextPageToken ?? ""}`,
    );
    expect(other).toEqual({
      status: 400,
      body: '{"error":{"errors":[{"domain":"global","reason":"invalid","message":"Invalid Input: pageToken"}],"code":400,"message":"Invalid Input: pageToken"}}',
    });
  });

  it("refuses a query it does not understand, maxResults over 500, and no customer or domain", async () => {
    expect(
      await get(`users?customer=my_customer&query=${encodeURIComponent("shoeSize=42")}`),
    ).toEqual({
      status: 400,
      body: '{"error":{"errors":[{"domain":"global","reason":"invalid","message":"Invalid Input"}],"code":400,"message":"Invalid Input"}}',
    });
    expect((await get("users?customer=my_customer&maxResults=501")).body).toContain(
      '"message":"Invalid Input: maxResults"',
    );
    expect(await get("users")).toEqual({
      status: 400,
      body: '{"error":{"errors":[{"domain":"global","reason":"badRequest","message":"Bad Request"}],"code":400,"message":"Bad Request"}}',
    });
  });

  const NOT_AUTHORIZED = {
    status: 403,
    body: '{"error":{"errors":[{"domain":"global","reason":"forbidden","message":"Not Authorized to access this resource/api"}],"code":403,"message":"Not Authorized to access this resource/api"}}',
  };

  it("answers 403 Not Authorized to a non-admin subject and to another domain", async () => {
    const ana = await mint(emulator, bot, { sub: "ana@example.com", scope: USER_RO });
    expect(await get("users?customer=my_customer", ana)).toEqual(NOT_AUTHORIZED);
    expect(await get("users?domain=other.com")).toEqual(NOT_AUTHORIZED);
  });

  it("answers 403 insufficient scopes to a token without a Directory user scope", async () => {
    const calendarOnly = await mint(emulator, bot, { sub: "admin@example.com", scope: CALENDAR });
    const r = await get("users?customer=my_customer", calendarOnly);
    expect(r.status).toBe(403);
    const error = (JSON.parse(r.body) as { error: Record<string, unknown> }).error;
    expect(error).toMatchObject({
      code: 403,
      message: "Request had insufficient authentication scopes.",
      status: "PERMISSION_DENIED",
      details: [
        {
          reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
          metadata: {
            service: "admin.googleapis.com",
            method: "ccc.hosted.frontend.directory.v1.DirectoryUsers.List",
          },
        },
      ],
    });
    // The member scope is not a user scope.
    const membersOnly = await mint(emulator, bot, { sub: "admin@example.com", scope: MEMBER_RO });
    expect((await get("users?customer=my_customer", membersOnly)).status).toBe(403);
  });

  it("counts each call by method in the stats", async () => {
    const before = emulator.stats.byEndpoint["directory.users.list"] ?? 0;
    await get("users?customer=my_customer");
    expect(emulator.stats.byEndpoint["directory.users.list"]).toBe(before + 1);
  });
});

describe("Directory users.get", () => {
  it("returns a user, and 404 Resource Not Found: userKey for an unknown one", async () => {
    const r = await get("users/ana%40example.com?fields=primaryEmail,name/fullName,orgUnitPath");
    expect(JSON.parse(r.body)).toEqual({
      primaryEmail: "ana@example.com",
      name: { fullName: "Ana Lima" },
      orgUnitPath: "/Engineering",
    });
    expect(await get("users/nobody%40example.com")).toEqual({
      status: 404,
      body: '{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Resource Not Found: userKey"}],"code":404,"message":"Resource Not Found: userKey"}}',
    });
  });
});

describe("Directory members.list", () => {
  type MembersPage = {
    members?: { email: string; type: string; status: string }[];
    nextPageToken?: string;
  };
  it("lists users and member groups with type and status; a cycle is served as it is", async () => {
    const r = await get("groups/team%40example.com/members?fields=members(email,type,status)");
    expect((JSON.parse(r.body) as MembersPage).members).toEqual([
      { email: "bo@example.com", type: "USER", status: "ACTIVE" },
      { email: "s03@example.com", type: "USER", status: "SUSPENDED" },
      { email: "all@example.com", type: "GROUP", status: "ACTIVE" },
    ]);
  });

  it("pages with maxResults (at most 200)", async () => {
    const first = JSON.parse(
      (await get("groups/team%40example.com/members?maxResults=2")).body,
    ) as MembersPage;
    expect(first.members?.map((m) => m.email)).toEqual(["bo@example.com", "s03@example.com"]);
    const second = JSON.parse(
      (
        await get(
          `groups/team%40example.com/members?maxResults=2&pageToken=${first.nextPageToken ?? ""}`,
        )
      ).body,
    ) as MembersPage;
    expect(second.members?.map((m) => m.email)).toEqual(["all@example.com"]);
    expect(second.nextPageToken).toBeUndefined();
    expect((await get("groups/team%40example.com/members?maxResults=201")).status).toBe(400);
  });

  it("answers 404 Resource Not Found: groupKey for an unknown group", async () => {
    expect(await get("groups/nope%40example.com/members")).toEqual({
      status: 404,
      body: '{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Resource Not Found: groupKey"}],"code":404,"message":"Resource Not Found: groupKey"}}',
    });
  });

  it("needs a group scope: a user scope alone is insufficient", async () => {
    const usersOnly = await mint(emulator, bot, { sub: "admin@example.com", scope: USER_RO });
    const r = await get("groups/team%40example.com/members", usersOnly);
    expect(r.status).toBe(403);
    expect(r.body).toContain('"method":"ccc.hosted.frontend.directory.v1.DirectoryMembers.List"');
  });
});

describe("scenario groups and org units", () => {
  it("GET /_emulator/scenario shows org units, admins and groups", async () => {
    const res = await emulator.fetch(new Request(`${emulator.baseUrl}/_emulator/scenario`));
    const view = (await res.json()) as {
      users: { email: string }[];
      groups: { email: string; members: string[] }[];
    };
    expect(view.users.slice(0, 2)).toEqual([
      { email: "admin@example.com", name: "Ada Admin", isAdmin: true },
      { email: "ana@example.com", name: "Ana Lima", orgUnitPath: "/Engineering" },
    ]);
    expect(view.groups[1]).toEqual({
      email: "team@example.com",
      name: "Team",
      members: ["bo@example.com", "s03@example.com", "all@example.com"],
    });
  });

  const bad: { name: string; patch: Partial<ScenarioInput>; message: string }[] = [
    {
      name: "a member that is neither user nor group",
      patch: { groups: [{ email: "g@example.com", members: ["ghost@example.com"] }] },
      message:
        'Invalid scenario at "groups[0].members[0]": "ghost@example.com" is not a user or group of the scenario',
    },
    {
      name: "a group that is its own member",
      patch: { groups: [{ email: "g@example.com", members: ["g@example.com"] }] },
      message: 'Invalid scenario at "groups[0].members[0]": a group cannot be its own member',
    },
    {
      name: "a group with a user's email",
      patch: { groups: [{ email: "a@example.com", members: [] }] },
      message: 'Invalid scenario at "groups[0].email": "a@example.com" is a user\'s email',
    },
    {
      name: "an org unit path without a leading slash",
      patch: { users: [{ email: "a@example.com", orgUnitPath: "Sales" }] },
      message:
        'Invalid scenario at "users[0].orgUnitPath": "Sales" is not an org unit path like "/Sales" or "/"',
    },
    {
      name: "isAdmin that is not a boolean",
      patch: { users: [{ email: "a@example.com", isAdmin: "yes" as unknown as boolean }] },
      message: 'Invalid scenario at "users[0].isAdmin": expected true or false, got "yes"',
    },
  ];
  for (const c of bad)
    it(`refuses ${c.name} (invalid_scenario, exact message)`, async () => {
      const input: ScenarioInput = {
        domain: "example.com",
        users: [{ email: "a@example.com" }],
        serviceAccounts: [],
        grants: [],
        ...c.patch,
      };
      await expect(createEmulator({ scenario: input })).rejects.toMatchObject({
        code: "invalid_scenario",
        message: c.message,
      });
    });
});
