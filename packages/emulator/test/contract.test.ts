/**
 * The contract cases (contract/cases.ts) against the emulator over a real socket, on every test run.
 * `pnpm test:live` runs the very same cases against Google (contract/google.live.ts).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { RunningEmulator } from "../src/node.ts";
import { startEmulator } from "../src/node.ts";
import { contractCases } from "./contract/cases.ts";
import type { ContractTarget } from "./contract/target.ts";

let running: RunningEmulator;
const target = {} as ContractTarget;

beforeAll(async () => {
  running = await startEmulator({ port: 0 });
  const key = await running.emulator.serviceAccountKeyJson("calendar-bot");
  Object.assign(target, {
    name: "emulator",
    tokenUrl: key["token_uri"] ?? "",
    apiRoot: running.url,
    key: {
      client_email: key["client_email"] ?? "",
      private_key: key["private_key"] ?? "",
      private_key_id: key["private_key_id"] ?? "",
    },
    subject: "info@example.com",
    domain: "example.com",
    attendee: "ana@example.com",
  } satisfies ContractTarget);
});

afterAll(async () => {
  await running.close();
});

describe("contract cases against the emulator", () => {
  for (const c of contractCases) it(c.name, () => c.run(target));
});
