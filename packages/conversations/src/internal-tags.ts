const INTERNAL = /<internal>[\s\S]*?<\/internal>/g;

/**
 * The assistant may think aloud in `<internal>…</internal>`; customers see the text without
 * it. The raw text is kept beside the message for debugging. An unclosed tag hides the rest,
 * so half a thought never leaks.
 */
export function stripInternalTags(raw: string): string {
  const stripped = raw.replace(INTERNAL, '');
  const open = stripped.indexOf('<internal>');
  return (open === -1 ? stripped : stripped.slice(0, open)).replace(/\n{3,}/g, '\n\n').trim();
}
