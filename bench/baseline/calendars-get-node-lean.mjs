// The leanest floor for `dwd calendars get` (the job: calendars-get-node-job.mjs), with its built-ins from
// process.getBuiltinModule, as dwd gets them: no ES facade of every export is built (reading all of
// node:http's exports loads undici through its lazy WebSocket getter, with http2, zlib and
// worker_threads).
// Usage: EMULATOR_URL=http://host:port node baseline/calendars-get-node-lean.mjs <key.json> <subject> <calendarId>
/* global process */
import { run } from "./calendars-get-node-job.mjs";

const { createSign } = process.getBuiltinModule("node:crypto");
const { readFileSync, writeSync } = process.getBuiltinModule("node:fs");
const { request } = process.getBuiltinModule("node:http");
await run({ createSign, readFileSync, writeSync, request });
