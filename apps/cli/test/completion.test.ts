// Shell completion: the bundled dwd prints the scripts; bash (always here) runs them as a shell would.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd } from "./helpers.ts";

let dir: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-completion-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await dwd(["completion", shell], cleanEnv());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    scripts[shell] = r.stdout;
    await writeFile(join(dir, `dwd.${shell}`), r.stdout);
  }
  await writeFile(join(dir, "key.json"), "{}");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What bash offers after `words` (the last one being completed). */
function bashComplete(...words: string[]): string[] {
  const script = `source ${JSON.stringify(join(dir, "dwd.bash"))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_dwd; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" })
    .split("\n")
    .filter((l) => l !== "");
}

describe("dwd completion", () => {
  const cases: { words: string[]; want: string[] }[] = [
    { words: ["dwd", "ev"], want: ["events"] },
    { words: ["dwd", "co"], want: ["colors", "config", "completion"] },
    { words: ["dwd", "events", "li"], want: ["list"] },
    {
      words: ["dwd", "events", "list", "primary", "--ke"],
      want: ["--key", "--key-email", "--key-password"],
    },
    {
      words: ["dwd", "events", "list", "--key", "key.json", "--subj"],
      want: ["--subject", "--subjects", "--subjects-file"],
    },
    {
      words: ["dwd", "events", "patch", "p", "x", "--send-updates", ""],
      want: ["all", "externalOnly", "none"],
    },
    { words: ["dwd", "token", "cache", ""], want: ["clear", "--help"] },
    { words: ["dwd", "freebusy", "--key", "ke"], want: ["key.json"] },
    { words: ["dwd", "--profile", "prod", "cal"], want: ["calendars"] },
  ];
  for (const c of cases)
    it(`bash completes "${c.words.join(" ")}"`, () => {
      expect(bashComplete(...c.words)).toEqual(c.want);
    });

  it("zsh runs the same function through bashcompinit; fish gets its own lines; both parse", () => {
    expect(scripts["zsh"]).toMatch(/^#compdef dwd\n/);
    expect(scripts["zsh"]).toContain("bashcompinit");
    expect(scripts["zsh"]).toContain("complete -o default -F _dwd dwd");
    expect(scripts["fish"]).toContain(
      "complete -c dwd -n '__dwd_is \\'events\\'' -a 'list' -d 'Every event of a calendar",
    );
    expect(scripts["fish"]).toContain(
      "complete -c dwd -n '__dwd_is \\'events list\\'' -l key -r -F",
    );
    for (const shell of ["zsh", "fish"]) {
      const check = spawnSync(shell, ["-n", join(dir, `dwd.${shell}`)], { encoding: "utf8" });
      if (check.error !== undefined) continue; // that shell is not installed here
      expect(check.stderr).toBe("");
      expect(check.status).toBe(0);
    }
  });

  it("an unknown shell is a usage error", async () => {
    expect(await dwd(["completion", "tcsh"], cleanEnv())).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'error: Unknown shell "tcsh": dwd completes bash, zsh and fish\nhint: Give one of: dwd completion bash, dwd completion zsh, dwd completion fish\n',
    });
  });
});
