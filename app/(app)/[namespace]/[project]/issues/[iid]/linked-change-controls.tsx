"use client";
// Linking a pull/merge request, issue or commit by pasting its link, and removing a link made by hand.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, inputClass } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { linkChangeSchema } from "@/lib/schemas";
import { linkChangeAction, unlinkChangeAction } from "./linked-change-actions";

export function LinkChangeForm({ projectPath, iid }: { projectPath: string; iid: number }) {
  const router = useRouter();
  const form = useForm({ resolver: zodResolver(linkChangeSchema), defaultValues: { projectPath, iid, url: "" } });
  const { errors, isSubmitting } = form.formState;
  const onSubmit = form.handleSubmit(async (values) => {
    const result = await linkChangeAction(values);
    if (applyResult(result, form.setError, ["url"])) {
      form.reset({ projectPath, iid, url: "" });
      router.refresh();
    }
  });
  const error = errors.url?.message ?? errors.root?.server?.message;
  return (
    <form onSubmit={onSubmit} noValidate className="mt-3 space-y-1" aria-label="Link a change">
      <label htmlFor="link-change-url" className="text-xs font-medium text-slate-600">
        Link a pull/merge request, issue or commit
      </label>
      <div className="flex gap-1">
        <input
          id="link-change-url"
          type="url"
          placeholder="https://github.com/acme/game/pull/45"
          className={`${inputClass} min-w-0 text-xs`}
          aria-invalid={!!error}
          aria-describedby={error ? "link-change-error" : undefined}
          {...form.register("url")}
        />
        <Button type="submit" variant="secondary" pending={isSubmitting}>
          {isSubmitting ? "Linking…" : "Link"}
        </Button>
      </div>
      {error && (
        <p id="link-change-error" role="alert" className="text-xs text-red-600">
          {error}
        </p>
      )}
    </form>
  );
}

export function UnlinkChangeButton({ projectPath, iid, changeId, label }: { projectPath: string; iid: number; changeId: number; label: string }) {
  const { pending, error, run } = useAction();
  return (
    <>
      <button
        type="button"
        className="ml-auto rounded px-1 text-xs text-slate-500 hover:text-red-700 disabled:opacity-50"
        disabled={pending}
        aria-label={`Remove the link to ${label}`}
        onClick={() => run(() => unlinkChangeAction({ projectPath, iid, changeId }))}
      >
        ×
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-600">
          {error}
        </span>
      )}
    </>
  );
}
