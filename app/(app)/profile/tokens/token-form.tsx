"use client";
// Create a personal access token: name, scope, optional expiry; the new token is shown once with a copy button.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { CopyButton } from "@/app/_components/copy-button";
import { Button, Field, FormError, inputClass } from "@/app/_components/ui";
import { createAccessTokenSchema } from "@/lib/schemas";
import { createTokenAction } from "./actions";

export function TokenForm() {
  const router = useRouter();
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const form = useForm({
    resolver: zodResolver(createAccessTokenSchema),
    defaultValues: { name: "", scopes: ["api"] as ("api" | "read_api")[], expiresAt: "" },
  });
  const { errors, isSubmitting } = form.formState;
  const scopes = useWatch({ control: form.control, name: "scopes" });

  const onSubmit = form.handleSubmit(async (values) => {
    setCreated(undefined);
    const result = await createTokenAction(values);
    if (applyResult(result, form.setError, ["name", "scopes", "expiresAt"])) {
      setCreated(result.data);
      form.reset({ name: "", scopes: values.scopes, expiresAt: "" });
      router.refresh();
    }
  });

  return (
    <div className="space-y-4">
      {created && (
        <div role="status" className="rounded-md border border-green-200 bg-green-50 p-4 text-sm">
          <p className="font-medium text-green-900">Token “{created.name}” created. Copy it now: it will not be shown again.</p>
          <div className="mt-2 flex items-center gap-2">
            <code aria-label="New token" className="rounded bg-white px-2 py-1 font-mono text-xs break-all ring-1 ring-green-200">
              {created.token}
            </code>
            <CopyButton value={created.token} />
          </div>
        </div>
      )}
      <form onSubmit={onSubmit} noValidate className="grid gap-4 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-end">
        <div className="sm:col-span-4">
          <FormError message={errors.root?.server?.message} />
        </div>
        <Field label="Token name" htmlFor="token-name" error={errors.name?.message}>
          <input id="token-name" className={inputClass} placeholder="e.g. CRM integration" aria-invalid={!!errors.name} {...form.register("name")} />
        </Field>
        <Field label="Scope" htmlFor="token-scope" error={errors.scopes?.message}>
          <select
            id="token-scope"
            className={inputClass}
            value={scopes[0]}
            onChange={(e) => form.setValue("scopes", [e.target.value as "api" | "read_api"])}
          >
            <option value="api">api (read and write)</option>
            <option value="read_api">read_api (read only)</option>
          </select>
        </Field>
        <Field label="Expires (optional)" htmlFor="token-expires" error={errors.expiresAt?.message}>
          <input id="token-expires" type="date" className={inputClass} aria-invalid={!!errors.expiresAt} {...form.register("expiresAt")} />
        </Field>
        <Button type="submit" pending={isSubmitting}>
          {isSubmitting ? "Creating…" : "Create token"}
        </Button>
      </form>
    </div>
  );
}
