// The `query` of Directory's users.list, the part the emulator understands: clauses separated by spaces,
// all of which must match. `orgUnitPath='/Sales'` (that org unit and every one below it),
// `isSuspended=true|false`, `isAdmin=true|false`, `email=ana@example.com`, `email:ana*` (a prefix),
// `name:'Ana Lima'` (the full name, case-insensitive) and `name:Ana*` (a prefix of the full name or of
// one of its words). Values may be quoted with '…' or "…". Anything else is Google's 400 Invalid Input.

/** A user as the query sees it. */
export interface QueryUser {
  email: string;
  name: string;
  orgUnitPath: string;
  suspended: boolean;
  isAdmin: boolean;
}

/** A parsed query: whether a user matches. */
export type UserQuery = (user: QueryUser) => boolean;

const clausePattern = /^([A-Za-z]+)([=:])(?:'([^']*)'|"([^"]*)"|([^\s'"]+))(?:\s+|$)/;

function flag(value: string): boolean | undefined {
  const v = value.toLowerCase();
  return v === "true" ? true : v === "false" ? false : undefined;
}

function prefixMatch(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const p = pattern.toLowerCase();
  if (p.endsWith("*")) {
    const stem = p.slice(0, -1);
    return t.startsWith(stem) || t.split(/\s+/).some((w) => w.startsWith(stem));
  }
  return t === p || t.split(/\s+/).includes(p);
}

/** Parses a query; undefined when the emulator does not understand it (Google's 400 Invalid Input). */
export function parseUserQuery(text: string): UserQuery | undefined {
  const clauses: UserQuery[] = [];
  let rest = text.trim();
  while (rest !== "") {
    const m = clausePattern.exec(rest);
    if (m === null) return undefined;
    rest = rest.slice(m[0].length);
    const field = m[1] ?? "";
    const op = m[2];
    const value = m[3] ?? m[4] ?? m[5] ?? "";
    switch (`${field}${op}`) {
      case "orgUnitPath=": {
        const path = value.replace(/\/+$/, "").toLowerCase();
        clauses.push((u) => {
          const own = u.orgUnitPath.toLowerCase();
          return path === "" || own === path || own.startsWith(`${path}/`);
        });
        break;
      }
      case "isSuspended=":
      case "isAdmin=": {
        const want = flag(value);
        if (want === undefined) return undefined;
        clauses.push(
          field === "isSuspended" ? (u) => u.suspended === want : (u) => u.isAdmin === want,
        );
        break;
      }
      case "email=":
        clauses.push((u) => u.email === value.toLowerCase());
        break;
      case "email:":
        clauses.push((u) =>
          value.endsWith("*")
            ? u.email.startsWith(value.slice(0, -1).toLowerCase())
            : u.email === value.toLowerCase(),
        );
        break;
      case "name:":
        clauses.push((u) => prefixMatch(u.name, value));
        break;
      case "name=":
        clauses.push((u) => u.name.toLowerCase() === value.toLowerCase());
        break;
      default:
        return undefined;
    }
  }
  return (user) => clauses.every((c) => c(user));
}
