import { describe, expect, it } from "vitest";
import { DelegationError, adminConsoleLink, diagnoseTokenError } from "../src/index.ts";
import type { DelegationErrorCode, DiagnoseContext } from "../src/index.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const RO = "https://www.googleapis.com/auth/calendar.readonly";
const EMAIL = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const CLIENT_ID = "104567890123456789012";
const KEY_ID = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2";
const jsonCtx: DiagnoseContext = {
  key: { clientEmail: EMAIL, clientId: CLIENT_ID, privateKeyId: KEY_ID, kind: "json" },
  subject: "info@example.com",
  scopes: [CAL, RO],
  tokenUri: "https://oauth2.googleapis.com/token",
};
const P = 'Cannot get a token for "info@example.com": ';
// unauthorized_client folds three causes into one answer; the message names them all.
const THREE_CAUSES = `Google refused client "${CLIENT_ID}" for scopes "${CAL}", "${RO}" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks these scopes, "info@example.com" is not a user of the Workspace domain that granted the client, or the entry names another client ID`;

interface Row {
  status: number;
  error?: string;
  description?: string;
  code: DelegationErrorCode;
  message: string;
  hint: RegExp[];
}

/** Every refusal Google's token endpoint is known to send for a JWT-bearer grant, body as sent. */
const rows: Row[] = [
  // 2.1
  {
    status: 401,
    error: "unauthorized_client",
    description:
      "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
    code: "delegation_not_authorized",
    message: `${P}${THREE_CAUSES}`,
    hint: [
      /Security → Access and data control → API controls → Domain-wide delegation/,
      /numeric client ID "104567890123456789012" \(not the email "calendar-bot@/,
      /OAuth scopes "https:\/\/www.googleapis.com\/auth\/calendar,https:\/\/www.googleapis.com\/auth\/calendar.readonly" \(comma-separated\)/,
      /24 hours/,
    ],
  },
  {
    status: 401,
    error: "unauthorized_client",
    description: "Unauthorized client or scope in request.",
    code: "delegation_not_authorized",
    message: `${P}${THREE_CAUSES}`,
    hint: [/Domain-wide delegation/],
  },
  {
    status: 403,
    error: "access_denied",
    description: "Requested client not authorized.",
    code: "scope_not_granted",
    message: `${P}client "${CLIENT_ID}" is not authorized for every one of scopes "${CAL}", "${RO}"`,
    hint: [
      /Security → Access and data control → API controls → Domain-wide delegation/,
      /not the email/,
      /comma-separated/,
    ],
  },
  {
    status: 400,
    error: "access_denied",
    description: "Requested client not authorized.",
    code: "scope_not_granted",
    message: `${P}client "${CLIENT_ID}" is not authorized for every one of scopes "${CAL}", "${RO}"`,
    hint: [/Domain-wide delegation/],
  },
  {
    status: 403,
    error: "access_denied",
    description: "Account restricted",
    code: "account_restricted",
    message: `${P}Google has restricted the user's account`,
    hint: [/Directory → Users/],
  },
  {
    status: 400,
    error: "admin_policy_enforced",
    description: "Admin policy enforced",
    code: "admin_policy_enforced",
    message: `${P}an admin policy blocks scopes "${CAL}", "${RO}" for client "${CLIENT_ID}"`,
    hint: [/Manage third-party app access/],
  },
  {
    status: 401,
    error: "invalid_client",
    description: "The OAuth client was not found.",
    code: "client_not_found",
    message: `${P}service account "${EMAIL}" does not exist`,
    hint: [/Add key/],
  },
  {
    status: 401,
    error: "deleted_client",
    description: "The OAuth client was deleted.",
    code: "client_deleted",
    message: `${P}service account "${EMAIL}" was deleted`,
    hint: [/30 days/],
  },
  {
    status: 401,
    error: "disabled_client",
    description: "The OAuth client was disabled.",
    code: "client_disabled",
    message: `${P}key "${KEY_ID}" or service account "${EMAIL}" is disabled`,
    hint: [/Enable/],
  },
  {
    status: 401,
    error: "org_internal",
    description: "This client is restricted to users within its organization.",
    code: "org_internal",
    message: `${P}the client is restricted to users within its organization`,
    hint: [/same Cloud organization/],
  },
  {
    status: 400,
    error: "invalid_account",
    description: "Forbidden",
    code: "user_suspended",
    message: `${P}the user is suspended or disabled`,
    hint: [/active user/],
  },
  // 2.2
  {
    status: 400,
    error: "invalid_grant",
    description: "Invalid JWT Signature.",
    code: "invalid_signature",
    message: `${P}Google does not accept key "${KEY_ID}"'s signature for "${EMAIL}"`,
    hint: [
      /deleted, disabled or rotated/,
      /another service account than "calendar-bot@/,
      new RegExp(`key ID "${KEY_ID}"`),
    ],
  },
  ...["Not a valid email or user ID.", "Not a valid email", "Invalid email or User ID"].map(
    (description): Row => ({
      status: 400,
      error: "invalid_grant",
      description,
      code: "unknown_subject",
      message: `${P}"info@example.com" is not a user of the Workspace domain`,
      hint: [/primary email/],
    }),
  ),
  {
    status: 400,
    error: "invalid_grant",
    description: "Invalid JWT: Failed audience check.",
    code: "wrong_audience",
    message: `${P}the assertion's audience "https://oauth2.googleapis.com/token" is not a token URL Google accepts`,
    hint: [/oauth2.googleapis.com\/token/],
  },
  {
    status: 400,
    error: "invalid_grant",
    description: "Invalid JWT: No valid verifier found for issuer.",
    code: "unknown_issuer",
    message: `${P}Google has no public key for "${EMAIL}"`,
    hint: [/keys may all be deleted/],
  },
  ...["Invalid grant: account not found", "account not found"].map((description): Row => ({
    status: 400,
    error: "invalid_grant",
    description,
    code: "account_deleted",
    message: `${P}service account "${EMAIL}" was not found (deleted, disabled, or created moments ago)`,
    hint: [/propagate/],
  })),
  {
    status: 400,
    error: "invalid_grant",
    description: "Robot is disabled.",
    code: "account_disabled",
    message: `${P}service account "${EMAIL}" is disabled`,
    hint: [/enable/],
  },
  {
    status: 400,
    error: "invalid_grant",
    description: "The account has been deleted",
    code: "subject_deleted",
    message: `${P}"info@example.com" was deleted`,
    hint: [/existing user/],
  },
  {
    status: 400,
    error: "invalid_grant",
    description: "Bad Request",
    code: "invalid_grant",
    message: `${P}the token endpoint refused the assertion ("Bad Request")`,
    hint: [/clock/],
  },
  {
    status: 400,
    error: "invalid_grant",
    description: "reauth related error (invalid_rapt)",
    code: "invalid_grant",
    message: `${P}the token endpoint refused the assertion ("reauth related error (invalid_rapt)")`,
    hint: [/clock/],
  },
  {
    status: 400,
    error: "invalid_grant",
    code: "invalid_grant",
    message: `${P}the token endpoint refused the assertion`,
    hint: [/clock/],
  },
  // 2.3
  {
    status: 400,
    error: "invalid_scope",
    description: "Invalid OAuth scope or ID token audience provided.",
    code: "invalid_scope",
    message: `${P}Google does not accept scopes "${CAL}", "${RO}"`,
    hint: [/separated by spaces/],
  },
  {
    status: 400,
    error: "invalid_scope",
    description: "Empty or missing scope not allowed.",
    code: "invalid_scope",
    message: `${P}no scope was requested`,
    hint: [/at least one/],
  },
  {
    status: 400,
    error: "invalid_request",
    description: "Invalid impersonation &quot;sub&quot; field",
    code: "invalid_subject",
    message: `${P}"info@example.com" is not a user that can be impersonated`,
    hint: [/primary email/],
  },
  {
    status: 400,
    error: "invalid_request",
    description: "Invalid impersonation prn email address",
    code: "invalid_subject",
    message: `${P}"info@example.com" is not a user that can be impersonated`,
    hint: [/primary email/],
  },
  {
    status: 400,
    error: "unsupported_grant_type",
    description: "Invalid grant_type: client_credentials",
    code: "unsupported_grant_type",
    message: `${P}the token endpoint does not accept the request's grant type (Invalid grant_type: client_credentials)`,
    hint: [/jwt-bearer/],
  },
  {
    status: 400,
    error: "invalid_request",
    description: "Missing required parameter: assertion",
    code: "token_endpoint_error",
    message: `${P}the token endpoint answered 400 "invalid_request": "Missing required parameter: assertion"`,
    hint: [/not one Google documents/],
  },
  // 2.4
  {
    status: 500,
    error: "internal_failure",
    description: "Backend Error",
    code: "token_endpoint_unavailable",
    message: `${P}the token endpoint answered 500 "internal_failure"`,
    hint: [/backoff/],
  },
  {
    status: 503,
    error: "temporarily_unavailable",
    description: "The service is currently unavailable.",
    code: "token_endpoint_unavailable",
    message: `${P}the token endpoint answered 503 "temporarily_unavailable"`,
    hint: [/backoff/],
  },
  {
    status: 400,
    error: "server_error",
    code: "token_endpoint_unavailable",
    message: `${P}the token endpoint answered 400 "server_error"`,
    hint: [/backoff/],
  },
  ...[408, 429, 502, 504].map((status): Row => ({
    status,
    code: "token_endpoint_unavailable",
    message: `${P}the token endpoint answered ${status}`,
    hint: [/backoff/],
  })),
  {
    status: 418,
    error: "teapot",
    code: "token_endpoint_error",
    message: `${P}the token endpoint answered 418 "teapot"`,
    hint: [/not one Google documents/],
  },
];

describe("diagnoseTokenError() maps every known token-endpoint refusal", () => {
  for (const row of rows) {
    it(`diagnoseTokenError() maps ${row.status} ${row.error ?? "(no error)"} "${row.description ?? ""}" to ${row.code}`, () => {
      const body =
        row.error === undefined
          ? "<html>busy</html>"
          : {
              error: row.error,
              ...(row.description === undefined ? {} : { error_description: row.description }),
            };
      const error = diagnoseTokenError({ status: row.status, body }, jsonCtx);
      expect(error).toBeInstanceOf(DelegationError);
      expect({ code: error.code, message: error.message }).toEqual({
        code: row.code,
        message: row.message,
      });
      for (const re of row.hint) expect(error.hint).toMatch(re);
      expect(error.message).not.toMatch(/\.$|\n/);
      expect(error).toMatchObject({
        clientId: CLIENT_ID,
        subject: "info@example.com",
        scopes: [CAL, RO],
        keyId: KEY_ID,
        status: row.status,
        clientEmail: EMAIL,
      });
      expect(error.cause).toBe(body);
      expect(error.retryable).toBe(row.code === "token_endpoint_unavailable");
    });
  }

  it("diagnoseTokenError() says truthfully that the prefilled link replaces the client's entry", () => {
    const error = diagnoseTokenError(
      {
        status: 401,
        body: {
          error: "unauthorized_client",
          error_description: "Unauthorized client or scope in request.",
        },
      },
      jsonCtx,
    );
    expect(error.hint).toBe(
      `Check all three. The user: impersonate a user of the domain whose Admin console holds the entry (the primary email, not an alias, a consumer account or another organization's user). The entry: In Admin console → Security → Access and data control → API controls → Domain-wide delegation, add the numeric client ID "${CLIENT_ID}" (not the email "${EMAIL}") with the OAuth scopes "${CAL},${RO}" (comma-separated), or open https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${CLIENT_ID}&clientScopeToAdd=${CAL},${RO}&overwriteClientId=true — it replaces the client's entry with exactly these scopes, so add any other scope the entry already holds (changes can take up to 24 hours to reach all users)`,
    );
    expect(error.hint).not.toMatch(/lists every scope/);
  });

  const consumerCases = [
    { subject: "x@gmail.com", domain: "gmail.com" },
    { subject: "Someone@GoogleMail.com", domain: "googlemail.com" },
  ];
  for (const c of consumerCases) {
    it(`diagnoseTokenError() says that ${c.subject} is a consumer account, not that a granted scope is missing`, () => {
      const error = diagnoseTokenError(
        {
          status: 401,
          body: {
            error: "unauthorized_client",
            error_description:
              "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
          },
        },
        { ...jsonCtx, subject: c.subject },
      );
      expect(error.code).toBe("consumer_subject");
      expect(error.message).toBe(
        `Cannot get a token for "${c.subject}": "${c.subject}" is a consumer Google account (${c.domain}), not a user of a Workspace domain: domain-wide delegation acts only for users of the domain that granted client "${CLIENT_ID}"`,
      );
      expect(error.hint).toBe(
        "Impersonate a user of the Workspace domain where the delegation is set up (its primary email); a consumer account can only be reached with its own OAuth consent, not through a service account",
      );
      expect(error.hint).not.toContain("admin.google.com");
    });
  }

  it("diagnoseTokenError() names the three causes of unauthorized_client for a user of another domain, and for no subject", () => {
    const body = {
      error: "unauthorized_client",
      error_description: "Unauthorized client or scope in request.",
    };
    const other = diagnoseTokenError(
      { status: 401, body },
      { ...jsonCtx, subject: "bo@other.org", scopes: [RO] },
    );
    expect(other.code).toBe("delegation_not_authorized");
    expect(other.message).toBe(
      `Cannot get a token for "bo@other.org": Google refused client "${CLIENT_ID}" for scope "${RO}" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks that scope, "bo@other.org" is not a user of the Workspace domain that granted the client, or the entry names another client ID`,
    );
    const none = diagnoseTokenError({ status: 401, body }, { ...jsonCtx, subject: undefined });
    expect(none.message).toContain(
      "no subject names a user of the Workspace domain that granted the client",
    );
  });

  const GMAIL = "https://www.googleapis.com/auth/gmail.readonly";
  const DRIVE = "https://www.googleapis.com/auth/drive";
  const delegatedCases: {
    name: string;
    delegatedScopes?: string[];
    scopes: string[];
    listed: string[];
  }[] = [
    { name: "only the request's scopes by default", scopes: [RO], listed: [RO] },
    {
      name: "the sorted union of delegatedScopes and the request's scopes",
      delegatedScopes: [GMAIL, CAL, DRIVE],
      scopes: [RO],
      listed: [CAL, RO, DRIVE, GMAIL],
    },
    {
      name: "each scope once when delegatedScopes already holds the request's",
      delegatedScopes: [RO, CAL, RO],
      scopes: [CAL],
      listed: [CAL, RO],
    },
    {
      name: "the request's scopes when delegatedScopes is empty",
      delegatedScopes: [],
      scopes: [CAL, RO],
      listed: [CAL, RO],
    },
  ];
  for (const c of delegatedCases) {
    it(`diagnoseTokenError() lists ${c.name} in the prefilled link and the scope list`, () => {
      const context: DiagnoseContext = {
        ...jsonCtx,
        scopes: c.scopes,
        ...(c.delegatedScopes ? { delegatedScopes: c.delegatedScopes } : {}),
      };
      for (const [status, error, description] of [
        [401, "unauthorized_client", "Unauthorized client or scope in request."],
        [403, "access_denied", "Requested client not authorized."],
      ] as const) {
        const diagnosis = diagnoseTokenError(
          { status, body: { error, error_description: description } },
          context,
        );
        expect(diagnosis.hint).toContain(
          `with the OAuth scopes "${c.listed.join(",")}" (comma-separated)`,
        );
        expect(diagnosis.hint).toContain(
          `or open ${adminConsoleLink(CLIENT_ID, c.listed)} — it replaces the client's entry with exactly these scopes`,
        );
        expect(diagnosis.scopes).toEqual(c.scopes); // the facts stay the request's
      }
    });
  }

  it("diagnoseTokenError() gives the prefilled Admin-console link with the full scope set for unauthorized_client and access_denied", () => {
    const link = `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${CLIENT_ID}&clientScopeToAdd=${CAL},${RO}&overwriteClientId=true`;
    expect(adminConsoleLink(CLIENT_ID, [CAL, RO])).toBe(link);
    for (const [error, description] of [
      ["unauthorized_client", "Unauthorized client or scope in request."],
      ["access_denied", "Requested client not authorized."],
    ]) {
      expect(
        diagnoseTokenError(
          { status: 401, body: { error, error_description: description } },
          jsonCtx,
        ).hint,
      ).toContain(link);
    }
  });

  it("diagnoseTokenError() tells how to find the client ID of a .p12 key", () => {
    const error = diagnoseTokenError(
      {
        status: 401,
        body: {
          error: "unauthorized_client",
          error_description: "Unauthorized client or scope in request.",
        },
      },
      { key: { clientEmail: EMAIL, kind: "p12" }, subject: "info@example.com", scopes: [CAL] },
    );
    expect(error.message).toBe(
      `${P}Google refused the client ID of "${EMAIL}" for scope "${CAL}" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks that scope, "info@example.com" is not a user of the Workspace domain that granted the client, or the entry names another client ID`,
    );
    expect(error.hint).toContain(
      `Cloud console → IAM & Admin → Service accounts → the account → "Unique ID"`,
    );
    expect(error.hint).toContain(
      `gcloud iam service-accounts describe ${EMAIL} --format='value(oauth2ClientId)'`,
    );
    expect(error.hint).toContain(
      `clientIdToAdd=CLIENT_ID&clientScopeToAdd=${CAL}&overwriteClientId=true with CLIENT_ID replaced — it replaces the client's entry with exactly these scopes, so add any other scope the entry already holds (changes can take up to 24 hours to reach all users)`,
    );
    expect(error.clientId).toBeUndefined();
  });

  const skew =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
  const now = Date.UTC(2026, 3, 1, 12, 0, 0);
  const skewCases = [
    {
      name: "8 minutes ahead",
      description: skew,
      date: new Date(now - 480_000).toUTCString(),
      message: `${P}this machine's clock is 480 s (8.0 min) ahead of the token endpoint's`,
      offset: -480_000,
    },
    {
      name: "90 s behind (older wording)",
      description:
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your 'iat' and 'exp' values and use a clock with skew to account for clock differences between systems.",
      date: new Date(now + 90_000).toUTCString(),
      message: `${P}this machine's clock is 90 s behind the token endpoint's`,
      offset: 90_000,
    },
    {
      name: "in sync (oldest wording)",
      description: "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe",
      date: new Date(now).toUTCString(),
      message: `${P}the assertion's iat/exp are outside the token endpoint's time window, though this clock agrees with its "Date" to within 0 s`,
      offset: 0,
    },
    {
      name: "no Date header",
      description: skew,
      date: null,
      message: `${P}the assertion's iat/exp are outside the token endpoint's time window (it sent no Date header to compare clocks)`,
      offset: undefined,
    },
  ];
  for (const c of skewCases) {
    it(`diagnoseTokenError() measures clock skew from the Date header: ${c.name}`, () => {
      const error = diagnoseTokenError(
        {
          status: 400,
          body: { error: "invalid_grant", error_description: c.description },
          date: c.date,
        },
        { ...jsonCtx, now },
      );
      expect({
        code: error.code,
        message: error.message,
        clockOffsetMs: error.clockOffsetMs,
      }).toEqual({ code: "clock_skew", message: c.message, clockOffsetMs: c.offset });
    });
  }

  it("diagnoseTokenError() maps a network failure to token_endpoint_unreachable", () => {
    const cause = new TypeError("fetch failed", { cause: { code: "ENOTFOUND" } });
    const error = diagnoseTokenError({ networkError: cause }, jsonCtx);
    expect({ code: error.code, message: error.message }).toEqual({
      code: "token_endpoint_unreachable",
      message: `${P}the token endpoint "https://oauth2.googleapis.com/token" cannot be reached (ENOTFOUND)`,
    });
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
  });

  it("diagnoseTokenError() names the service account when there is no subject", () => {
    const error = diagnoseTokenError(
      {
        status: 400,
        body: '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
      },
      { ...jsonCtx, subject: undefined },
    );
    expect(error.message).toBe(
      `Cannot get a token for service account "${EMAIL}": Google does not accept key "${KEY_ID}"'s signature for "${EMAIL}"`,
    );
  });
});
