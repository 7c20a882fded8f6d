// The floor for `dwd calendars get` (the job: calendars-get-node-job.mjs), with its built-ins from ES
// imports, as Node's documentation and a hand-written script write them.
// Usage: EMULATOR_URL=http://host:port node baseline/calendars-get-node.mjs <key.json> <subject> <calendarId>
import { createSign } from "node:crypto";
import { readFileSync, writeSync } from "node:fs";
import { request } from "node:http";
import { run } from "./calendars-get-node-job.mjs";

await run({ createSign, readFileSync, writeSync, request });
