import { defineCommand } from "citty";
import {
  defaultScopes,
  endpointArgs,
  keyArgs,
  parseScopes,
  stringArg,
  subjectArg,
  subjectFrom,
} from "../_internal/args.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf } from "../_internal/io.ts";
import type { KeyOptions } from "../_internal/session.ts";
import { delegatedScopesFor } from "../_internal/delegated-scopes.ts";
import { keyOptionsFrom, openSession } from "../_internal/session.ts";

/** Options of {@link token}. */
export interface TokenOptions extends KeyOptions {
  subject?: string;
  scopes: string[];
}

/** `dwd token`: the access token alone on stdout, so `$(dwd token …)` drops into a curl header. */
export async function token(options: TokenOptions, io: Io): Promise<number> {
  const session = await openSession(options, io, delegatedScopesFor(options.scopes));
  const { accessToken } = await session.tokenSource.getToken({
    subject: options.subject,
    scopes: options.scopes,
  });
  io.outSecret(accessToken); // the one unredacted output: what the user asked for
  return 0;
}

/** `dwd token cache clear`: removes every kept token file. */
export async function clearTokenCache(io: Io): Promise<number> {
  const { clearTokenFiles, tokenCacheDir } = await import("../_internal/token-file.ts");
  const dir = tokenCacheDir(io.env);
  const removed = clearTokenFiles(dir);
  io.err(`removed ${removed} token ${removed === 1 ? "file" : "files"} from ${dir}`);
  return 0;
}

const cacheCommand = defineCommand({
  meta: { name: "dwd token cache", description: "The tokens kept between runs" },
  subCommands: {
    clear: defineCommand({
      meta: {
        name: "dwd token cache clear",
        description: "Remove every kept token (the next run mints anew)",
      },
      args: {},
      run: (ctx) => clearTokenCache(ioOf(ctx)),
    }),
  },
});

/** The `token` command. */
export const tokenCommand = defineCommand({
  meta: {
    name: "dwd token",
    description: "Print a delegated access token on stdout and nothing else (for curl)",
  },
  args: {
    ...keyArgs,
    ...subjectArg,
    scopes: {
      type: "string",
      valueHint: "scopes",
      description:
        "Scopes, comma-separated; bare names get Google's prefix (default: calendar.readonly)",
    },
    ...endpointArgs,
  },
  subCommands: { cache: cacheCommand },
  run: (ctx) =>
    token(
      {
        ...keyOptionsFrom(ctx.args),
        subject: subjectFrom(ctx.args),
        scopes: parseScopes(stringArg(ctx.args, "scopes"), defaultScopes),
      },
      ioOf(ctx),
    ),
});
