/**
 * Database failures a client should retry: the server is unreachable, restarting or shutting down.
 * The HTTP layer answers them with 503 and `Retry-After` instead of a 500.
 */

/** SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart, cannot connect now). */
const RETRYABLE_SQLSTATE = /^(08|57P)/;
const RETRYABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const RETRYABLE_MESSAGE =
  /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/i;

/** Whether `error` means "the database is unavailable right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (RETRYABLE_SQLSTATE.test(code) || RETRYABLE_ERRNO.has(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return typeof message === 'string' && RETRYABLE_MESSAGE.test(message);
}
