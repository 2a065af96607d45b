import { vi } from 'vitest';

/** Runs `action` with logs from `level` up on and returns the structured log lines written meanwhile. */
export async function loggedDuring(
  action: () => unknown,
  level: 'info' | 'error' = 'error',
): Promise<{ lines: Record<string, unknown>[]; text: string }> {
  const written: string[] = [];
  vi.stubEnv('LOG_LEVEL', level);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
    written.push(String(chunk));
    return true;
  }) as never);
  try {
    await action();
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
  const text = written.join('');
  return {
    text,
    lines: written
      .flatMap((line) => line.split('\n'))
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  };
}
