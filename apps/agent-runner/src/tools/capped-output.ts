/** Collects bytes up to a cap and counts the rest, so a tool can say how much it left out. */
export class CappedOutput {
  private readonly cap: number;
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  /** The kept bytes as text, with a note when some were left out. */
  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.truncated ? `${text}\n[output truncated: first ${this.kept} of ${this.total} bytes shown]` : text;
  }
}
