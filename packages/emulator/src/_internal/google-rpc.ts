import { apiHeaders } from "./headers.ts";

/** A google.rpc error detail, e.g. `ErrorInfo` or `Help`. */
export type RpcDetail = Record<string, unknown> & { "@type": string };

/** Google's google.rpc error envelope (used by the IAM Credentials API): `{"error":{code,message,status,details}}`. */
export function rpcError(
  code: number,
  status: string,
  message: string,
  nowMs: number,
  details: RpcDetail[] = [],
): Response {
  const error = { code, message, status, ...(details.length > 0 ? { details } : {}) };
  const headers = apiHeaders(nowMs);
  if (code === 401) headers.set("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"');
  return new Response(JSON.stringify({ error }), { status: code, headers });
}

/** A `google.rpc.ErrorInfo` detail. */
export function errorInfo(
  reason: string,
  domain: string,
  metadata: Record<string, string>,
): RpcDetail {
  return { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain, metadata };
}
