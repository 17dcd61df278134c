"use client";
// Create or edit a description template: a name and Markdown content.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, ButtonLink, Field, FormError, inputClass } from "@/app/_components/ui";
import { issueTemplateSchema, type IssueTemplateInput } from "@/lib/schemas";
import { SavedStatus, useFlash } from "../settings/saved-status";
import { createIssueTemplateAction, updateIssueTemplateAction } from "./actions";

interface Props {
  projectPath: string;
  /** Absent for a new template. */
  template?: { id: number; name: string; content: string };
}

export function TemplateForm({ projectPath, template }: Props) {
  const router = useRouter();
  const [saved, flash] = useFlash();
  const form = useForm<IssueTemplateInput>({
    resolver: zodResolver(issueTemplateSchema),
    defaultValues: { name: template?.name ?? "", content: template?.content ?? "" },
  });
  const { errors, isSubmitting, isDirty } = form.formState;
  const list = `/${projectPath}/templates`;

  const onSubmit = form.handleSubmit(async (values) => {
    if (!template) {
      const result = await createIssueTemplateAction({ projectPath, ...values });
      if (applyResult(result, form.setError, ["name", "content"])) router.push(`${list}?created=${encodeURIComponent(result.data.name)}`);
      return;
    }
    const result = await updateIssueTemplateAction({ projectPath, id: template.id, ...values });
    if (applyResult(result, form.setError, ["name", "content"])) {
      form.reset(values);
      flash("Template saved.");
      router.refresh();
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5" aria-label={template ? "Edit description template" : "New description template"}>
      <FormError message={errors.root?.server?.message} />
      <Field label="Name" htmlFor="template-name" error={errors.name?.message} hint="Unique in this project, e.g. “Bug report”.">
        <input id="template-name" autoFocus={!template} maxLength={255} className={inputClass} aria-invalid={!!errors.name} {...form.register("name")} />
      </Field>
      <Field label="Content" htmlFor="template-content" error={errors.content?.message} hint="Markdown, kept as written.">
        <textarea
          id="template-content"
          rows={14}
          className={`${inputClass} font-mono`}
          aria-invalid={!!errors.content}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void onSubmit();
          }}
          {...form.register("content")}
        />
      </Field>
      <div className="flex flex-wrap items-center justify-end gap-3">
        <SavedStatus message={saved} />
        <ButtonLink href={list} variant="secondary">
          {template && !isDirty ? "Back to templates" : "Cancel"}
        </ButtonLink>
        <Button type="submit" pending={isSubmitting}>
          {isSubmitting ? "Saving…" : template ? "Save template" : "Create template"}
        </Button>
      </div>
    </form>
  );
}
