/**
 * The contract cases against Google itself: `pnpm test:live` with a service-account key that holds a
 * domain-wide delegation grant for `…/auth/calendar` in a test domain (run-live.ts checks the
 * environment first and skips with one line without it).
 *
 * - `DWD_LIVE_KEY`: path of the JSON key (or the JSON itself)
 * - `DWD_LIVE_SUBJECT`: a user of the test domain the client is granted for
 * - `DWD_LIVE_DOMAIN`: the test domain (default: the subject's)
 * - `DWD_LIVE_ATTENDEE`: optional, a second user of the domain, for the attendee case
 * - `DWD_LIVE_TOKEN_URL`, `DWD_LIVE_API_ROOT`: optional, another Google-compatible target (default
 *   `https://oauth2.googleapis.com/token` and `https://www.googleapis.com`)
 */
import { readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { contractCases } from "./cases.ts";
import type { ContractKey, ContractTarget } from "./target.ts";

function liveKey(value: string): ContractKey {
  const text = value.trim().startsWith("{") ? value : readFileSync(value, "utf8");
  const json = JSON.parse(text) as Partial<ContractKey>;
  if (typeof json.client_email !== "string" || typeof json.private_key !== "string")
    throw new Error("DWD_LIVE_KEY is not a service-account JSON key (client_email, private_key)");
  return { client_email: json.client_email, private_key: json.private_key };
}

const subject = process.env["DWD_LIVE_SUBJECT"] ?? "";
const target: ContractTarget = {
  name: process.env["DWD_LIVE_API_ROOT"] === undefined ? "google" : "live target",
  tokenUrl: process.env["DWD_LIVE_TOKEN_URL"] ?? "https://oauth2.googleapis.com/token",
  apiRoot: (process.env["DWD_LIVE_API_ROOT"] ?? "https://www.googleapis.com").replace(/\/+$/, ""),
  key: liveKey(process.env["DWD_LIVE_KEY"] ?? ""),
  subject,
  domain: process.env["DWD_LIVE_DOMAIN"] ?? subject.slice(subject.lastIndexOf("@") + 1),
  ...(process.env["DWD_LIVE_ATTENDEE"] ? { attendee: process.env["DWD_LIVE_ATTENDEE"] } : {}),
};

describe(`contract cases against ${target.name} (${target.subject})`, () => {
  for (const c of contractCases) {
    const reason = c.skip?.(target);
    if (reason !== undefined) it.skip(`${c.name} (${reason})`, () => undefined);
    else it(c.name, () => c.run(target));
  }
});
