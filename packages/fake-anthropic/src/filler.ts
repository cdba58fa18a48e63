// Text for `#fake long <chars>`: readable, word-broken prose that is the same on every run.

const prose =
  'The quick brown fox jumps over the lazy dog. ' +
  'Pack my box with five dozen liquor jugs. ' +
  'How vexingly quick daft zebras jump! ' +
  'Sphinx of black quartz, judge my vow. ';

/** Exactly `chars` characters of filler prose. */
export function fillerText(chars: number): string {
  return prose.repeat(Math.ceil(chars / prose.length)).slice(0, chars);
}
