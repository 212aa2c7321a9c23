/** Kubernetes resource quantities ("32", "500m", "128Gi", "1G") as numbers. */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, m: 1e-3 };

export function parseCpuMillis(value: string | undefined): number {
  if (!value) return 0;
  if (value.endsWith("m")) return Number(value.slice(0, -1)) || 0;
  return Math.round((Number(value) || 0) * 1000);
}

export function parseMemoryBytes(value: string | undefined): number {
  if (!value) return 0;
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(value);
  if (!match) return 0;
  const n = Number(match[1]);
  const unit = match[2] ?? "";
  return Math.round(n * (BINARY[unit] ?? DECIMAL[unit] ?? 1));
}
