import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/** The web-only check (tsconfig.web.json): src/index.ts and everything it imports, with no Node types. */
function webProgram(extra?: { name: string; text: string }): ts.Program {
  const configPath = fileURLToPath(new URL("../tsconfig.web.json", import.meta.url));
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
  if (parsed === undefined) throw new Error("Cannot read tsconfig.web.json");
  const host = ts.createCompilerHost(parsed.options);
  if (extra !== undefined) {
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === extra.name || fileExists(name);
    host.getSourceFile = (name, language, ...rest) =>
      name === extra.name ? ts.createSourceFile(name, extra.text, language) : getSourceFile(name, language, ...rest);
  }
  return ts.createProgram({ rootNames: extra === undefined ? parsed.fileNames : [...parsed.fileNames, extra.name], options: parsed.options, host });
}

describe("tsconfig.web.json keeps Node globals out of the library", { timeout: 120_000 }, () => {
  it("src/index.ts type-checks with no @types/node or undici-types in the program", () => {
    const program = webProgram();
    const files = program.getSourceFiles().map((f) => f.fileName);
    expect(files.some((f) => f.endsWith("/src/index.ts"))).toBe(true);
    expect(files.filter((f) => /@types\/node\/|undici-types|@types\/node-forge/.test(f))).toEqual([]);
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
  });

  it("rejects Node globals (Buffer, setImmediate) in a core file", () => {
    const name = fileURLToPath(new URL("../src/_internal/web-types-probe.ts", import.meta.url));
    const program = webProgram({ name, text: 'export const probe: unknown = [Buffer.from("x"), setImmediate(() => {})];\n' });
    const messages = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === name).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(messages).toEqual([expect.stringContaining("Cannot find name 'Buffer'"), expect.stringContaining("Cannot find name 'setImmediate'")]);
  });
});
