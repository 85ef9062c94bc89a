/** Small helpers the benchmarks share: medians over repeated samples, and a printed row. */
export function median(samples: number[]): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `fn` `rounds` times and returns the median of the per-round figure it reports. */
export async function medianOf(rounds: number, fn: () => Promise<number> | number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) samples.push(await fn());
  return median(samples);
}

export function printRow(label: string, value: number, unit: string, baseline?: { label: string; value: number }): void {
  const ratio = baseline ? `  (${(value / baseline.value).toFixed(2)}x ${baseline.label})` : '';
  console.log(`${label.padEnd(48)} ${value.toFixed(value < 10 ? 2 : 1).padStart(10)} ${unit}${ratio}`);
}
