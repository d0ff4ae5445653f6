/**
 * A deep copy of JSON data (what an AdmissionReview's objects are). Several times faster than
 * structuredClone, which serialises through the structured-clone algorithm; this is on the hot path
 * of every mutation.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    copy[key] = cloneJson((value as Record<string, unknown>)[key]);
  return copy as T;
}
