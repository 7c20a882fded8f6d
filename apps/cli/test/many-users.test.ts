import { DelegationError } from "@dwd/auth";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forEachSubject, pool, summarizeFailures } from "../src/_internal/many-users.ts";
import { createProgress, renderProgress } from "../src/_internal/progress.ts";
import {
  concurrencyArg,
  parseSubjectList,
  parseSubjectsFile,
  resolveSubjects,
  subjectSource,
} from "../src/_internal/subjects.ts";
import { UsageError } from "../src/_internal/usage-error.ts";
import { captureIo } from "./helpers.ts";

const noEmulator = {
  fetch: () => Promise.reject(new Error("no fetch in this test")),
  emulatorUrl: undefined,
};

describe("subjectSource()", () => {
  it("reads --subjects as unique emails in order", () => {
    expect(subjectSource({ subjects: "a@x.com, b@x.com,a@x.com" })).toEqual({
      kind: "list",
      subjects: ["a@x.com", "b@x.com"],
    });
  });
  it("is one run as --subject (or the service account) without the many-user flags", () => {
    expect(subjectSource({ subject: "a@x.com" })).toEqual({ kind: "one", subject: "a@x.com" });
    expect(subjectSource({})).toEqual({ kind: "one", subject: undefined });
  });
  const bad = [
    {
      name: "two ways to name users",
      args: { subject: "a@x.com", subjects: "b@x.com" },
      message: "Conflicting options --subject and --subjects: give one way to name the users",
    },
    {
      name: "--scenario without --all-users",
      args: { scenario: "s.json" },
      message: "Option --scenario needs --all-users: it only names where the users come from",
    },
    {
      name: "a user that is not an email",
      args: { subjects: "a@x.com,bob" },
      message: 'Invalid user "bob" in --subjects: not an email address',
    },
    {
      name: "an empty --subjects",
      args: { subjects: " , " },
      message: "Missing value for --subjects",
    },
    {
      name: "a control character in --subjects",
      args: { subjects: "ana@example.com,b\u0007ob@example.com" },
      message: 'Invalid user "b\u0007ob@example.com" in --subjects: it holds a control character',
    },
    {
      name: "--include-suspended without --all-users",
      args: { subjects: "ana@example.com", "include-suspended": true },
      message:
        "Option --include-suspended needs --all-users, --ou, --group or --query: other ways name each user themselves",
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} (usage error)`, () => {
      const run = (): unknown => subjectSource(c.args);
      expect(run).toThrow(UsageError);
      expect(run).toThrow(c.message);
    });
  }
});

describe("parseSubjectsFile()", () => {
  it("skips blank lines and comments, drops duplicates", () => {
    expect(
      parseSubjectsFile(
        "# team\nana@example.com\n\r\nbo@example.com  # on leave\nana@example.com\n",
        "u.txt",
      ),
    ).toEqual(["ana@example.com", "bo@example.com"]);
  });
  it("names the file and line of a bad entry", () => {
    expect(() => parseSubjectsFile("ana@example.com\nbo example.com\n", "u.txt")).toThrow(
      'Invalid user "bo example.com" in "u.txt" line 2: not an email address',
    );
  });
  it("refuses a line with a control character (a usage error, not the library's TypeError)", () => {
    const run = (): unknown =>
      parseSubjectsFile("ana@example.com\nbo\u0001b@example.com\n", "u.txt");
    expect(run).toThrow(UsageError);
    expect(run).toThrow(
      'Invalid user "bo\u0001b@example.com" in "u.txt" line 2: it holds a control character',
    );
  });
  it("refuses a file without users", () => {
    expect(() => parseSubjectsFile("# nobody\n", "u.txt")).toThrow(
      'No users in "u.txt": the file has no email lines',
    );
  });
  it("parseSubjectList() splits on commas and spaces", () => {
    expect(parseSubjectList("a@x.com b@x.com", "--subjects")).toEqual(["a@x.com", "b@x.com"]);
  });
});

describe("resolveSubjects()", () => {
  it("reads --subjects-file and --all-users --scenario from disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-subjects-"));
    try {
      await writeFile(join(dir, "u.txt"), "ana@example.com\nbo@example.com\n");
      const scenario = {
        domain: "example.com",
        users: [
          { email: "ana@example.com" },
          { email: "gone@example.com", suspended: true },
          { email: "cy@example.com" },
        ],
        serviceAccounts: [{ name: "calendar-bot" }],
        grants: [],
      };
      await writeFile(join(dir, "s.json"), JSON.stringify(scenario));
      expect(await resolveSubjects({ kind: "file", path: join(dir, "u.txt") }, noEmulator)).toEqual(
        ["ana@example.com", "bo@example.com"],
      );
      const skipped: string[][] = [];
      const context = {
        ...noEmulator,
        onSkipped: (users: readonly string[]) => void skipped.push([...users]),
      };
      expect(
        await resolveSubjects(
          { kind: "all", scenario: join(dir, "s.json"), includeSuspended: false },
          context,
        ),
      ).toEqual(["ana@example.com", "cy@example.com"]);
      expect(skipped).toEqual([["gone@example.com"]]);
      expect(
        await resolveSubjects(
          { kind: "all", scenario: join(dir, "s.json"), includeSuspended: true },
          context,
        ),
      ).toEqual(["ana@example.com", "gone@example.com", "cy@example.com"]);
      expect(skipped).toEqual([["gone@example.com"]]);
      await expect(
        resolveSubjects({ kind: "file", path: join(dir, "missing.txt") }, noEmulator),
      ).rejects.toThrow(`Cannot read subjects file "${join(dir, "missing.txt")}": no such file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it("asks the emulator for its scenario's users", async () => {
    const asked: string[] = [];
    const fetch = (url: string) => {
      asked.push(url);
      return Promise.resolve({
        ok: true,
        status: 200,
        text: () =>
          Promise.resolve(
            JSON.stringify({
              users: [
                { email: "ana@example.com" },
                { email: "former@example.com", suspended: true },
                { email: "bo@example.com" },
              ],
            }),
          ),
      });
    };
    expect(
      await resolveSubjects(
        { kind: "all", scenario: undefined, includeSuspended: false },
        { fetch, emulatorUrl: "http://127.0.0.1:9" },
      ),
    ).toEqual(["ana@example.com", "bo@example.com"]);
    expect(
      await resolveSubjects(
        { kind: "all", scenario: undefined, includeSuspended: true },
        { fetch, emulatorUrl: "http://127.0.0.1:9" },
      ),
    ).toEqual(["ana@example.com", "former@example.com", "bo@example.com"]);
    expect(asked).toEqual([
      "http://127.0.0.1:9/_emulator/scenario",
      "http://127.0.0.1:9/_emulator/scenario",
    ]);
  });
  it("against Google, --all-users without --admin or --scenario is a usage error that points at --admin", async () => {
    const error = await resolveSubjects(
      { kind: "all", scenario: undefined, includeSuspended: false },
      noEmulator,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({
      message:
        "Cannot list all users: Directory is read as a Workspace admin, and no --admin is given",
      hint: "Give --admin admin@your-domain (a Workspace admin; the grant needs admin.directory.user.readonly), or list the users in a file for --subjects-file",
    });
  });
});

describe("concurrencyArg()", () => {
  it("defaults to 10 and refuses what is not 1–100", () => {
    expect(concurrencyArg({})).toBe(10);
    expect(concurrencyArg({ concurrency: "3" })).toBe(3);
    expect(() => concurrencyArg({ concurrency: "0" })).toThrow(
      'Invalid --concurrency "0": not a number from 1 to 100',
    );
  });
});

describe("pool()", () => {
  it("never runs more than the limit at once and runs everything", async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const gates: (() => void)[] = [];
    const run = pool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      done.push(n);
    });
    // Release the waiting tasks one at a time; each release lets the pool start at most one more.
    while (done.length < 7) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await run;
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("forEachSubject() and summarizeFailures()", () => {
  const refusal = (subject: string): DelegationError =>
    new DelegationError(
      "unknown_subject",
      `Cannot get a token for "${subject}": the user does not exist`,
      { subject, scopes: [], hint: "Check the email" },
    );

  it("one user's failure does not stop the others; the summary names each and says each hint once", async () => {
    const seen: string[] = [];
    const failures = await forEachSubject(
      ["a@x.com", "b@x.com", "c@x.com", "d@x.com"],
      async (s) => {
        seen.push(s ?? "");
        if (s === "b@x.com" || s === "d@x.com") throw refusal(s);
        await Promise.resolve();
      },
      {
        concurrency: 2,
        progress: createProgress(4, { label: "users", enabled: false, write: () => undefined }),
      },
    );
    expect(seen.sort()).toEqual(["a@x.com", "b@x.com", "c@x.com", "d@x.com"]);
    expect(failures.map((f) => f.subject)).toEqual(["b@x.com", "d@x.com"]);
    const io = captureIo({});
    expect(summarizeFailures(failures, 4, io)).toBe(1);
    expect(io.stderr).toEqual([
      "error: 2 of 4 users failed:",
      '  b@x.com: unknown_subject: Cannot get a token for "b@x.com": the user does not exist',
      '  d@x.com: unknown_subject: Cannot get a token for "d@x.com": the user does not exist',
      "hint: Check the email",
    ]);
  });

  it("no failure is exit 0 and prints nothing; a bug among failures is exit 70", () => {
    const io = captureIo({});
    expect(summarizeFailures([], 3, io)).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(
      summarizeFailures(
        [
          { subject: "a@x.com", error: new TypeError("x is undefined") },
          { subject: "b@x.com", error: refusal("b@x.com") },
        ],
        3,
        io,
      ),
    ).toBe(70);
  });

  it("a run as one user rethrows its error (printed as error: + hint:)", () => {
    const error = refusal("a@x.com");
    expect(() => summarizeFailures([{ subject: "a@x.com", error }], 1, captureIo({}))).toThrow(
      error,
    );
  });
});

describe("progress", () => {
  it("renders counts, a bar and failures", () => {
    expect(renderProgress("users", { done: 50, failed: 0, total: 200 }, 8)).toBe(
      "users  50/200 [##......]  25%",
    );
    expect(renderProgress("users", { done: 200, failed: 3, total: 200 }, 8)).toBe(
      "users 200/200 [########] 100%  3 failed",
    );
  });
  it("draws in place on a terminal and clears the line at the end", () => {
    const writes: string[] = [];
    const p = createProgress(2, {
      label: "users",
      enabled: true,
      write: (t) => void writes.push(t),
    });
    p.tick();
    p.tick(true);
    p.finish();
    expect(writes).toEqual([
      "\r\u001b[2Kusers 0/2 [........................]   0%",
      "\r\u001b[2Kusers 1/2 [############............]  50%",
      "\r\u001b[2Kusers 2/2 [########################] 100%  1 failed",
      "\r\u001b[2K",
    ]);
  });
  it("pauses (clears its line once) for output, resumes, and draws nothing after finish", () => {
    const writes: string[] = [];
    const p = createProgress(3, {
      label: "users",
      enabled: true,
      write: (t) => void writes.push(t),
    });
    p.pause();
    p.pause();
    p.resume();
    p.resume();
    p.tick();
    p.finish();
    p.tick();
    p.resume();
    expect(writes).toEqual([
      "\r\u001b[2Kusers 0/3 [........................]   0%",
      "\r\u001b[2K",
      "\r\u001b[2Kusers 0/3 [........................]   0%",
      "\r\u001b[2Kusers 1/3 [########................]  33%",
      "\r\u001b[2K",
    ]);
  });
  it("writes nothing when stderr is not a terminal", () => {
    const writes: string[] = [];
    const p = createProgress(5, {
      label: "users",
      enabled: false,
      write: (t) => void writes.push(t),
    });
    p.tick();
    p.finish();
    expect(writes).toEqual([]);
  });
});
