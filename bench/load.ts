import autocannon from 'autocannon';

/** One HTTP request as autocannon sends it. */
export interface HttpCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** Origin of the server under load. */
  url: string;
  connections: number;
  seconds: number;
  /** The next request of connection `client`; `undefined` ends the run early (a prepared pool is used up). */
  next(client: number): HttpCall | undefined;
  /** Sees the body of every 2xx answer to connection `client`. */
  answered?(client: number, body: string): void;
}

/** What one run saw. */
export interface LoadSample {
  /** Milliseconds, of every 2xx response. */
  latencies: number[];
  /** Non-2xx answers by status, connection errors and timeouts: any of these makes the figures suspect. */
  failures: Record<string, number>;
  /** The run ended before its duration because `next` had no more requests. */
  exhausted: boolean;
  seconds: number;
}

/** One or more runs of the same load, summarised. */
export interface LoadResult {
  p50: number;
  p99: number;
  /** 2xx responses per second. */
  rps: number;
  failures: Record<string, number>;
  exhausted: boolean;
  seconds: number;
}

/** Sent once a pool is used up, until autocannon stops; its answers are not counted. */
const EXHAUSTED: HttpCall = { method: 'GET', path: '/__bench/exhausted', headers: {} };

/**
 * Drives one server at a fixed number of connections for a fixed time. Latencies are taken
 * from autocannon's per-response timings (fractional ms) rather than its histogram, which
 * rounds to whole milliseconds — too coarse for 2–5 ms requests.
 */
export async function runLoad(options: LoadOptions): Promise<LoadSample> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let exhausted = false;
  let exhaustedAt = 0;
  let clients = 0;
  let instance: autocannon.Instance | undefined;
  const startedAt = performance.now();
  const exhaust = () => {
    exhausted = true;
    exhaustedAt = performance.now();
    instance?.stop();
  };
  instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    setupClient: (client) => {
      const index = clients++;
      client.setRequests([
        {
          setupRequest: (request) => {
            const call = exhausted ? undefined : options.next(index);
            if (!call) {
              if (!exhausted) exhaust();
              return { ...request, ...EXHAUSTED };
            }
            return { ...request, ...call };
          },
          onResponse: (status, body) => {
            if (!exhausted && status >= 200 && status < 300) options.answered?.(index, body);
          },
        },
      ]);
    },
  });
  // The first request of each connection is built while autocannon starts, before `instance` is set.
  if (exhausted) instance.stop();
  instance.on('response', (_client, status, _bytes, ms) => {
    if (exhausted) return;
    if (status >= 200 && status < 300) latencies.push(ms);
    else failures[String(status)] = (failures[String(status)] ?? 0) + 1;
  });
  const result = await instance;
  if (result.errors) failures.errors = result.errors;
  if (result.timeouts) failures.timeouts = result.timeouts;
  return { latencies, failures, exhausted, seconds: exhausted ? (exhaustedAt - startedAt) / 1000 : result.duration };
}

export function summarize(samples: LoadSample[]): LoadResult {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  const failures: Record<string, number> = {};
  for (const sample of samples) {
    for (const [kind, count] of Object.entries(sample.failures)) failures[kind] = (failures[kind] ?? 0) + count;
  }
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    rps: seconds > 0 ? latencies.length / seconds : 0,
    failures,
    exhausted: samples.some((sample) => sample.exhausted),
    seconds,
  };
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}
