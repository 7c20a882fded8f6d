// Work that must happen once a command has finished, whatever its outcome (e.g. writing the token file).
// main.ts runs the tasks after the command; a task that fails is reported as a warning and never changes
// the command's exit code.

type Task = () => Promise<void>;
// The bundle evaluates the entry and the embedded commands as separate modules (apps/cli/build.ts), so each
// has its own copy of this file: the list lives on globalThis, under a registered symbol, to be one list.
const registry = globalThis as { [key: symbol]: { label: string; run: Task }[] | undefined };
const key = Symbol.for("dwd.exitTasks");
const tasks = (registry[key] ??= []);

/** Runs `run` when the command has finished; `label` names it in a warning when it fails. */
export function atExit(label: string, run: Task): void {
  tasks.push({ label, run });
}

/** Runs every registered task, each one once, and reports failures through `warn`. */
export async function runExitTasks(warn: (line: string) => void): Promise<void> {
  const due = tasks.splice(0);
  const results = await Promise.allSettled(due.map((t) => t.run()));
  results.forEach((r, i) => {
    if (r.status === "rejected") {
      const reason = r.reason instanceof Error ? r.reason.message : String(r.reason);
      warn(`warning: could not ${due[i]?.label ?? "finish"}: ${reason}`);
    }
  });
}
