"use client";
// The optional reference key: with DESK set, "Fixes DESK-12" in a commit closes issue 12 of this project.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, Field, FormError, inputClass } from "@/app/_components/ui";
import { setIssueReferenceKeySchema } from "@/lib/schemas";
import { setIssueReferenceKeyAction } from "./actions";

export function ReferenceKeyForm({ projectPath, current }: { projectPath: string; current: string | null }) {
  const router = useRouter();
  const [saved, setSaved] = useState<string>();
  const form = useForm({ resolver: zodResolver(setIssueReferenceKeySchema), defaultValues: { projectPath, key: current ?? "" } });
  const { errors, isSubmitting } = form.formState;
  const onSubmit = form.handleSubmit(async (values) => {
    setSaved(undefined);
    const result = await setIssueReferenceKeyAction(values);
    if (applyResult(result, form.setError, ["key"])) {
      setSaved(result.data.key ? `Saved: ${result.data.key}-12 now names issue 12.` : "Key removed.");
      form.reset({ projectPath, key: result.data.key ?? "" });
      router.refresh();
    }
  });
  return (
    <form onSubmit={onSubmit} noValidate className="space-y-2" aria-label="Reference key">
      <FormError message={errors.root?.server?.message} />
      <Field label="Reference key (optional)" htmlFor="reference-key" error={errors.key?.message} hint="Upper-case letters, digits and _, e.g. DESK: then DESK-12 in a commit or merge request names issue 12.">
        <input id="reference-key" className={`${inputClass} max-w-xs font-mono uppercase`} placeholder="DESK" autoComplete="off" aria-invalid={!!errors.key} {...form.register("key", { setValueAs: (v: string) => v.toUpperCase() })} />
      </Field>
      <div className="flex items-center gap-3">
        <Button type="submit" variant="secondary" pending={isSubmitting}>
          {isSubmitting ? "Saving…" : "Save key"}
        </Button>
        {saved && (
          <span role="status" className="text-sm text-green-700">
            {saved}
          </span>
        )}
      </div>
    </form>
  );
}
