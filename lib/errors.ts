// The one error type of the app: a code that maps to an HTTP status and a message safe to show a user.
export type ErrorCode =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "bad_request"
  | "conflict"
  | "rate_limited"
  | "unavailable";

const STATUS: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  bad_request: 400,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors?: FieldErrors;

  constructor(code: ErrorCode, message: string, fieldErrors?: FieldErrors) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = fieldErrors;
  }

  get status(): number {
    return STATUS[this.code];
  }
}

/** 404 rather than 403 where the user may not learn that the thing exists (GitLab's rule). */
export const notFound = (what = "Page") => new AppError("not_found", `${what} not found.`);
export const forbidden = (message = "You do not have permission to do that.") => new AppError("forbidden", message);
