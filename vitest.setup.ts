/**
 * Loaded before every test file (vitest `setupFiles`). An unhandled rejection already fails the run;
 * this makes a late-handled one fail it too: a promise that rejected while nobody listened and was
 * handled only afterwards (Node's PromiseRejectionHandledWarning) is a failure of the code under test,
 * since a plain Node process would have died at the first moment.
 */
process.on("rejectionHandled", (promise: Promise<unknown>) => {
  throw new Error(
    "A promise rejected while nobody listened and was handled only later (PromiseRejectionHandledWarning)",
    { cause: promise },
  );
});
