// signJwt's refusals (Google's google.rpc envelope) as KeylessErrors with the exact fix.
import { KeylessError } from "../keyless-error.ts";
import type { KeylessFacts } from "../keyless-error.ts";

const SERVICE = "iamcredentials.googleapis.com";
const ROLE = "roles/iam.serviceAccountTokenCreator";

interface RpcBody {
  code?: number | undefined;
  message?: string | undefined;
  status?: string | undefined;
  details?:
    | {
        "@type"?: string | undefined;
        reason?: string | undefined;
        metadata?: Record<string, string> | undefined;
        links?: { url?: string | undefined }[] | undefined;
      }[]
    | undefined;
}

function parse(body: unknown): RpcBody {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === "object" && error !== null ? error : {};
}

/** What was being asked for. */
export interface IamContext {
  serviceAccount: string;
  delegates: string[];
  callerSource: string;
  member?: string | undefined;
  projectId?: string | undefined;
}

/** The `gcloud` line that grants Token Creator on `target` to `member` (a placeholder when unknown). */
export function grantCommand(target: string, member: string | undefined): string {
  return `gcloud iam service-accounts add-iam-policy-binding ${target} --member=${member ?? "user:YOUR_EMAIL"} --role=${ROLE}`;
}

export function diagnoseIamError(status: number, body: unknown, context: IamContext): KeylessError {
  const error = parse(body);
  const details = Array.isArray(error.details) ? error.details : [];
  const reasons = details.map((d) => d.reason).filter((r): r is string => typeof r === "string");
  const who = context.member ? `"${context.member}"` : `the caller ("${context.callerSource}")`;
  const prefix = `Cannot sign an assertion for "${context.serviceAccount}"`;
  const facts: KeylessFacts & { cause: unknown } = {
    serviceAccount: context.serviceAccount,
    callerSource: context.callerSource,
    status,
    cause: body,
    ...(context.member ? { caller: context.member } : {}),
    ...(context.projectId ? { projectId: context.projectId } : {}),
    ...(context.delegates.length > 0 ? { delegates: context.delegates } : {}),
    ...(error.status ? { googleStatus: error.status } : {}),
    ...(reasons[0] ? { reason: reasons[0] } : {}),
  };
  const make = (
    code: ConstructorParameters<typeof KeylessError>[0],
    what: string,
    hint: string,
    extra: KeylessFacts = {},
  ): KeylessError => new KeylessError(code, `${prefix}: ${what}`, { ...facts, ...extra, hint });

  if (
    status === 403 &&
    (reasons.includes("SERVICE_DISABLED") ||
      /has not been used in project|it is disabled/.test(error.message ?? ""))
  ) {
    const info = details.find((d) => d.reason === "SERVICE_DISABLED")?.metadata ?? {};
    const fromHelp = details
      .flatMap((d) => d.links ?? [])
      .find((l) => l.url?.includes(SERVICE))?.url;
    const project = info["consumer"]?.replace(/^projects\//, "") ?? context.projectId;
    const activationUrl =
      info["activationUrl"] ??
      fromHelp ??
      `https://console.developers.google.com/apis/api/${SERVICE}/overview${project ? `?project=${project}` : ""}`;
    return make(
      "iam_api_disabled",
      `the IAM Service Account Credentials API is disabled in ${project ? `project "${project}"` : "the caller's project"}`,
      `Enable it at ${activationUrl} (or gcloud services enable ${SERVICE}${project ? ` --project=${project}` : ""}), wait a few minutes, then retry`,
      { activationUrl, ...(project ? { projectId: project } : {}) },
    );
  }
  if (status === 403 && reasons.includes("ACCESS_TOKEN_SCOPE_INSUFFICIENT")) {
    return make(
      "caller_scope_insufficient",
      `the token of ${who} lacks the cloud-platform scope`,
      'Give the caller the https://www.googleapis.com/auth/cloud-platform scope (on a VM: its access scopes "Allow full access to all Cloud APIs")',
    );
  }
  if (status === 403) {
    const chain = context.delegates.length > 0;
    const first = chain
      ? (context.delegates[0] ?? "").replace(/^projects\/-\/serviceAccounts\//, "")
      : context.serviceAccount;
    const userNote = context.member
      ? ""
      : " (YOUR_EMAIL: the account you ran gcloud auth application-default login with)";
    return make(
      "iam_permission_denied",
      `${who} does not hold Service Account Token Creator on "${first}"${chain ? " (the first hop of the delegation chain)" : ""}, or the account does not exist`,
      `Grant the role ${ROLE} to the caller: ${grantCommand(first, context.member)}${userNote}${chain ? "; each account of the chain needs it on the next one" : ""}. It can take a few minutes to apply`,
    );
  }
  if (status === 404) {
    return make(
      "iam_target_not_found",
      `service account "${context.serviceAccount}" does not exist`,
      "Check the email (gcloud iam service-accounts list --project=PROJECT lists them)",
    );
  }
  if (status === 401) {
    return make(
      "iam_unauthenticated",
      `the IAM Credentials API does not accept the token of ${who}`,
      "The caller's credentials were revoked or expired: run gcloud auth application-default login again, or check the key file or metadata server",
    );
  }
  if (status === 400) {
    return make(
      "iam_invalid_argument",
      `the IAM Credentials API refused the request ("${(error.message ?? "").slice(0, 200)}")`,
      "Check the service-account email and --delegates (emails of service accounts)",
    );
  }
  if (status === 429 || status >= 500) {
    return make(
      "iam_unavailable",
      `the IAM Credentials API answered ${status}`,
      "Retry with exponential backoff; the API is temporarily unavailable",
      { retryable: true },
    );
  }
  return make(
    "iam_error",
    `the IAM Credentials API answered ${status}${error.status ? ` "${error.status}"` : ""}`,
    "Check the IAM Credentials root (DWD_EMULATOR_HOST) and the request; this answer is not one Google documents",
  );
}
