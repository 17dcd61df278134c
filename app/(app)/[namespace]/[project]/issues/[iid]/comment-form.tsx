"use client";
// The composer: Write / Preview (rendered on the server exactly like the thread), public comment or internal
// note (marked, never emailed), Ctrl/⌘+Enter submits, errors inline, the draft kept when saving fails (and when
// the page refreshes live). Writing tells the others on the issue "<name> is replying…".
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useEffect, useId, useState, useTransition, type KeyboardEvent } from "react";
import { useForm, useWatch } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, cx, FormError, inputClass } from "@/app/_components/ui";
import { addNoteSchema } from "@/lib/schemas";
import { addNoteAction } from "../../actions";
import { useIssueLive } from "./issue-live";
import { NoteBody } from "./note-body";
import { previewMarkdownAction } from "./thread-actions";

interface Props {
  projectPath: string;
  iid: number;
  canInternal: boolean;
  /** Set on Service Desk issues: public comments are emailed to the customer. */
  customer?: string | null;
}

type Tab = "write" | "preview";
type Preview = { body: string; html?: string; error?: string };

export function CommentForm({ projectPath, iid, canInternal, customer }: Props) {
  const router = useRouter();
  const ids = useId();
  const [tab, setTab] = useState<Tab>("write");
  const [preview, setPreview] = useState<Preview>();
  const [previewing, startPreview] = useTransition();
  const [refreshing, startRefresh] = useTransition();
  const [status, setStatus] = useState<string>();
  const form = useForm({
    resolver: zodResolver(addNoteSchema),
    defaultValues: { projectPath, iid, body: "", internal: false },
  });
  const { errors, isSubmitting } = form.formState;
  const internal = useWatch({ control: form.control, name: "internal" });
  const draft = useWatch({ control: form.control, name: "body" });
  const typing = useIssueLive()?.typing;
  useEffect(() => typing?.(draft.trim() !== ""), [draft, typing]);
  const pending = isSubmitting || refreshing;

  const onSubmit = form.handleSubmit(
    async (values) => {
      setStatus(undefined);
      const result = await addNoteAction(values);
      // On failure the draft stays as typed; the message lands on the field or above the form.
      if (!applyResult(result, form.setError, ["body"])) {
        if (!result.ok && result.error.fieldErrors?.body) setTab("write");
        return;
      }
      const emailed = result.data.emailed;
      setStatus(
        values.internal
          ? "Internal note added. Nothing was emailed."
          : emailed
            ? `Comment added and emailed to ${emailed === 1 ? "the customer" : `${emailed} participants`}.`
            : "Comment added.",
      );
      // The note type stays as chosen: after an internal note the next one is internal too until unchecked.
      form.reset({ projectPath, iid, body: "", internal: values.internal });
      setTab("write");
      setPreview(undefined);
      startRefresh(() => router.refresh());
    },
    () => setTab("write"),
  );

  const showPreview = () => {
    setTab("preview");
    const body = form.getValues("body");
    if (preview?.body === body && !preview.error) return;
    if (body.trim() === "") return setPreview({ body, html: "" });
    startPreview(async () => {
      const result = await previewMarkdownAction({ projectPath, iid, body });
      setPreview(result.ok ? { body, html: result.data.html } : { body, error: result.error.message });
    });
  };

  const submitOnShortcut = (event: KeyboardEvent) => {
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey) && !pending) {
      event.preventDefault();
      void onSubmit();
    }
  };

  const tabClass = (active: boolean) =>
    cx(
      "rounded-md px-3 py-1 text-sm font-medium",
      active ? "bg-white text-slate-900 shadow-sm ring-1 ring-slate-200" : "text-slate-600 hover:text-slate-900",
    );
  const writeId = `${ids}-write`;
  const previewId = `${ids}-preview`;
  const hintId = `${ids}-internal-hint`;

  return (
    <form
      onSubmit={onSubmit}
      onKeyDown={submitOnShortcut}
      noValidate
      className={cx(
        "space-y-3 rounded-lg border p-3",
        internal ? "border-amber-300 bg-amber-50" : "border-slate-200 bg-slate-50",
      )}
    >
      <FormError message={errors.root?.server?.message} />
      <div className="flex items-center justify-between gap-2">
        <div role="tablist" aria-label="Write or preview" className="flex gap-1">
          <button
            type="button"
            role="tab"
            id={`${writeId}-tab`}
            aria-selected={tab === "write"}
            aria-controls={writeId}
            className={tabClass(tab === "write")}
            onClick={() => setTab("write")}
          >
            Write
          </button>
          <button
            type="button"
            role="tab"
            id={`${previewId}-tab`}
            aria-selected={tab === "preview"}
            aria-controls={previewId}
            className={tabClass(tab === "preview")}
            onClick={showPreview}
          >
            Preview
          </button>
        </div>
        {internal ? (
          <span className="rounded-full bg-amber-200 px-2 py-0.5 text-xs font-medium text-amber-900">Internal note · not emailed</span>
        ) : customer ? (
          <span className="truncate text-xs text-slate-500">Public: emailed to {customer}</span>
        ) : null}
      </div>

      <div id={writeId} role="tabpanel" aria-labelledby={`${writeId}-tab`} hidden={tab !== "write"}>
        <label htmlFor={`${ids}-body`} className="sr-only">
          Comment
        </label>
        <textarea
          id={`${ids}-body`}
          rows={5}
          placeholder={
            internal
              ? "Write an internal note (only Reporters and up see it; never emailed)…"
              : customer
                ? `Reply to ${customer}: public comments are emailed. Markdown is supported.`
                : "Write a comment (Markdown is supported)…"
          }
          className={cx(inputClass, internal && "bg-amber-50/50 ring-amber-300")}
          aria-invalid={!!errors.body}
          aria-describedby={errors.body ? `${ids}-body-error` : undefined}
          readOnly={isSubmitting}
          {...form.register("body")}
        />
      </div>

      <div
        id={previewId}
        role="tabpanel"
        aria-labelledby={`${previewId}-tab`}
        hidden={tab !== "preview"}
        aria-busy={previewing || undefined}
        className="min-h-[7.5rem] rounded-md bg-white px-3 py-2 ring-1 ring-slate-300 ring-inset"
      >
        {previewing ? (
          <p className="text-sm text-slate-500">Rendering preview…</p>
        ) : preview?.error ? (
          <p role="alert" className="text-sm text-red-600">
            {preview.error}
          </p>
        ) : preview?.html ? (
          <NoteBody html={preview.html} testId="comment-preview" />
        ) : (
          <p className="text-sm text-slate-400 italic">Nothing to preview yet.</p>
        )}
      </div>

      {errors.body && (
        <p id={`${ids}-body-error`} role="alert" className="text-sm text-red-600">
          {errors.body.message}
        </p>
      )}
      {status && (
        <p role="status" className="text-sm text-green-700">
          {status}
        </p>
      )}

      <div className="flex flex-wrap items-center justify-between gap-3">
        {canInternal ? (
          <div className="text-sm">
            <label className="flex items-center gap-2 font-medium text-slate-700">
              <input type="checkbox" className="size-4 rounded border-slate-300 accent-amber-600" aria-describedby={hintId} {...form.register("internal")} />
              Internal note
            </label>
            <p id={hintId} className="mt-0.5 pl-6 text-xs text-slate-500">
              Only Reporters and up see internal notes; they are never emailed to the customer.
            </p>
          </div>
        ) : (
          <span />
        )}
        <div className="flex items-center gap-3">
          <span className="hidden text-xs text-slate-400 sm:inline">Ctrl/⌘ + Enter</span>
          <Button type="submit" pending={pending}>
            {isSubmitting ? "Saving…" : internal ? "Add internal note" : "Comment"}
          </Button>
        </div>
      </div>
    </form>
  );
}
