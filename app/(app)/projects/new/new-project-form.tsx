"use client";
// Create-project form: group/path with GitLab's rules, checked as you type and again on the server.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useForm, useWatch } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, Field, FormError, inputClass } from "@/app/_components/ui";
import { createProjectSchema } from "@/lib/schemas";
import { createProjectAction } from "./actions";

const FIELDS = ["namespace", "path", "name", "description"] as const;

export function NewProjectForm({ defaultNamespace }: { defaultNamespace: string }) {
  const router = useRouter();
  const form = useForm({
    resolver: zodResolver(createProjectSchema),
    mode: "onTouched",
    defaultValues: { namespace: defaultNamespace, path: "", name: "", description: "" },
  });
  const { errors, isSubmitting, isSubmitSuccessful } = form.formState;
  const [namespace, path] = useWatch({ control: form.control, name: ["namespace", "path"] });

  const onSubmit = form.handleSubmit(async (values) => {
    const result = await createProjectAction(values);
    if (applyResult(result, form.setError, FIELDS)) router.push(`/${result.data.fullPath}`);
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5">
      <FormError message={errors.root?.server?.message} />
      <Field label="Project name" htmlFor="name" error={errors.name?.message} hint="Shown in lists; defaults to the project path.">
        <input
          id="name"
          autoFocus
          className={inputClass}
          aria-invalid={!!errors.name}
          {...form.register("name", {
            onChange: (e) => {
              // Suggest a path from the name until the user edits the path themselves.
              if (!form.getFieldState("path").isDirty)
                form.setValue(
                  "path",
                  String(e.target.value).toLowerCase().trim().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[-._]+|[-._]+$/g, ""),
                );
            },
          })}
        />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Group" htmlFor="namespace" error={errors.namespace?.message}>
          <input id="namespace" className={inputClass} aria-invalid={!!errors.namespace} autoCapitalize="none" spellCheck={false} {...form.register("namespace")} />
        </Field>
        <Field label="Project path" htmlFor="path" error={errors.path?.message}>
          <input id="path" className={inputClass} aria-invalid={!!errors.path} autoCapitalize="none" spellCheck={false} {...form.register("path")} />
        </Field>
      </div>
      <p className="text-xs text-slate-500">
        Address: <code className="rounded bg-slate-100 px-1">/{namespace || "group"}/{path || "project"}</code> — lower-case letters, digits,
        &apos;_&apos;, &apos;-&apos; and &apos;.&apos;.
      </p>
      <Field label="Description (optional)" htmlFor="description" error={errors.description?.message}>
        <textarea id="description" rows={3} className={inputClass} {...form.register("description")} />
      </Field>
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={() => router.back()}>
          Cancel
        </Button>
        <Button type="submit" pending={isSubmitting || isSubmitSuccessful}>
          {isSubmitting ? "Creating…" : "Create project"}
        </Button>
      </div>
    </form>
  );
}
