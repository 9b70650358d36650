// Small helpers for writing HTML as strings: everything interpolated from an input file goes
// through `esc`, so a scenario title or a kernel log line can never break the page.

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** A stable element id from parts (letters, digits and dashes only). */
export function domId(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9-]+/g, '_')).join('--');
}

/** The design of a policy id (`1based@v6.14` → `1based`). */
export function designOf(policy: string): string {
  return policy.split('@')[0] ?? policy;
}

/** A number with a fixed count of significant decimals for a table. */
export function num(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A ratio such as `1.03×`. */
export function ratio(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return `${v.toFixed(v < 10 ? 2 : 1)}×`;
}
