/**
 * `If-Match` as RFC 9110 §13.1.1 reads it: `*`, or a list of entity tags compared strongly. Only a
 * strong tag equal to the item's current `ETag` ("<version>"), or `*` on an existing item, lets a
 * write through; a weak tag (`W/"3"`) never matches, and a field that does not parse matches nothing.
 */
export type IfMatch = { kind: 'any' } | { kind: 'versions'; versions: number[] };

const entityTag = /^\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/;

export function parseIfMatch(field: string | undefined): IfMatch | undefined {
  if (field === undefined) return undefined;
  if (field.trim() === '*') return { kind: 'any' };
  const versions: number[] = [];
  let rest = field;
  while (rest.trim() !== '') {
    const tag = entityTag.exec(rest);
    if (!tag) return { kind: 'versions', versions: [] };
    const [whole, weak, opaque = ''] = tag;
    if (!weak && /^\d{1,15}$/.test(opaque)) versions.push(Number(opaque));
    rest = rest.slice(whole.length);
  }
  return { kind: 'versions', versions };
}
