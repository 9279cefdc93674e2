// With the u flag a surrogate pair is one code point: only unpaired halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;
// The same without g: test() on a global pattern would carry lastIndex from one call to the next.
const LONE_SURROGATE_ANY = /[\uD800-\uDFFF]/u;

function isStorable(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && !LONE_SURROGATE_ANY.test(value);
  if (typeof value !== 'object' || value === null) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (!isStorable(item)) return false;
  }
  return true;
}

function replaceUnstorable<T>(value: T): T {
  if (typeof value === 'string') {
    return value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD') as T;
  }
  if (Array.isArray(value)) return value.map(replaceUnstorable) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceUnstorable(item)])) as T;
}

/**
 * Postgres stores neither NUL nor an unpaired UTF-16 surrogate (a truncated emoji) in text or
 * jsonb. What a lead or an agent typed is kept with those characters as U+FFFD, rather than
 * losing the whole message to a refused insert. Values that need nothing come back as they are.
 */
export function storable<T>(value: T): T {
  return isStorable(value) ? value : replaceUnstorable(value);
}
