// How every bench section reports: one result per comparison (dwd, the baseline it is compared with, and
// their ratio). As text by default; with `--json` (`pnpm bench -- --json`) stdout carries only the results,
// one JSON object a line, and everything meant for people goes to stderr.

/** One bench result, as `pnpm bench -- --json` prints it. */
export interface BenchResult {
  name: string;
  /** dwd's number. */
  dwd: number;
  /** The baseline's number (Google's own libraries doing the same job, unless the name says otherwise). */
  baseline: number;
  /** dwd / baseline. */
  ratio: number;
  unit?: string;
  /** The target for this ratio or number, in words, when it has one. */
  target?: string;
}

/** True when the run was asked for JSON lines (`--json`). */
export const json: boolean = process.argv.includes("--json");

/** A result; `ratio` is dwd / baseline (1 when both are 0). */
export function result(
  name: string,
  dwd: number,
  baseline: number,
  unit: string,
  target?: string,
): BenchResult {
  const ratio = baseline === 0 ? (dwd === 0 ? 1 : Infinity) : dwd / baseline;
  return { name, dwd, baseline, ratio, unit, ...(target !== undefined ? { target } : {}) };
}

/** Lines for people: stdout as text, stderr under --json. */
export function say(...lines: string[]): void {
  for (const line of lines) (json ? process.stderr : process.stdout).write(`${line}\n`);
}

/** A table for people (console.table), on stderr under --json. */
export function table(rows: readonly object[]): void {
  if (json) new console.Console(process.stderr).table(rows);
  else console.table(rows);
}

const round = (x: number): string =>
  Math.abs(x) >= 100 || Number.isInteger(x) ? String(Math.round(x)) : x.toFixed(2);

/** Prints results: one JSON object a line under --json, else one readable line each. */
export function report(results: readonly BenchResult[]): void {
  for (const r of results) {
    if (json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      continue;
    }
    const unit = r.unit !== undefined ? ` ${r.unit}` : "";
    const target = r.target !== undefined ? ` (target ${r.target})` : "";
    process.stdout.write(
      `  ${r.name}: dwd ${round(r.dwd)} vs ${round(r.baseline)}${unit} → ratio ${r.ratio.toFixed(3)}${target}\n`,
    );
  }
}
