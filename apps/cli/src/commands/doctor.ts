import type { IamSigner, ServiceAccountKey } from "@dwd/auth";
import { defineCommand } from "citty";
import {
  defaultScopes,
  endpointArgs,
  retriesArgs,
  jsonArg,
  keyArgs,
  parseScopes,
  stringArg,
  subjectFrom,
} from "../_internal/args.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf, printJson } from "../_internal/io.ts";
import { exitCodes, isDiagnosis } from "../_internal/report-error.ts";
import type { KeyOptions, Session } from "../_internal/session.ts";
import { delegatedScopesFor } from "../_internal/delegated-scopes.ts";
import { keyOptionsFrom, openSession } from "../_internal/session.ts";
import { UsageError } from "../_internal/usage-error.ts";

/** Options of {@link doctor}. */
export interface DoctorOptions extends KeyOptions {
  subject: string;
  scopes: string[];
  json?: boolean;
}

/** One checked step. */
export interface DoctorStep {
  id: "key" | "identity" | "creator" | "iam-api" | "clock" | "token" | "scope" | "calendar";
  status: "pass" | "fail" | "skip";
  /** What was checked and what is true. */
  detail: string;
  /** The fix, for a failure. */
  hint?: string;
  /** The error code, for a failure. */
  code?: string;
  /** For `scope` steps. */
  scope?: string;
  /** For the `clock` step: the token endpoint's clock minus ours, in seconds. */
  offsetSeconds?: number;
}

/** The whole report (also the `--json` output). */
export interface DoctorReport {
  ok: boolean;
  serviceAccount?: string;
  clientId?: string;
  subject: string;
  scopes: string[];
  tokenUri?: string;
  calendarRoot?: string;
  steps: DoctorStep[];
  /** Scopes the subject could not get, each on its own. */
  missingScopes: string[];
  /** Prefilled Admin-console link for the full scope set, when scopes are missing and the client ID is known. */
  adminConsoleLink?: string;
}

/** Above this offset the assertion's `iat`/`exp` fall outside what Google accepts (iat is backdated 30 s). */
const maxClockOffsetSeconds = 30;

function failure(
  id: DoctorStep["id"],
  error: unknown,
  extra: Partial<DoctorStep> = {},
): DoctorStep {
  if (!isDiagnosis(error)) throw error; // a bug, not a finding: let the top-level handler report it
  return {
    id,
    status: "fail",
    detail: error.message,
    ...(typeof error.hint === "string" ? { hint: error.hint } : {}),
    ...(typeof error.code === "string" ? { code: error.code } : {}),
    ...extra,
  };
}

function describeKey(key: ServiceAccountKey): string {
  const facts = [
    `client ID ${key.clientId ?? "unknown (give --client-id)"}`,
    ...(key.privateKeyId !== undefined ? [`key ID ${key.privateKeyId}`] : []),
  ];
  const kind = key.kind === "json" ? "JSON" : key.kind === "p12" ? ".p12" : "PEM";
  return `${kind} service-account key for "${key.clientEmail}" (${facts.join(", ")})`;
}

