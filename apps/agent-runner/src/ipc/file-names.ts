// Names of the files the runner writes sort by when they were written, so the host can read a
// folder in name order: a zero-padded millisecond time, then a sequence number within it. The
// time never goes backwards, even if the clock does.

let lastTime = 0;
let sequence = 0;

export function timeOrderedName(suffix: string, now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now;
    sequence = 0;
  } else {
    sequence += 1;
  }
  return `${String(lastTime).padStart(15, '0')}-${String(sequence).padStart(6, '0')}-${suffix}.json`;
}

/** Dot-files are temporaries of an atomic write in progress (see writeJsonAtomic). */
export const isTemporary = (name: string): boolean => name.startsWith('.');
