import { pack } from 'tar-stream';

export type TarEntry = {
  name: string;
  body?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
};

/** A real tar, as `tar -cf` would write it. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => {
    chunks.push(c as Buffer);
  }); // read as it is written, or a large entry stalls the pack
  const ended = new Promise<void>((resolve) => p.once('end', () => resolve()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    await new Promise<void>((resolve, reject) =>
      p.entry(
        { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), ...(e.linkname ? { linkname: e.linkname } : {}) },
        type === 'file' ? (e.body ?? '') : '',
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A SKILL.md with front matter, as the Agent Skills layout has it. */
export const skillMd = (name = 'pdf-tools', description = 'Fill and read PDF forms; use when a PDF is involved.') =>
  `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\nRun scripts/fill.sh.\n`;
