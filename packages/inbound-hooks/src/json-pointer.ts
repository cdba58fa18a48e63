/** RFC 6901: `""` is the whole document, `/a/0/b~1c` walks keys and array indexes (`~1` is `/`, `~0` is `~`). */
export const JSON_POINTER = /^(\/([^~/]|~[01])*)*$/;

/** The value a JSON pointer names in `doc`, or undefined when there is none. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (!JSON_POINTER.test(pointer)) throw new Error(`not a JSON pointer: ${JSON.stringify(pointer)}`);
  if (pointer === '') return doc;
  let node = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      // Array indexes are decimal without leading zeros; `-` (past the end) names nothing.
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else return undefined;
  }
  return node;
}
