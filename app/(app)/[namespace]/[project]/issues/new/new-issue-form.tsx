"use client";
// New issue form: title, description, confidential.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, Field, FormError, inputClass } from "@/app/_components/ui";
import { createIssueSchema } from "@/lib/schemas";
import { createIssueAction } from "../../actions";

export function NewIssueForm({ projectPath }: { projectPath: string }) {
  const router = useRouter();
  const form = useForm({
    resolver: zodResolver(createIssueSchema),
    defaultValues: { projectPath, title: "", description: "", confidential: false },
  });
  const { errors, isSubmitting, isSubmitSuccessful } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    const result = await createIssueAction(values);
    if (applyResult(result, form.setError, ["title", "description"])) router.push(`/${projectPath}/issues/${result.data.iid}`);
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5">
      <FormError message={errors.root?.server?.message} />
      <Field label="Title" htmlFor="title" error={errors.title?.message}>
        <input id="title" autoFocus className={inputClass} aria-invalid={!!errors.title} {...form.register("title")} />
      </Field>
      <Field label="Description" htmlFor="description" error={errors.description?.message} hint="Markdown is kept as written.">
        <textarea
          id="description"
          rows={8}
          className={inputClass}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void onSubmit();
          }}
          {...form.register("description")}
        />
      </Field>
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-0.5 size-4 rounded border-slate-300" {...form.register("confidential")} />
        <span>
          <span className="font-medium text-slate-800">Confidential</span>
          <span className="block text-slate-500">Only Reporters and up can see it; Guests never do.</span>
        </span>
      </label>
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={() => router.back()}>
          Cancel
        </Button>
        <Button type="submit" pending={isSubmitting || isSubmitSuccessful}>
          {isSubmitting ? "Creating…" : "Create issue"}
        </Button>
      </div>
    </form>
  );
}
