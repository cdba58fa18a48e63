import type { ReactNode } from 'react';
import { ErrorState } from './states.tsx';

/** The panel that asks before deleting something for good; `children` says what goes with it. */
export function ConfirmDelete({
  headingId,
  title,
  children,
  deletion,
  onKeep,
}: {
  headingId: string;
  title: string;
  children: ReactNode;
  deletion: { mutate(): void; isPending: boolean; error: unknown };
  onKeep: () => void;
}) {
  return (
    <section aria-labelledby={headingId} className="panel">
      <h2 id={headingId}>{title}</h2>
      <p>{children}</p>
      <div className="row">
        <button type="button" className="danger" onClick={() => deletion.mutate()} disabled={deletion.isPending}>
          Yes, delete it
        </button>
        <button type="button" onClick={onKeep}>
          Keep it
        </button>
      </div>
      {deletion.error ? <ErrorState error={deletion.error} /> : null}
    </section>
  );
}
