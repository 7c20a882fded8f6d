// A one-line progress bar on stderr, redrawn in place; only on a terminal (piped stderr stays silent).

/** Counts of a multi-user run. */
export interface ProgressCounts {
  done: number;
  failed: number;
  total: number;
}

/** Draws one state of the bar: `users  45/200 [#####.......]  22%  3 failed`. */
export function renderProgress(label: string, counts: ProgressCounts, barWidth = 24): string {
  const { done, failed, total } = counts;
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(fraction * barWidth);
  const bar = `${"#".repeat(filled)}${".".repeat(barWidth - filled)}`;
  const pad = String(total).length;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  return `${label} ${String(done).padStart(pad)}/${total} [${bar}] ${percent}${failed > 0 ? `  ${failed} failed` : ""}`;
}

/** A progress bar that can be told about each finished unit of work. */
export interface Progress {
  /** One more user done (`failed`: it failed). */
  tick(failed?: boolean): void;
  /**
   * Clears the bar's line until {@link Progress.resume} or the next tick: output streamed to the same
   * terminal then starts on a clean line instead of after the bar.
   */
  pause(): void;
  /** Draws the bar again after {@link Progress.pause}. */
  resume(): void;
  /** Clears the line (the summary follows on clean lines). */
  finish(): void;
}

/** A bar that draws through `write` (raw, no newline) when `enabled`, and does nothing otherwise. */
export function createProgress(
  total: number,
  options: { label: string; enabled: boolean; write: (text: string) => void },
): Progress {
  if (!options.enabled || total <= 1)
    return {
      tick: () => undefined,
      pause: () => undefined,
      resume: () => undefined,
      finish: () => undefined,
    };
  const counts: ProgressCounts = { done: 0, failed: 0, total };
  let shown = false;
  // \r back to the start, ESC[2K clears the line: the bar is redrawn in place, never scrolled.
  const draw = (): void => {
    shown = true;
    options.write(`\r\u001b[2K${renderProgress(options.label, counts)}`);
  };
  const clear = (): void => {
    shown = false;
    options.write("\r\u001b[2K");
  };
  let done = false;
  draw();
  return {
    tick(failed = false) {
      counts.done++;
      if (failed) counts.failed++;
      if (!done) draw();
    },
    pause() {
      if (shown) clear();
    },
    resume() {
      if (!shown && !done) draw();
    },
    finish() {
      done = true;
      clear();
    },
  };
}
