// The repository's scripts/extract-discovery.ts, which writes src/_generated/discovery.ts from Google's
// Calendar discovery document: it reads the committed copy (the document's facts, without Google's
// prose), a path or a URL (here a local HTTP server serving the committed copy, standing in for Google's
// discovery URL), and no tracked file names a folder outside the repository.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const script = join(repoRoot, "scripts/extract-discovery.ts");
const copy = join(repoRoot, "scripts/fixtures/discovery/calendar-v3.json");
const targets = [
  "packages/calendar/src/_generated/discovery.ts",
  "packages/emulator/src/_generated/discovery.ts",
];
const discoveryPath = "/discovery/v1/apis/calendar/v3/rest";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function extract(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: repoRoot }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const generated = (): string[] => targets.map((t) => readFileSync(join(repoRoot, t), "utf8"));

const requests: string[] = [];
let base = "";
const server = createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`);
  if (req.url === discoveryPath) {
    res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
    res.end(readFileSync(copy));
  } else if (req.url === "/not-discovery") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "discovery#restDescription", name: "drive", version: "v3" }));
  } else {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("Not Found");
  }
});
const scratch = mkdtempSync(join(tmpdir(), "dwd-extract-discovery-"));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  rmSync(scratch, { recursive: true, force: true });
});

describe("scripts/extract-discovery.ts", () => {
  it("the committed copy holds facts only: no description, enum description, title or icons of Google's", () => {
    const doc = JSON.parse(readFileSync(copy, "utf8")) as Record<string, unknown>;
    const prose: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
      else if (value !== null && typeof value === "object")
        for (const [k, v] of Object.entries(value)) {
          if ((k === "description" && typeof v === "string") || k === "enumDescriptions")
            prose.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
    };
    walk(doc, "$");
    expect(prose).toEqual([]);
    for (const key of ["title", "description", "icons", "documentationLink", "ownerName"])
      expect(doc).not.toHaveProperty(key);
    // A field that is named description is a fact, and stays.
    expect(doc).toHaveProperty(["schemas", "Event", "properties", "description", "type"], "string");
  });

  it("--check with no source checks the generated files against the committed copy", async () => {
    const r = await extract("--check");
    expect(r).toStrictEqual({
      code: 0,
      stdout: `extract-discovery: ${targets.join(" and ")} are up to date with scripts/fixtures/discovery/calendar-v3.json (revision 20260225)\n`,
      stderr: "",
    });
  });

  it("--check URL fetches the document over HTTP (as from Google's discovery URL)", async () => {
    requests.length = 0;
    const r = await extract("--check", `${base}${discoveryPath}`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `extract-discovery: ${targets.join(" and ")} are up to date with ${base}${discoveryPath} (revision 20260225)\n`,
    );
    expect(requests).toStrictEqual([`GET ${discoveryPath}`]);
  });

  it("a document of another revision is reported as out of date, and nothing is written", async () => {
    const before = generated();
    const doc = JSON.parse(readFileSync(copy, "utf8")) as {
      revision: string;
      resources: { events: { methods: Record<string, unknown> } };
    };
    doc.revision = "20990101";
    delete doc.resources.events.methods.watch;
    const file = join(scratch, "calendar-v3.json");
    writeFileSync(file, JSON.stringify(doc));
    const r = await extract("--check", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        ...targets.map((t) => `error: ${t} is out of date with ${file} (revision 20990101)`),
        `hint: run \`node scripts/extract-discovery.ts ${file}\` and commit the result`,
        "",
      ].join("\n"),
    );
    expect(generated()).toStrictEqual(before);
  });

  it("a URL that answers 404 is one error line with the status and a hint; exit 1", async () => {
    const r = await extract("--check", `${base}/nothing-here`);
    expect(r).toStrictEqual({
      code: 1,
      stdout: "",
      stderr: `error: Cannot fetch the discovery document from ${base}/nothing-here: HTTP 404\nhint: Google's is https://www.googleapis.com/discovery/v1/apis/calendar/v3/rest\n`,
    });
  });

  it("a document that is not Calendar v3's is refused, naming what it is", async () => {
    const r = await extract("--check", `${base}/not-discovery`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: Cannot use the document from ${base}/not-discovery: it is not Calendar v3's discovery document (kind "discovery#restDescription", name "drive", version "v3")\nhint: Google's is https://www.googleapis.com/discovery/v1/apis/calendar/v3/rest\n`,
    );
  });

  it("a path that does not exist, and an unknown option, are usage errors (exit 2)", async () => {
    const missing = join(scratch, "missing.json");
    expect(await extract("--check", missing)).toStrictEqual({
      code: 2,
      stdout: "",
      stderr: `error: Cannot read the discovery document "${missing}": the file does not exist\nhint: give a path, an http(s) URL, or --google (https://www.googleapis.com/discovery/v1/apis/calendar/v3/rest)\n`,
    });
    expect(await extract("--chek")).toStrictEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: Unknown option --chek\nhint: node scripts/extract-discovery.ts [--check] [PATH | URL | --google]\n",
    });
  });
});

describe("the repository stands alone", () => {
  it("no file in it names a folder outside the repository (the notes beside the clone, the machine it was made on)", () => {
    const skip = new Set(["node_modules", "dist", ".git", ".turbo", ".doc-check", "test-output"]);
    const outside = [/\.\.\/shared\b/, /\/work\//];
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (skip.has(name) || (dir === join(repoRoot, ".ci") && name === ".tools")) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (statSync(path).size < 2_000_000) {
          const lines = readFileSync(path, "utf8").split("\n");
          lines.forEach((line, i) => {
            if (outside.some((re) => re.test(line)))
              found.push(`${relative(repoRoot, path)}:${i + 1}`);
          });
        }
      }
    };
    walk(repoRoot);
    expect(found).toStrictEqual([]);
  });
});
