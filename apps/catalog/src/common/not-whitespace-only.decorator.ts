import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Rejects a non-empty string of whitespace only (spaces, tabs, line breaks, no-break spaces:
 * what String#trim removes). Whether the empty string is allowed stays the field's own rule
 * (IsNotEmpty); values are not trimmed, so what the client sent is what gets stored.
 */
export function NotWhitespaceOnly(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notWhitespaceOnly',
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' || value === '' || value.trim() !== '',
        defaultMessage: () => '$property must not be whitespace only',
      },
    },
    options,
  );
}
