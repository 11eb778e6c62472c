// Process-wide cap on SSH handshakes in progress (key exchange + auth; the TCP connection is
// made before a slot is taken, so hosts that do not answer at all never hold one).
//
// Why: sshd logins are CPU-bound (~20/s on a small machine). With 1000 hosts at --forks 1000,
// starting every handshake at once makes each one wait behind the others, and their connect
// timeouts expire in that queue: most hosts end "unreachable" although they are fine. With a cap,
// a handshake starts only when a slot is free and its timeout covers the attempt itself, never
// the wait for a slot; a host that refuses or times out gives its slot back at once.

/** Default handshakes in flight; RUNBOOK_MAX_HANDSHAKES or ConnectionSpec.maxHandshakes override it. */
export const DEFAULT_MAX_HANDSHAKES = 48;

/** The handshake cap is the shared FIFO semaphore (it counts peak and total for tests). */
export { Semaphore as HandshakeLimiter } from '../util/semaphore.js';
import { Semaphore as HandshakeLimiter } from '../util/semaphore.js';

const shared = new Map<number, HandshakeLimiter>();

/** The limiter shared by every transport of this process that uses this limit. */
export function sharedHandshakeLimiter(limit: number): HandshakeLimiter {
  let l = shared.get(limit);
  if (!l) {
    l = new HandshakeLimiter(limit);
    shared.set(limit, l);
  }
  return l;
}

/**
 * The limit to use: an explicit value (spec/override) first, then RUNBOOK_MAX_HANDSHAKES, then
 * the default. Returns an error message (not a throw) for a bad env value, so the caller can warn.
 */
export function resolveMaxHandshakes(
  explicit: number | undefined,
  env: Record<string, string | undefined> = process.env,
): { limit: number; warning?: string } {
  if (explicit !== undefined && Number.isInteger(explicit) && explicit >= 1) return { limit: explicit };
  const raw = env.RUNBOOK_MAX_HANDSHAKES;
  if (raw === undefined || raw.trim() === '') return { limit: DEFAULT_MAX_HANDSHAKES };
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1) return { limit: n };
  return {
    limit: DEFAULT_MAX_HANDSHAKES,
    warning: `RUNBOOK_MAX_HANDSHAKES must be a positive integer, got ${JSON.stringify(raw)}; using ${DEFAULT_MAX_HANDSHAKES}`,
  };
}
