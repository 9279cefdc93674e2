type WaitOptions = {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
  /** On timeout, what the test should show about the state it was waiting on (rows, logs). */
  diagnose?: () => Promise<unknown> | unknown;
};

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition', diagnose }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const state = diagnose ? `\nstate: ${JSON.stringify(await diagnose(), null, 1)}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`, { cause: lastError });
}
