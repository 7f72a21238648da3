/** A Redis URL fit for logs and error messages: the password never leaves this function. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable redis url>';
  }
}

/** Replaces every `scheme://user:password@` in free text (error messages echo URLs). */
export function redactSecrets(text: string): string {
  return text.replace(/(rediss?:\/\/[^:@/\s]*:)[^@\s]*@/gi, '$1***@');
}
