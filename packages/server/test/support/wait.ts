/**
 * How long a test waits for something that does happen, however busy the machine: a limit against
 * hanging forever, never a measure of speed. A test that must tell two ways of getting there apart
 * (Redis or the database poll, say) turns the other one off instead of racing a deadline.
 */
export const PATIENCE_MS = 120_000;

/** Waits until `condition` holds, checking every few milliseconds; resolves to the time it took. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = PATIENCE_MS, what = 'condition'): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
