import { DaxrefError } from '../errors';

/**
 * Schedule tokens. A schedule is stored as its deviations from the default continuation (keep
 * running the task that ran last; when it cannot run, the lowest task id): pairs (choice point,
 * task id) at the points where more than one task was runnable. The token is a version prefix
 * and the base64url of the pairs as varints (choice-point gaps, then ids), so a counterexample
 * with a few preemptions prints in a few dozen characters.
 */

/** The token format's version prefix. */
export const TOKEN_PREFIX = 'd1.';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function b64url(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    if (i + 1 < bytes.length) out += B64[(n >> 6) & 63]!;
    if (i + 2 < bytes.length) out += B64[n & 63]!;
  }
  return out;
}

function unb64url(s: string, token: string): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const v = code < 128 ? B64_INDEX[code]! : -1;
    if (v < 0) throw bad(token, `character '${s[i]}' is not base64url`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 255);
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}

function bad(token: string, why: string): DaxrefError {
  return new DaxrefError(
    'BAD_ARGUMENT',
    'schedule',
    `invalid schedule token '${token}': ${why} (a token looks like '${TOKEN_PREFIX}AQIDBA')`,
  );
}

/** Encodes deviations (flat pairs: choice-point index ascending, task id) as a token. */
export function encodeSchedule(deviations: readonly number[]): string {
  const bytes: number[] = [];
  const varint = (n: number) => {
    while (n >= 128) {
      bytes.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
  };
  let prev = -1;
  for (let i = 0; i < deviations.length; i += 2) {
    const at = deviations[i]!;
    varint(at - prev - 1);
    varint(deviations[i + 1]!);
    prev = at;
  }
  return TOKEN_PREFIX + b64url(bytes);
}

/** Decodes a token into deviations (flat pairs: choice-point index, task id). */
export function decodeSchedule(token: string): number[] {
  if (!token.startsWith(TOKEN_PREFIX)) throw bad(token, `it must start with '${TOKEN_PREFIX}'`);
  const bytes = unb64url(token.slice(TOKEN_PREFIX.length), token);
  const nums: number[] = [];
  let n = 0;
  let mul = 1;
  for (const b of bytes) {
    n += (b & 127) * mul;
    if (b & 128) mul *= 128;
    else {
      nums.push(n);
      n = 0;
      mul = 1;
    }
  }
  if (mul !== 1 || nums.length % 2 !== 0) throw bad(token, 'it is truncated');
  const out: number[] = [];
  let prev = -1;
  for (let i = 0; i < nums.length; i += 2) {
    prev = prev + 1 + nums[i]!;
    out.push(prev, nums[i + 1]!);
  }
  return out;
}
