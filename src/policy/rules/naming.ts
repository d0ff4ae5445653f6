/** How messages name many things: the first few, then how many more. */
export function namedList(items: readonly string[], limit: number, noun: string): string {
  const shown = items.slice(0, Math.max(limit, 1));
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more ${noun}(s)` : shown.join(', ');
}