/** Runs every check; never throws for a finding. */
export async function diagnose(
  options: DoctorOptions,
  io: Io,
): Promise<{ report: DoctorReport; keyFailed: boolean }> {
  const steps: DoctorStep[] = [];
  const report: DoctorReport = {
    ok: false,
    subject: options.subject,
    scopes: options.scopes,
    steps,
    missingScopes: [],
  };
  const skipRest = (reason: string): void => {
    for (const id of ["clock", "token", "scope", "calendar"] as const)
      if (!steps.some((s) => s.id === id)) steps.push({ id, status: "skip", detail: reason });
  };

  let session: Session;
  try {
    // The doctor checks the delegation as it is now: every token is minted anew, none kept.
    session = await openSession(
      { ...options, tokenCache: false },
      io,
      delegatedScopesFor(options.scopes),
    );
  } catch (error) {
    steps.push(failure("key", error));
    skipRest("Skipped: no usable key");
    return { report, keyFailed: true };
  }
  const { key, signer, tokenSource } = session;
  Object.assign(report, {
    serviceAccount: signer.clientEmail,
    clientId: signer.clientId,
    tokenUri: session.tokenUri,
    calendarRoot: session.calendarRoot,
  });
  const auth = await import("@dwd/auth");
  if (key !== undefined) {
    steps.push({ id: "key", status: "pass", detail: describeKey(key) });
  } else {
    const { keylessSteps } = await import("../_internal/keyless-checks.ts");
    const claims = auth.buildClaims(signer, { scopes: options.scopes, audience: session.tokenUri });
    const keyless = await keylessSteps(signer as IamSigner, claims);
    steps.push(...keyless.steps);
    if (!keyless.ok) {
      skipRest("Skipped: the keyless chain is broken");
      return { report, keyFailed: false };
    }
  }
  try {
    const offsetMs = await auth.measureClockOffset({
      tokenUri: session.tokenUri,
      fetch: session.fetch,
    });
    if (offsetMs === undefined) {
      steps.push({
        id: "clock",
        status: "pass",
        detail: `The token endpoint "${session.tokenUri}" sent no Date header: clock not compared`,
      });
    } else {
      // A Date header is truncated to the second, so the endpoint's true time lies in [Date, Date + 1 s):
      // offsets in (-2 s, +1 s) cannot be told apart from agreement (allowing a round trip of up to 2 s).
      const agrees = offsetMs > -2000 && offsetMs < 1000;
      const offsetSeconds = agrees ? 0 : Math.round((offsetMs + 500) / 1000);
      const ok = Math.abs(offsetSeconds) <= maxClockOffsetSeconds;
      steps.push({
        id: "clock",
        status: ok ? "pass" : "fail",
        offsetSeconds,
        detail: agrees
          ? "Local clock agrees with the token endpoint's Date header (to the second)"
          : `Local clock is ${Math.abs(offsetSeconds)} s ${offsetSeconds > 0 ? "behind" : "ahead of"} the token endpoint's Date header`,
        ...(ok
          ? {}
          : {
              code: "clock_skew",
              hint: "Synchronise the system clock (NTP, e.g. timedatectl set-ntp true): Google rejects assertions whose iat/exp are off by more than a few seconds beyond the 30 s dwd allows",
            }),
      });
    }
  } catch (error) {
    steps.push({
      id: "clock",
      status: "fail",
      code: "token_endpoint_unreachable",
      detail: `Cannot reach the token endpoint "${session.tokenUri}": ${error instanceof Error ? error.message : String(error)}`,
      hint: "Check the network, or --token-uri / DWD_EMULATOR_HOST when using an emulator",
    });
    skipRest("Skipped: the token endpoint cannot be reached");
    return { report, keyFailed: false };
  }

  try {
    await tokenSource.getToken({ scopes: options.scopes });
    steps.push({
      id: "token",
      status: "pass",
      detail: `The token endpoint issues "${signer.clientEmail}" a token for itself (no subject): the ${key ? "key" : "signature"} is valid and the account enabled`,
    });
  } catch (error) {
    steps.push(failure("token", error));
  }

  const granted: string[] = [];
  for (const scope of options.scopes) {
    try {
      await tokenSource.getToken({ subject: options.subject, scopes: [scope] });
      granted.push(scope);
      steps.push({
        id: "scope",
        status: "pass",
        scope,
        detail: `Delegated token for "${options.subject}" with scope "${scope}"`,
      });
    } catch (error) {
      // Only a refusal of the grant means the scope is missing; an unknown user, a bad key or a network
      // failure fails every scope for another reason, which the step's own message names.
      const code = (error as { code?: unknown } | null)?.code;
      if (code === "delegation_not_authorized" || code === "scope_not_granted")
        report.missingScopes.push(scope);
      steps.push(failure("scope", error, { scope }));
    }
  }
  if (report.missingScopes.length > 0 && signer.clientId !== undefined)
    report.adminConsoleLink = auth.adminConsoleLink(
      signer.clientId,
      auth.normalizeScopes(delegatedScopesFor(options.scopes)),
    );

  const calendarApi = await import("@dwd/calendar");
  const scope = granted.find((s) =>
    calendarApi.methodScopes["calendar.calendarList.get"]?.includes(s),
  );
  if (scope === undefined) {
    steps.push({
      id: "calendar",
      status: "skip",
      detail: `Skipped calendarList.get("${options.subject}"): no granted scope among --scopes lets it run (e.g. https://www.googleapis.com/auth/calendar.readonly)`,
    });
  } else {
    try {
      const calendar = calendarApi.createCalendarClient({
        tokenSource,
        subject: options.subject,
        scopes: [scope],
        rootUrl: session.calendarRoot,
        fetch: session.fetch,
        // --timeout bounds the call with its retries, as in every other command.
        timeoutMs: session.timeoutMs,
        ...(session.retries !== undefined ? { retry: { retries: session.retries } } : {}),
      });
      const entry = await calendar.calendarList.get(options.subject);
      steps.push({
        id: "calendar",
        status: "pass",
        detail: `calendarList.get("${options.subject}") as "${options.subject}": "${entry.summary ?? entry.id ?? ""}" (${entry.accessRole ?? "no access role"})`,
      });
    } catch (error) {
      steps.push(failure("calendar", error));
    }
  }
  report.ok = steps.every((s) => s.status !== "fail");
  return { report, keyFailed: false };
}

