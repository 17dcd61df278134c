"use client";
// The comment box: public comment or internal note; Ctrl/⌘+Enter submits.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, FormError, inputClass } from "@/app/_components/ui";
import { addNoteSchema } from "@/lib/schemas";
import { addNoteAction } from "../../actions";

interface Props {
  projectPath: string;
  iid: number;
  canInternal: boolean;
  /** Set on Service Desk issues: public comments are emailed to the customer. */
  customer?: string | null;
}

export function CommentForm({ projectPath, iid, canInternal, customer }: Props) {
  const router = useRouter();
  const [status, setStatus] = useState<string>();
  const form = useForm({
    resolver: zodResolver(addNoteSchema),
    defaultValues: { projectPath, iid, body: "", internal: false },
  });
  const { errors, isSubmitting } = form.formState;
  const internal = useWatch({ control: form.control, name: "internal" });

  const onSubmit = form.handleSubmit(async (values) => {
    setStatus(undefined);
    const result = await addNoteAction(values);
    if (applyResult(result, form.setError, ["body"])) {
      const emailed = result.data.emailed;
      setStatus(emailed ? `Comment added and emailed to ${emailed === 1 ? "the customer" : `${emailed} participants`}.` : "Comment added.");
      form.reset({ projectPath, iid, body: "", internal: values.internal });
      router.refresh();
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-3">
      <FormError message={errors.root?.server?.message} />
      <label htmlFor="body" className="sr-only">
        Comment
      </label>
      <textarea
        id="body"
        rows={4}
        placeholder={
          internal
            ? "Write an internal note (only team members see it; never emailed)…"
            : customer
              ? `Reply to ${customer} — public comments are emailed…`
              : "Write a comment…"
        }
        className={inputClass}
        aria-invalid={!!errors.body}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void onSubmit();
        }}
        {...form.register("body")}
      />
      {errors.body && (
        <p role="alert" className="text-sm text-red-600">
          {errors.body.message}
        </p>
      )}
      {status && (
        <p role="status" className="text-sm text-green-700">
          {status}
        </p>
      )}
      <div className="flex items-center justify-between gap-3">
        {canInternal ? (
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" className="size-4 rounded border-slate-300" {...form.register("internal")} />
            Internal note
          </label>
        ) : (
          <span />
        )}
        <Button type="submit" pending={isSubmitting}>
          {isSubmitting ? "Saving…" : internal ? "Add internal note" : "Comment"}
        </Button>
      </div>
    </form>
  );
}
