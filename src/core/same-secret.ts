import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether two secrets (a gateway token, a sign-in's `state`) are equal, in constant time: their
 * digests are compared, so their lengths leak nothing either. An empty secret equals nothing.
 */
export function sameSecret(a: string, b: string): boolean {
  if (!a || !b) return false;
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
