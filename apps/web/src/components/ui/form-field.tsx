/*
 * Labelled form controls. The label wraps its control, so the control is
 * named by the label's words (getByLabel, screen readers) and a click on
 * the words focuses it.
 */
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';

/** 'narrow' for short values (a port, a protocol), 'inline' for a label beside its control. */
type FieldWidth = 'narrow' | 'inline';

interface FieldProps {
  label: ReactNode;
  width?: FieldWidth;
}

export function Field({ label, width, children }: FieldProps & { children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control comes in as children (InputField, SelectField)
    <label className={width ? `field field-${width}` : 'field'}>
      <span>{label}</span>
      {children}
    </label>
  );
}

export function InputField({ label, width, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Field label={label} width={width}>
      <input {...input} />
    </Field>
  );
}

interface OptionsProps<Value extends string | number> {
  options: readonly Value[];
  /** What the option shows; its value otherwise. */
  optionLabel?(value: Value): ReactNode;
  /** The words of a first, empty choice that means "no filter". */
  anyLabel?: string;
}

/** The options of a select: one per value, optionally after an empty "any" choice. */
export function Options<Value extends string | number>({ options, optionLabel, anyLabel }: OptionsProps<Value>) {
  return (
    <>
      {anyLabel !== undefined && <option value="">{anyLabel}</option>}
      {options.map((value) => (
        <option key={value} value={value}>
          {optionLabel ? optionLabel(value) : value}
        </option>
      ))}
    </>
  );
}

export function SelectField<Value extends string | number>({
  label,
  width,
  options,
  optionLabel,
  anyLabel,
  ...select
}: FieldProps & OptionsProps<Value> & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <Field label={label} width={width}>
      <select {...select}>
        <Options options={options} optionLabel={optionLabel} anyLabel={anyLabel} />
      </select>
    </Field>
  );
}

/** Why the form was not sent, announced at once; nothing while there is no problem. */
export function FormProblem({ problem }: { problem: string | null }) {
  if (!problem) return null;
  return (
    <p className="alert alert-error form-wide" role="alert">
      {problem}
    </p>
  );
}

/** The form's submit button, which says so while the request is out. */
export function FormSubmit({ label, busyLabel, busy = false }: { label: string; busyLabel?: string; busy?: boolean }) {
  return (
    <div className="form-actions">
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy && busyLabel ? busyLabel : label}
      </button>
    </div>
  );
}
