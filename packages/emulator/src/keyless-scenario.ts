/**
 * The keyless part of a scenario: who holds Service Account Token Creator on which service account,
 * which `authorized_user` credentials (from `gcloud auth application-default login`) exist, and as
 * whom the metadata server answers.
 *
 * @module
 */

import { EmulatorError } from "./emulator-error.ts";

/** `roles/iam.serviceAccountTokenCreator` on one service account: its members may call `signJwt` for it. */
export interface ScenarioTokenCreator {
  /** The name of the scenario service account the role is granted on. */
  serviceAccount: string;
  /**
   * Who holds the role: a scenario service account's name (`"deployer"`), or an IAM member
   * (`"serviceAccount:EMAIL"`, `"user:EMAIL"`). Stored as IAM members.
   */
  members: string[];
}

/** A user's `authorized_user` credentials: the refresh-token grant answers for them. */
export interface ScenarioAuthorizedUser {
  /** The Google account (any domain), e.g. `dev@example.com`; its tokens act as `user:EMAIL`. */
  email: string;
  /** OAuth client ID of the file; derived from the email when absent. */
  clientId?: string | undefined;
  /** OAuth client secret of the file; derived from the email when absent. */
  clientSecret?: string | undefined;
  /** The refresh token; derived from the email when absent. */
  refreshToken?: string | undefined;
  /** `"revoked"`: the grant answers `invalid_grant` "Token has been expired or revoked."; `"reauth"`: `invalid_rapt`. */
  refresh?: "ok" | "revoked" | "reauth" | undefined;
}

/** The metadata server (`/computeMetadata/v1`) of the emulated Cloud Run / GCE instance. */
export interface ScenarioMetadata {
  /** The scenario service account the instance runs as. */
  serviceAccount: string;
}

/** The keyless fields of a {@link Scenario}. */
export interface KeylessScenario {
  /** Token Creator grants; without them every `signJwt` is denied. */
  tokenCreators?: ScenarioTokenCreator[] | undefined;
  /** `authorized_user` credentials the token endpoint's refresh grant accepts. */
  authorizedUsers?: ScenarioAuthorizedUser[] | undefined;
  /** Who the metadata server answers as; without it, its token path answers 404. */
  metadata?: ScenarioMetadata | undefined;
}

const hint = "Fix the scenario file; see the scenario format in the @dwd/emulator README";

function fail(path: string, message: string, fix: string = hint): never {
  throw new EmulatorError("invalid_scenario", `Invalid scenario at "${path}": ${message}`, {
    path,
    hint: fix,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "")
    fail(path, `expected a non-empty string, got ${JSON.stringify(value) ?? "nothing"}`);
  return value.trim();
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value))
    fail(path, `expected an array, got ${JSON.stringify(value) ?? "nothing"}`);
  return value;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) fail(path, `expected an object, got ${JSON.stringify(value) ?? "nothing"}`);
  return value;
}

/**
 * Validates the keyless fields of a scenario's root object.
 *
 * @param root - the scenario object being loaded
 * @param accounts - scenario service-account name → email
 * @returns the normalised keyless fields (only those present)
 * @throws {EmulatorError} code `invalid_scenario`
 */
export function validateKeylessScenario(
  root: Record<string, unknown>,
  accounts: ReadonlyMap<string, string>,
): KeylessScenario {
  const out: KeylessScenario = {};
  const account = (value: unknown, path: string): string => {
    const name = text(value, path);
    if (!accounts.has(name))
      fail(
        path,
        `no service account is named "${name}"`,
        "Name one of the scenario's serviceAccounts",
      );
    return name;
  };
  if (root["tokenCreators"] !== undefined) {
    out.tokenCreators = list(root["tokenCreators"], "tokenCreators").map((raw, i) => {
      const path = `tokenCreators[${i}]`;
      const r = record(raw, path);
      const serviceAccount = account(r["serviceAccount"], `${path}.serviceAccount`);
      const members = list(r["members"], `${path}.members`).map((m, j) => {
        const value = text(m, `${path}.members[${j}]`);
        const email = accounts.get(value);
        if (email !== undefined) return `serviceAccount:${email}`;
        const match = /^(serviceAccount|user):([^\s@]+@[^\s@]+)$/.exec(value);
        if (match === null)
          fail(
            `${path}.members[${j}]`,
            `"${value}" is neither a service account of the scenario nor an IAM member`,
            'Use a service-account name, "serviceAccount:EMAIL" or "user:EMAIL"',
          );
        return `${match[1]}:${(match[2] ?? "").toLowerCase()}`;
      });
      return { serviceAccount, members };
    });
  }
  if (root["authorizedUsers"] !== undefined) {
    const seen = new Set<string>();
    out.authorizedUsers = list(root["authorizedUsers"], "authorizedUsers").map((raw, i) => {
      const path = `authorizedUsers[${i}]`;
      const r = record(raw, path);
      const email = text(r["email"], `${path}.email`).toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email))
        fail(`${path}.email`, `"${email}" is not an email address`);
      if (seen.has(email)) fail(`${path}.email`, `"${email}" is listed twice`);
      seen.add(email);
      const user: ScenarioAuthorizedUser = { email };
      for (const field of ["clientId", "clientSecret", "refreshToken"] as const) {
        if (r[field] !== undefined) user[field] = text(r[field], `${path}.${field}`);
      }
      const refresh = r["refresh"];
      if (refresh !== undefined) {
        if (refresh !== "ok" && refresh !== "revoked" && refresh !== "reauth")
          fail(
            `${path}.refresh`,
            `expected "ok", "revoked" or "reauth", got ${JSON.stringify(refresh)}`,
          );
        user.refresh = refresh;
      }
      return user;
    });
  }
  if (root["metadata"] !== undefined) {
    const r = record(root["metadata"], "metadata");
    out.metadata = { serviceAccount: account(r["serviceAccount"], "metadata.serviceAccount") };
  }
  return out;
}
