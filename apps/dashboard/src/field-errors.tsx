import { ErrorState } from './states.tsx';

/**
 * A form's refusals at their fields: `errorAt` holds each field's message (by the form's own
 * field names, which become element ids); the input points at it with aria-describedby and is
 * marked aria-invalid, and whatever no field holds shows once, below the form.
 */
export function fieldErrors(idPrefix: string, errorAt: Record<string, string | undefined>) {
  const errorId = (name: string) => `${idPrefix}-${name}-error`;
  return {
    atAField: Object.values(errorAt).some(Boolean),
    describedBy: (name: string, hint?: string) => [hint, errorAt[name] ? errorId(name) : undefined].filter(Boolean).join(' ') || undefined,
    invalid: (name: string) => (errorAt[name] ? true : undefined),
    message: (name: string) =>
      errorAt[name] ? (
        <span id={errorId(name)} className="field-error">
          {errorAt[name]}
        </span>
      ) : null,
  };
}

/** A form's last row: submit, cancel when it can be, and the refusal no field holds. */
export function FormActions({
  submitLabel,
  pending,
  onCancel,
  error,
  atAField,
}: {
  submitLabel: string;
  pending: boolean;
  onCancel?: (() => void) | undefined;
  error: unknown;
  atAField: boolean;
}) {
  return (
    <>
      <div className="row">
        <button type="submit" disabled={pending}>
          {submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {error && !atAField ? <ErrorState error={error} /> : null}
    </>
  );
}