const labels: Record<DoctorStep["id"], string> = {
  key: "key",
  identity: "identity",
  creator: "creator",
  "iam-api": "iam-api",
  clock: "clock",
  token: "token",
  scope: "scope",
  calendar: "calendar",
};

/** `dwd doctor`: each step PASS/FAIL with the fix; exit 0 when all pass, 2 for a bad key, else 1. */
export async function doctor(options: DoctorOptions, io: Io): Promise<number> {
  const { report, keyFailed } = await diagnose(options, io);
  if (options.json === true) {
    printJson(io, report);
  } else {
    io.out(
      `dwd doctor: ${report.serviceAccount ?? "(no key)"} as "${options.subject}", scopes ${options.scopes.join(", ")}`,
    );
    if (report.tokenUri !== undefined)
      io.out(`token endpoint ${report.tokenUri}, Calendar API ${report.calendarRoot ?? ""}`);
    io.out("");
    for (const step of report.steps) {
      const status =
        step.status === "pass"
          ? io.styleOut("green", "PASS")
          : step.status === "fail"
            ? io.styleOut("red", io.styleOut("bold", "FAIL"))
            : io.styleOut("dim", "SKIP");
      io.out(`${status}  ${labels[step.id].padEnd(8)}  ${step.detail}`);
      if (step.hint !== undefined)
        io.out(`${" ".repeat(16)}${io.styleOut("yellow", "fix:")} ${step.hint}`);
    }
    io.out("");
    const failed = report.steps.filter((s) => s.status === "fail").length;
    if (report.missingScopes.length > 0) {
      io.out(`Scopes not granted for "${options.subject}": ${report.missingScopes.join(", ")}`);
      io.out(
        report.adminConsoleLink !== undefined
          ? `Grant them all in one step: ${report.adminConsoleLink} (it replaces the entry of client ${report.clientId ?? ""} with exactly these scopes: every scope dwd uses and --scopes; add any other scope the entry already holds)`
          : "The client ID is unknown for this key: find it in the Cloud console (IAM → Service accounts → the account → Unique ID) and pass it with --client-id for a prefilled link",
      );
    }
    io.out(
      failed === 0
        ? io.styleOut("green", "All checks passed")
        : io.styleOut("red", `${failed} check${failed === 1 ? "" : "s"} failed`),
    );
  }
  if (report.ok) return 0;
  return keyFailed ? exitCodes.usage : exitCodes.refused;
}

/** The `doctor` command. */
export const doctorCommand = defineCommand({
  meta: {
    name: "dwd doctor",
    description:
      "Check key (or, with --signer iam, the caller, Token Creator and the IAM Credentials API), clock, token, each scope's delegation and calendarList.get of the subject",
  },
  args: {
    ...keyArgs,
    subject: { type: "string", valueHint: "user", description: "User to impersonate (required)" },
    scopes: {
      type: "string",
      valueHint: "scopes",
      description:
        "Scopes to check, comma-separated; bare names get Google's prefix (default: calendar.readonly)",
    },
    ...jsonArg,
    ...endpointArgs,
    ...retriesArgs,
  },
  run: (ctx) => {
    const subject = subjectFrom(ctx.args);
    if (subject === undefined)
      throw new UsageError(
        "Missing required option --subject for dwd doctor",
        "Give the user to impersonate, e.g. --subject info@example.com",
      );
    return doctor(
      {
        ...keyOptionsFrom(ctx.args),
        subject,
        scopes: parseScopes(stringArg(ctx.args, "scopes"), defaultScopes),
        json: ctx.args.json === true,
      },
      ioOf(ctx),
    );
  },
});
