// Reading a running command's metrics endpoint in the tests: /metrics parsed into
// series → value, /health's status, and bounded polling until a condition holds.

/** One scrape: each sample line's series (`name{labels}`) and value. */
export type Samples = Map<string, number>;

/** GET `${metrics}/metrics`, parsed (comments skipped). */
export async function scrape(metrics: string): Promise<Samples> {
  const response = await fetch(`${metrics}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const samples: Samples = new Map();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** A series' value in `samples` (0 when absent: counters not moved yet are not listed). */
export function sample(samples: Samples, series: string): number {
  return samples.get(series) ?? 0;
}

/** How much `series` moved from `before` to `after`. */
export function moved(before: Samples, after: Samples, series: string): number {
  return sample(after, series) - sample(before, series);
}

/** /health's status and JSON body. */
export async function health(metrics: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${metrics}/health`);
  return { status: response.status, body: await response.json() };
}

/** Calls `probe` (at most `rounds` times, 100 ms apart) until it returns a value; throws after. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  rounds = 600,
): Promise<T> {
  for (let i = 0; i < rounds; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** Scrapes until the HTTP request count moved by `count` from `before` (bounded), then returns it. */
export function scrapeAfter(metrics: string, before: Samples, count: number): Promise<Samples> {
  const total = (samples: Samples) =>
    [...samples].filter(([series]) => series.startsWith("backupfs_http_requests_total{"))
      .reduce((sum, [, value]) => sum + value, 0);
  return eventually(`${count} requests counted`, async () => {
    const after = await scrape(metrics);
    return total(after) - total(before) >= count ? after : undefined;
  });
}
