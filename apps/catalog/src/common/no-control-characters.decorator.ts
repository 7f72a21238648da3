import { ValidateBy, type ValidationOptions } from 'class-validator';

// C0 controls and DEL, but tab, line feed and carriage return, which free text may hold.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * Rejects NUL and the other control characters in a string. PostgreSQL can't store NUL in a
 * text column at all (the insert failed as a 500), and no product name or review needs the
 * others: they are terminal escapes and garbage, and the same on every database.
 */
export function NoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noControlCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !CONTROL_CHARACTER.test(value),
        defaultMessage: () => '$property must not contain NUL or other control characters',
      },
    },
    options,
  );
}
