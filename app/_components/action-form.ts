"use client";
// Glue between react-hook-form and `action()` results: field errors land on their fields, the rest on the form.
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import type { ActionResult } from "@/lib/auth/action";

/** Applies a failed result to the form; returns the data when it succeeded. */
export function applyResult<T, F extends FieldValues>(result: ActionResult<T>, setError: UseFormSetError<F>, fields: readonly string[]): result is { ok: true; data: T } {
  if (result.ok) return true;
  let placed = false;
  for (const [field, message] of Object.entries(result.error.fieldErrors ?? {})) {
    if (fields.includes(field)) {
      setError(field as Path<F>, { type: "server", message });
      placed = true;
    }
  }
  if (!placed) setError("root.server" as Path<F>, { type: "server", message: result.error.message });
  return false;
}
