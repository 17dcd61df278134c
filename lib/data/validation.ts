// Turns a zod error into the `{ field: message }` map that forms show beside each field.
import type { z } from "zod";
import type { FieldErrors } from "@/lib/errors";

export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_form";
    out[key] ??= issue.message;
  }
  return out;
}
