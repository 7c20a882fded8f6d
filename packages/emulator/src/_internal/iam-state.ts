import type { KeylessScenario } from "../keyless-scenario.ts";
import { toHex } from "./base64.ts";
import type { Store, TokenRecord } from "./store.ts";

/** One `authorized_user` credential, with its derived values filled in. */
export interface AuthorizedUserRecord {
  email: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  refresh: "ok" | "revoked" | "reauth";
}

/** The keyless state of the emulator, built from the scenario's keyless fields. */
export interface IamState {
  /** Target service-account email → IAM members holding Token Creator on it. */
  tokenCreators: Map<string, Set<string>>;
  /** By refresh token. */
  authorizedUsers: Map<string, AuthorizedUserRecord>;
  /** By email. */
  authorizedUsersByEmail: Map<string, AuthorizedUserRecord>;
  /** The metadata server's service-account email, when the scenario names one. */
  metadataAccount?: string | undefined;
}

async function hexDigest(text: string): Promise<string> {
  return toHex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
  );
}

/** A 12-digit project number derived from the project ID (stable across restarts). */
export async function projectNumber(projectId: string): Promise<string> {
  const hex = await hexDigest(`project:${projectId}`);
  return ((BigInt(`0x${hex.slice(0, 16)}`) % 10n ** 11n) + 10n ** 11n).toString();
}

/** Builds the keyless state; `store` resolves scenario names to emails. */
export async function createIamState(scenario: KeylessScenario, store: Store): Promise<IamState> {
  const email = (name: string): string => store.accountNames.get(name) ?? name;
  const tokenCreators = new Map<string, Set<string>>();
  for (const grant of scenario.tokenCreators ?? []) {
    const target = email(grant.serviceAccount);
    const set = tokenCreators.get(target) ?? new Set<string>();
    for (const m of grant.members) set.add(m);
    tokenCreators.set(target, set);
  }
  const authorizedUsers = new Map<string, AuthorizedUserRecord>();
  const authorizedUsersByEmail = new Map<string, AuthorizedUserRecord>();
  for (const u of scenario.authorizedUsers ?? []) {
    const hex = await hexDigest(`authorized_user:${u.email}`);
    const record: AuthorizedUserRecord = {
      email: u.email,
      clientId:
        u.clientId ??
        `${BigInt(`0x${hex.slice(0, 12)}`)
          .toString()
          .padStart(12, "0")
          .slice(0, 12)}-${hex.slice(12, 44)}.apps.googleusercontent.com`,
      clientSecret: u.clientSecret ?? `GOCSPX-emu-${hex.slice(44, 64)}`,
      refreshToken: u.refreshToken ?? `1//emu-${hex.slice(0, 40)}`,
      refresh: u.refresh ?? "ok",
    };
    authorizedUsers.set(record.refreshToken, record);
    authorizedUsersByEmail.set(record.email, record);
  }
  const state: IamState = { tokenCreators, authorizedUsers, authorizedUsersByEmail };
  if (scenario.metadata !== undefined)
    state.metadataAccount = email(scenario.metadata.serviceAccount);
  return state;
}

/** The IAM member an access token acts as: `serviceAccount:EMAIL` or `user:EMAIL`. */
export function principalOf(store: Store, token: TokenRecord): string {
  if (token.subject !== null) return `user:${token.subject}`;
  return store.accounts.has(token.accountEmail)
    ? `serviceAccount:${token.accountEmail}`
    : `user:${token.accountEmail}`;
}
