import { describe, expect, it } from 'vitest';
import { stripInternalTags } from '../src/index.ts';

describe('stripInternalTags', () => {
  it.each([
    ['no tags', 'Hello there.', 'Hello there.'],
    ['one tag', '<internal>check the logs first</internal>The build is fixed.', 'The build is fixed.'],
    ['several, multi-line', 'A<internal>x\ny</internal> and B<internal>z</internal>.', 'A and B.'],
    ['only internal', '<internal>nothing to say</internal>', ''],
    ['unclosed tag hides the rest', 'Done. <internal>secret plan', 'Done.'],
    ['blank lines left behind collapse', 'One.\n\n<internal>x</internal>\n\nTwo.', 'One.\n\nTwo.'],
  ])('%s', (_name, raw, shown) => {
    expect(stripInternalTags(raw)).toBe(shown);
  });
});
