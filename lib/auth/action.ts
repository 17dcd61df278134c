// Every server action goes through `action()`: session → zod input → the data function (which checks the
// role itself) → a serializable result. An action cannot forget the session check.
import type { z } from "zod";
import { fieldErrorsOf } from "@/lib/data/validation";
import { AppError, type ErrorCode, type FieldErrors } from "@/lib/errors";
import type { Actor } from "./actor";
import { getActor } from "./session";

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: ErrorCode; message: string; fieldErrors?: FieldErrors } };

export function action<S extends z.ZodType, T>(schema: S, run: (input: z.output<S>, actor: Actor) => Promise<T>) {
  return async (raw: z.input<S>): Promise<ActionResult<T>> => {
    const actor = await getActor();
    if (!actor) return { ok: false, error: { code: "unauthorized", message: "Your session has ended: sign in again." } };
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      return { ok: false, error: { code: "bad_request", message: "Check the highlighted fields.", fieldErrors: fieldErrorsOf(parsed.error) } };
    try {
      return { ok: true, data: await run(parsed.data, actor) };
    } catch (error) {
      if (error instanceof AppError)
        return { ok: false, error: { code: error.code, message: error.message, fieldErrors: error.fieldErrors } };
      throw error;
    }
  };
}
