/**
 * Base of every error the library raises: a stable `code` to branch on,
 * and the underlying error (if any) as `cause`.
 */
export abstract class CacheAsideError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
