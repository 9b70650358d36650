// A matrix cell's schedule token is bound to its scenario and policy: core's replay token plus
// `~` and a short hash of both ids, so `daxref trace` can refuse a token from another cell.

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The binding tag of a scenario and policy pair (7 base-36 characters). */
export function cellTag(scenario: string, policy: string): string {
  return fnv1a(`${scenario}\u0000${policy}`).toString(36).padStart(7, '0');
}

/** Binds core's replay token to the cell it was found in: `d1.BQM~0k3f9az`. */
export function bindToken(token: string, scenario: string, policy: string): string {
  return `${token}~${cellTag(scenario, policy)}`;
}

/** Splits a token into core's replay token and its binding tag (null for a bare core token). */
export function splitToken(token: string): { token: string; tag: string | null } {
  const at = token.lastIndexOf('~');
  return at < 0 ? { token, tag: null } : { token: token.slice(0, at), tag: token.slice(at + 1) };
}
