/** What `secrets` exits with; `run` exits with its child's code instead once the child started. */
export const EXIT = {
  ok: 0,
  /** Anything else: a refused write (409, 412, 400/422), a partial import, an unexpected error. */
  failure: 1,
  /** Wrong command line: unknown command or option, missing argument, empty value. */
  usage: 2,
  /** Not logged in, or the service refused the token (401) or the action (403). */
  auth: 3,
  /** No such secret, environment, version, member or token (404). */
  notFound: 4,
  /** The service could not be reached, or failed (5xx) after the retries; no usable fallback. */
  network: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line (plus an optional hint) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
    this.name = 'UsageError';
  }
}
