// `dwd doctor --signer iam`: the keyless chain, step by step — the caller's own identity, its Token
// Creator role on the target, the IAM Credentials API — before the steps every signer shares.
import type { CallerCredentials, IamSigner } from "@dwd/auth";
import type { DoctorStep } from "../commands/doctor.ts";
import { isDiagnosis } from "./report-error.ts";

const kinds: Record<CallerCredentials["kind"], string> = {
  service_account: "service-account key",
  authorized_user: "gcloud user credentials",
  metadata: "metadata server",
};

function fail(id: DoctorStep["id"], error: unknown): DoctorStep {
  if (!isDiagnosis(error)) throw error; // a bug, not a finding
  return {
    id,
    status: "fail",
    detail: error.message,
    ...(typeof error.hint === "string" ? { hint: error.hint } : {}),
    ...(typeof error.code === "string" ? { code: error.code } : {}),
  };
}

/**
 * Checks the caller's credentials (found and able to get a token), then signs a test assertion for the
 * target: success proves Token Creator is held and the API is enabled; a refusal says which one is not.
 *
 * @returns the steps, and whether the chain holds (the shared steps run only then)
 */
export async function keylessSteps(
  signer: IamSigner,
  claims: Parameters<IamSigner["sign"]>[0],
): Promise<{ steps: DoctorStep[]; ok: boolean }> {
  const steps: DoctorStep[] = [];
  let caller: CallerCredentials;
  let member: string | undefined;
  let projectId: string | undefined;
  try {
    caller = await signer.caller();
    await caller.getToken();
    ({ member, projectId } = await caller.describe());
  } catch (error) {
    steps.push(fail("identity", error));
    steps.push(
      { id: "creator", status: "skip", detail: "Skipped: no caller identity" },
      { id: "iam-api", status: "skip", detail: "Skipped: no caller identity" },
    );
    return { steps, ok: false };
  }
  const who = member ?? "the caller (account unknown: the file names none)";
  steps.push({
    id: "identity",
    status: "pass",
    detail: `Caller ${who} from the ${kinds[caller.kind]} "${caller.source}" has an access token`,
  });
  const chain =
    signer.delegates.length > 0
      ? ` through ${signer.delegates.map((d) => d.replace(/^projects\/-\/serviceAccounts\//, "")).join(" → ")}`
      : "";
  try {
    await signer.sign(claims);
    steps.push({
      id: "creator",
      status: "pass",
      detail: `${who} may sign for "${signer.clientEmail}"${chain} (Service Account Token Creator held; key ID ${signer.privateKeyId ?? "unknown"})`,
    });
    steps.push({
      id: "iam-api",
      status: "pass",
      detail: `The IAM Credentials API is enabled${projectId ? ` in project "${projectId}"` : ""} (signJwt answered)`,
    });
    return { steps, ok: true };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "iam_api_disabled") {
      steps.push({
        id: "creator",
        status: "skip",
        detail: "Skipped: the IAM Credentials API is disabled, so the role cannot be checked",
      });
      steps.push(fail("iam-api", error));
    } else {
      steps.push(fail("creator", error));
      steps.push(
        code === "iam_permission_denied"
          ? {
              id: "iam-api",
              status: "pass",
              detail: "The IAM Credentials API is enabled (it got as far as checking the role)",
            }
          : {
              id: "iam-api",
              status: "skip",
              detail: "Skipped: signJwt failed before the API could be checked",
            },
      );
    }
    return { steps, ok: false };
  }
}
