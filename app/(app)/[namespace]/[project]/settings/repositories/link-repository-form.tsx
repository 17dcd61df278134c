"use client";
// Link a GitHub or GitLab repository; on success the webhook URL, the secret (once) and the setup steps.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import type { z } from "zod";
import { applyResult } from "@/app/_components/action-form";
import { Button, Field, FormError, inputClass } from "@/app/_components/ui";
import { linkRepositoryActionSchema } from "@/lib/schemas";
import { linkRepositoryAction } from "./actions";
import { WebhookSetup, type WebhookSetupProps } from "./webhook-setup";

type Values = z.input<typeof linkRepositoryActionSchema>;

export function LinkRepositoryForm({ projectPath }: { projectPath: string }) {
  const router = useRouter();
  const [linked, setLinked] = useState<(WebhookSetupProps & { fullPath: string }) | null>(null);
  const form = useForm<Values>({
    resolver: zodResolver(linkRepositoryActionSchema),
    defaultValues: { projectPath, provider: "github", fullPath: "", baseUrl: "" },
  });
  const { errors, isSubmitting } = form.formState;
  const provider = useWatch({ control: form.control, name: "provider" });

  const onSubmit = form.handleSubmit(async (values) => {
    setLinked(null);
    const result = await linkRepositoryAction({ ...values, baseUrl: values.provider === "gitlab" ? values.baseUrl : "" });
    if (applyResult(result, form.setError, ["fullPath", "baseUrl", "provider"])) {
      setLinked(result.data);
      form.reset({ projectPath, provider: values.provider, fullPath: "", baseUrl: values.provider === "gitlab" ? values.baseUrl : "" });
      router.refresh();
    }
  });

  return (
    <div className="space-y-4">
      <form onSubmit={onSubmit} noValidate className="space-y-3" aria-label="Link a repository">
        <FormError message={errors.root?.server?.message} />
        <fieldset className="flex flex-wrap gap-4 text-sm">
          <legend className="mb-1 text-sm font-medium text-slate-700">Code host</legend>
          {(["github", "gitlab"] as const).map((value) => (
            <label key={value} className="flex items-center gap-2">
              <input type="radio" value={value} {...form.register("provider")} />
              {value === "github" ? "GitHub" : "GitLab"}
            </label>
          ))}
        </fieldset>
        <Field
          label="Repository"
          htmlFor="repository-path"
          error={errors.fullPath?.message}
          hint={provider === "github" ? "owner/repo, e.g. acme/game-server" : "group/repo or group/subgroup/repo"}
        >
          <input
            id="repository-path"
            className={inputClass}
            placeholder={provider === "github" ? "acme/game-server" : "acme/backend/game-server"}
            autoComplete="off"
            aria-invalid={!!errors.fullPath}
            {...form.register("fullPath")}
          />
        </Field>
        {provider === "gitlab" && (
          <Field label="GitLab address" htmlFor="repository-base-url" error={errors.baseUrl?.message} hint="Leave empty for gitlab.com; a self-managed GitLab's address otherwise.">
            <input id="repository-base-url" className={inputClass} placeholder="https://gitlab.com" aria-invalid={!!errors.baseUrl} {...form.register("baseUrl")} />
          </Field>
        )}
        <Button type="submit" pending={isSubmitting}>
          {isSubmitting ? "Linking…" : "Link repository"}
        </Button>
      </form>
      {linked && (
        <div className="rounded-lg border border-green-300 bg-green-50 p-4" role="status" aria-live="polite">
          <p className="mb-3 text-sm font-medium text-green-800">{linked.fullPath} is linked. Now add the webhook on {linked.provider === "github" ? "GitHub" : "GitLab"}:</p>
          <WebhookSetup provider={linked.provider} webUrl={linked.webUrl} webhookUrl={linked.webhookUrl} secret={linked.secret} />
        </div>
      )}
    </div>
  );
}
