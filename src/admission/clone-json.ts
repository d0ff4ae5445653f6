/**
 * A deep copy of JSON data (what an AdmissionReview's objects are). Several times faster than
 * structuredClone, which serialises through the structured-clone algorithm; this is on the hot path
 * of every mutation.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an ordinary field; assigned, it would set the copy's prototype
    // instead (the field gone from the copy, its contents inherited by it).
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else copy[key] = item;
  }
  return copy as T;
}
