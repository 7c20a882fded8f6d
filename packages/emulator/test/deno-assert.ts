/** Two tiny assertions for the Deno suite (no network: @std/assert is not installed). */
export function assertEquals(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`Expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function assertMatch(actual: string, pattern: RegExp): void {
  if (!pattern.test(actual))
    throw new Error(`Expected ${JSON.stringify(actual)} to match ${String(pattern)}`);
}
