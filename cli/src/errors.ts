// The one error flightctl reports: a line for people and the exit code it ends with.

/** How flightctl ends. A followed run's outcome has its own code, so scripts can tell them apart. */
export const EXIT = {
  ok: 0,
  /** The API refused, the server could not be reached, or a local problem (a missing file, …). */
  error: 1,
  /** The command line itself was wrong. */
  usage: 2,
  failed: 3,
  timeout: 4,
  cancelled: 5,
  /** Ctrl-C while following: the run goes on. */
  detached: 130,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.error) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** An error answer from the API: its status and the error envelope's `code` and `detail`. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
