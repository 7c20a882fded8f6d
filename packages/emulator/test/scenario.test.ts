import { describe, expect, it } from "vitest";
import type { Scenario } from "../src/index.ts";
import { createEmulator, demoScenario, EmulatorError, loadScenario } from "../src/index.ts";

const base = (): Record<string, unknown> => ({
  domain: "example.com",
  users: [{ email: "info@example.com" }],
  serviceAccounts: [{ name: "calendar-bot" }],
  grants: [
    { serviceAccount: "calendar-bot", scopes: ["https://www.googleapis.com/auth/calendar"] },
  ],
});

function thrown(fn: () => unknown): EmulatorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EmulatorError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("loadScenario()", () => {
  it("accepts the demo scenario unchanged", () => {
    expect(loadScenario(demoScenario)).toEqual(demoScenario);
  });

  it("accepts JSON text and normalizes emails to lower case", () => {
    const s = loadScenario(
      JSON.stringify({
        ...base(),
        domain: "Example.COM",
        users: [{ email: "Info@Example.com", suspended: false }],
      }),
    );
    expect(s.domain).toBe("example.com");
    expect(s.users).toEqual([{ email: "info@example.com", suspended: false }]);
  });

  const cases: { name: string; input: unknown; path: string; message: string }[] = [
    {
      name: "not JSON text",
      input: "{domain",
      path: "",
      message: "Invalid scenario: the text is not JSON",
    },
    {
      name: "not an object",
      input: [],
      path: "$",
      message: 'Invalid scenario at "$": expected an object, got an array',
    },
    {
      name: "no domain",
      input: { ...base(), domain: undefined },
      path: "domain",
      message: 'Invalid scenario at "domain": expected a non-empty string, got nothing',
    },
    {
      name: "a bad domain",
      input: { ...base(), domain: "example" },
      path: "domain",
      message: 'Invalid scenario at "domain": "example" is not a domain name like "example.com"',
    },
    {
      name: "users missing",
      input: { ...base(), users: undefined },
      path: "users",
      message: 'Invalid scenario at "users": expected an array, got nothing',
    },
    {
      name: "a user outside the domain",
      input: { ...base(), users: [{ email: "ana@other.org" }] },
      path: "users[0].email",
      message:
        'Invalid scenario at "users[0].email": "ana@other.org" is not in domain "example.com"',
    },
    {
      name: "a user without @",
      input: { ...base(), users: [{ email: "ana" }] },
      path: "users[0].email",
      message: 'Invalid scenario at "users[0].email": "ana" is not an email address',
    },
    {
      name: "a duplicate user",
      input: { ...base(), users: [{ email: "a@example.com" }, { email: "A@example.com" }] },
      path: "users[1].email",
      message: 'Invalid scenario at "users[1].email": "a@example.com" is listed twice',
    },
    {
      name: "suspended not boolean",
      input: { ...base(), users: [{ email: "a@example.com", suspended: "yes" }] },
      path: "users[0].suspended",
      message: 'Invalid scenario at "users[0].suspended": expected true or false, got "yes"',
    },
    {
      name: "a bad account name",
      input: { ...base(), serviceAccounts: [{ name: "Bot" }], grants: [] },
      path: "serviceAccounts[0].name",
      message: 'Invalid scenario at "serviceAccounts[0].name": "Bot" is not a service-account ID',
    },
    {
      name: "a non-numeric client ID",
      input: { ...base(), serviceAccounts: [{ name: "calendar-bot", clientId: "calendar-bot@x" }] },
      path: "serviceAccounts[0].clientId",
      message:
        'Invalid scenario at "serviceAccounts[0].clientId": "calendar-bot@x" is not a numeric client ID',
    },
    {
      name: "a grant naming an unknown account",
      input: { ...base(), grants: [{ serviceAccount: "other-bot", scopes: ["x"] }] },
      path: "grants[0].serviceAccount",
      message:
        'Invalid scenario at "grants[0].serviceAccount": no service account is named "other-bot"',
    },
    {
      name: "a grant with neither client ID nor account",
      input: { ...base(), grants: [{ scopes: ["x"] }] },
      path: "grants[0]",
      message: 'Invalid scenario at "grants[0]": a grant needs "clientId" or "serviceAccount"',
    },
    {
      name: "a grant by email instead of client ID",
      input: {
        ...base(),
        grants: [{ clientId: "calendar-bot@dwd-emulator.iam.gserviceaccount.com", scopes: ["x"] }],
      },
      path: "grants[0].clientId",
      message:
        'Invalid scenario at "grants[0].clientId": "calendar-bot@dwd-emulator.iam.gserviceaccount.com" is not a numeric client ID',
    },
    {
      name: "comma-separated grant scopes",
      input: { ...base(), grants: [{ serviceAccount: "calendar-bot", scopes: ["a,b"] }] },
      path: "grants[0].scopes[0]",
      message: 'Invalid scenario at "grants[0].scopes[0]": "a,b" is not one scope URL',
    },
    {
      name: "a grant without scopes",
      input: { ...base(), grants: [{ serviceAccount: "calendar-bot", scopes: [] }] },
      path: "grants[0].scopes",
      message: 'Invalid scenario at "grants[0].scopes": a grant needs at least one scope',
    },
    {
      name: "a calendar of an unknown owner",
      input: { ...base(), calendars: [{ owner: "ghost@example.com" }] },
      path: "calendars[0].owner",
      message:
        'Invalid scenario at "calendars[0].owner": "ghost@example.com" is not a user of the scenario',
    },
    {
      name: "two primaries",
      input: {
        ...base(),
        calendars: [
          { owner: "info@example.com", primary: true },
          { owner: "info@example.com", primary: true },
        ],
      },
      path: "calendars[1].primary",
      message:
        'Invalid scenario at "calendars[1].primary": "info@example.com" already has a primary calendar',
    },
    {
      name: "a bad time zone",
      input: { ...base(), calendars: [{ owner: "info@example.com", timeZone: "Mars/Olympus" }] },
      path: "calendars[0].timeZone",
      message:
        'Invalid scenario at "calendars[0].timeZone": "Mars/Olympus" is not an IANA time zone',
    },
    {
      name: "a duplicate calendar ID",
      input: {
        ...base(),
        calendars: [
          { owner: "info@example.com", id: "x@group.calendar.google.com" },
          { owner: "info@example.com", id: "x@group.calendar.google.com" },
        ],
      },
      path: "calendars[1].id",
      message:
        'Invalid scenario at "calendars[1].id": calendar "x@group.calendar.google.com" is listed twice',
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} with invalid_scenario`, () => {
      const err = thrown(() => loadScenario(c.input));
      expect(err.code).toBe("invalid_scenario");
      expect(err.message).toBe(c.message);
      expect(err.path).toBe(c.path);
      expect(err.hint).toEqual(expect.any(String));
    });
  }

  it("createEmulator() validates a scenario object too", async () => {
    await expect(
      createEmulator({ scenario: { ...base(), domain: "nodot" } as unknown as Scenario }),
    ).rejects.toMatchObject({
      code: "invalid_scenario",
      message: 'Invalid scenario at "domain": "nodot" is not a domain name like "example.com"',
    });
  });

  it("gives every user a primary calendar and honours an explicit client ID in grants", async () => {
    const em = await createEmulator({
      scenario: {
        domain: "example.com",
        users: [{ email: "a@example.com" }],
        serviceAccounts: [
          { name: "calendar-bot", clientId: "100000000000000000001", projectId: "acme-prod" },
        ],
        grants: [
          {
            clientId: "100000000000000000001",
            scopes: ["https://www.googleapis.com/auth/calendar"],
          },
        ],
      },
    });
    expect(em.serviceAccount("calendar-bot")).toMatchObject({
      email: "calendar-bot@acme-prod.iam.gserviceaccount.com",
      clientId: "100000000000000000001",
    });
  });
});

describe("loadScenario(): keyless fields", () => {
  const base = {
    domain: "example.com",
    users: [],
    serviceAccounts: [{ name: "calendar-bot" }, { name: "deployer" }],
    grants: [],
  };
  it("stores Token Creator members as IAM members", () => {
    const s = loadScenario({
      ...base,
      tokenCreators: [
        { serviceAccount: "calendar-bot", members: ["deployer", "user:Dev@Example.com"] },
      ],
      metadata: { serviceAccount: "deployer" },
    });
    expect(s.tokenCreators).toEqual([
      {
        serviceAccount: "calendar-bot",
        members: [
          "serviceAccount:deployer@dwd-emulator.iam.gserviceaccount.com",
          "user:dev@example.com",
        ],
      },
    ]);
    expect(s.metadata).toEqual({ serviceAccount: "deployer" });
  });
  const bad: { name: string; extra: Record<string, unknown>; path: string; message: string }[] = [
    {
      name: "an unknown target",
      extra: { tokenCreators: [{ serviceAccount: "ghost-bot", members: [] }] },
      path: "tokenCreators[0].serviceAccount",
      message:
        'Invalid scenario at "tokenCreators[0].serviceAccount": no service account is named "ghost-bot"',
    },
    {
      name: "a member that is not one",
      extra: { tokenCreators: [{ serviceAccount: "deployer", members: ["group:x@example.com"] }] },
      path: "tokenCreators[0].members[0]",
      message:
        'Invalid scenario at "tokenCreators[0].members[0]": "group:x@example.com" is neither a service account of the scenario nor an IAM member',
    },
    {
      name: "an unknown metadata account",
      extra: { metadata: { serviceAccount: "ghost-bot" } },
      path: "metadata.serviceAccount",
      message:
        'Invalid scenario at "metadata.serviceAccount": no service account is named "ghost-bot"',
    },
    {
      name: "a bad refresh mode",
      extra: { authorizedUsers: [{ email: "a@b.c", refresh: "maybe" }] },
      path: "authorizedUsers[0].refresh",
      message:
        'Invalid scenario at "authorizedUsers[0].refresh": expected "ok", "revoked" or "reauth", got "maybe"',
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      expect(() => loadScenario({ ...base, ...c.extra })).toThrow(
        expect.objectContaining({
          code: "invalid_scenario",
          path: c.path,
          message: c.message,
        }) as Error,
      );
    });
  }
});
