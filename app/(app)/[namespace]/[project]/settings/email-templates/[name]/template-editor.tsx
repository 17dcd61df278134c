"use client";
// Email template editor: the Markdown text with unknown placeholders highlighted in place, the supported
// placeholders (click to insert), save / reset to default, and a live preview rendered by the server (the same
// renderer as the outgoing mail) shown in a sandboxed frame, with the plain-text version.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { useForm, useWatch } from "react-hook-form";
import { z } from "zod";
import { applyResult } from "@/app/_components/action-form";
import { Button, Card, cx, FormError } from "@/app/_components/ui";
import { emailTemplateContentSchema } from "@/lib/schemas";
import { findPlaceholders, type PlaceholderMatch, type TemplateName } from "@/lib/service-desk/placeholders";
import { previewEmailTemplateAction, resetEmailTemplateAction, saveEmailTemplateAction } from "../../actions";
import { SavedStatus, useFlash } from "../../saved-status";

const editorSchema = z.object({ content: emailTemplateContentSchema });
const PREVIEW_DELAY_MS = 350;

interface Props {
  projectPath: string;
  name: TemplateName;
  content: string;
  defaultContent: string;
  isCustom: boolean;
  placeholders: { name: string; description: string }[];
  initialPreview: { html: string; text: string };
}

// Shared by the textarea and the highlight layer behind it: they must wrap identically.
const TEXT_LAYOUT = "font-mono text-sm leading-6 p-3 whitespace-pre-wrap break-words overflow-y-scroll";

function problemText(match: PlaceholderMatch, name: TemplateName): string {
  const typed = match.syntax === "%{}" ? `%{${match.name}}` : `%<${match.name}>`;
  return match.reason === "unsupported"
    ? `${typed} is not available in the ${name} template: it will be sent as typed.`
    : `${typed} is not a known placeholder (names are upper-case, without spaces): it will be sent as typed.`;
}

/** The text with each problem placeholder wrapped in a <mark>; drawn behind the (transparent) textarea. */
function highlighted(content: string, problems: PlaceholderMatch[]): ReactNode[] {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const match of problems) {
    parts.push(content.slice(at, match.start));
    parts.push(
      <mark key={match.start} className="rounded-sm bg-red-200 text-transparent">
        {content.slice(match.start, match.end)}
      </mark>,
    );
    at = match.end;
  }
  // A trailing newline needs a character after it to take up its line, as it does in the textarea.
  parts.push(`${content.slice(at)}\u200b`);
  return parts;
}

export function TemplateEditor({ projectPath, name, content, defaultContent, isCustom, placeholders, initialPreview }: Props) {
  const router = useRouter();
  const [saved, flash] = useFlash();
  const [preview, setPreview] = useState(initialPreview);
  const [previewState, setPreviewState] = useState<{ pending: boolean; error?: string }>({ pending: false });
  const [confirmingReset, setConfirmingReset] = useState(false);
  const [resetting, setResetting] = useState(false);
  const textarea = useRef<HTMLTextAreaElement | null>(null);
  const backdrop = useRef<HTMLDivElement | null>(null);
  const previewTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const previewRequest = useRef(0);

  const form = useForm({ resolver: zodResolver(editorSchema), defaultValues: { content } });
  const { errors, isSubmitting, isDirty } = form.formState;
  const value = useWatch({ control: form.control, name: "content" }) ?? "";
  const problems = useMemo(() => findPlaceholders(value, name).filter((m) => !m.known), [value, name]);

  function schedulePreview(next: string) {
    clearTimeout(previewTimer.current);
    setPreviewState({ pending: true });
    previewTimer.current = setTimeout(async () => {
      // Only the newest request may update the pane: an older, slower answer is dropped.
      const request = ++previewRequest.current;
      const result = await previewEmailTemplateAction({ projectPath, name, content: next }).catch(() => undefined);
      if (request !== previewRequest.current) return;
      if (result?.ok) {
        setPreview(result.data);
        setPreviewState({ pending: false });
      } else {
        setPreviewState({ pending: false, error: result ? result.error.message : "The preview could not be rendered. Try again." });
      }
    }, PREVIEW_DELAY_MS);
  }

  const { ref: registerRef, onChange: onContentChange, ...contentField } = form.register("content");

  function insert(placeholder: string) {
    const el = textarea.current;
    const current = form.getValues("content");
    const start = el?.selectionStart ?? current.length;
    const end = el?.selectionEnd ?? current.length;
    const token = `%{${placeholder}}`;
    const next = current.slice(0, start) + token + current.slice(end);
    form.setValue("content", next, { shouldDirty: true, shouldValidate: form.formState.isSubmitted });
    schedulePreview(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + token.length, start + token.length);
    });
  }

  const onSubmit = form.handleSubmit(async ({ content: text }) => {
    const result = await saveEmailTemplateAction({ projectPath, name, content: text });
    if (applyResult(result, form.setError, ["content"])) {
      form.reset({ content: result.data.content });
      flash("Template saved. New mail uses it from now on.");
      router.refresh();
    }
  });

  async function reset() {
    setResetting(true);
    const result = await resetEmailTemplateAction({ projectPath, name });
    setResetting(false);
    setConfirmingReset(false);
    if (applyResult(result, form.setError, [])) {
      form.reset({ content: result.data.content });
      schedulePreview(result.data.content);
      flash("Template reset to the default.");
      router.refresh();
    }
  }

  function discard() {
    form.reset({ content });
    schedulePreview(content);
  }

  return (
    <div className="grid gap-6 xl:grid-cols-2">
      <form onSubmit={onSubmit} noValidate className="min-w-0 space-y-4" aria-label={`${name} template`}>
        <FormError message={errors.root?.server?.message} />
        <div className="space-y-1">
          <label htmlFor="template-content" className="block text-sm font-medium text-slate-700">
            Template (Markdown)
          </label>
          <div className="relative rounded-md bg-white shadow-sm ring-1 ring-inset ring-slate-300 focus-within:ring-2 focus-within:ring-indigo-600">
            <div ref={backdrop} aria-hidden className={cx(TEXT_LAYOUT, "pointer-events-none absolute inset-0 text-transparent")}>
              {highlighted(value, problems)}
            </div>
            <textarea
              id="template-content"
              rows={16}
              spellCheck={false}
              className={cx(TEXT_LAYOUT, "relative block w-full resize-y rounded-md border-0 bg-transparent text-slate-900 focus:outline-none focus:ring-0")}
              aria-invalid={!!errors.content}
              aria-describedby="template-problems template-hint"
              onScroll={(e) => {
                if (backdrop.current) backdrop.current.scrollTop = e.currentTarget.scrollTop;
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void onSubmit();
              }}
              ref={(el) => {
                registerRef(el);
                textarea.current = el;
              }}
              {...contentField}
              onChange={(e) => {
                void onContentChange(e);
                schedulePreview(e.target.value);
              }}
            />
          </div>
          {errors.content ? (
            <p role="alert" className="text-sm text-red-600">
              {errors.content.message}
            </p>
          ) : (
            <p id="template-hint" className="text-xs text-slate-500">
              Placeholders are written <code>%{"{NAME}"}</code> or <code>%{"<NAME>"}</code>. Ctrl+Enter saves.
            </p>
          )}
        </div>

        <div id="template-problems" aria-live="polite">
          {problems.length > 0 && (
            <div className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              <p className="font-medium">
                {problems.length === 1 ? "1 placeholder will not be replaced" : `${problems.length} placeholders will not be replaced`}
              </p>
              <ul className="mt-1 list-disc space-y-0.5 pl-5">
                {problems.map((match) => (
                  <li key={match.start}>{problemText(match, name)}</li>
                ))}
              </ul>
            </div>
          )}
        </div>

        <div className="flex flex-wrap items-center justify-end gap-3">
          <SavedStatus message={saved} />
          {isDirty && !isSubmitting && (
            <Button type="button" variant="secondary" onClick={discard}>
              Discard changes
            </Button>
          )}
          {isCustom &&
            (confirmingReset ? (
              <span className="flex flex-wrap items-center gap-2 text-sm" role="group" aria-label="Confirm reset">
                <span className="text-slate-700">Replace this template with the default?</span>
                <Button type="button" variant="danger" pending={resetting} onClick={() => void reset()}>
                  Yes, reset
                </Button>
                <Button type="button" variant="secondary" disabled={resetting} onClick={() => setConfirmingReset(false)}>
                  Cancel
                </Button>
              </span>
            ) : (
              <Button type="button" variant="danger" onClick={() => setConfirmingReset(true)}>
                Reset to default
              </Button>
            ))}
          <Button type="submit" pending={isSubmitting}>
            {isSubmitting ? "Saving…" : "Save template"}
          </Button>
        </div>

        <Card className="p-4">
          <h2 className="text-sm font-semibold text-slate-900">Placeholders in this template</h2>
          <p className="mt-1 text-xs text-slate-500">Values are escaped; descriptions and comments are rendered as Markdown. Click to insert at the cursor.</p>
          <ul className="mt-3 space-y-2">
            {placeholders.map((placeholder) => (
              <li key={placeholder.name} className="flex items-start gap-3 text-sm">
                <button
                  type="button"
                  onClick={() => insert(placeholder.name)}
                  className="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-indigo-700 ring-1 ring-slate-200 hover:bg-indigo-50"
                  aria-label={`Insert %{${placeholder.name}}`}
                >
                  %{"{"}
                  {placeholder.name}
                  {"}"}
                </button>
                <span className="text-slate-600">{placeholder.description}</span>
              </li>
            ))}
          </ul>
          {value !== defaultContent && (
            <details className="mt-4 text-sm">
              <summary className="cursor-pointer text-slate-600">Show the default text</summary>
              <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs whitespace-pre-wrap text-slate-700">{defaultContent}</pre>
            </details>
          )}
        </Card>
      </form>

      <section aria-labelledby="preview-heading" className="min-w-0 space-y-3">
        <div className="flex items-baseline justify-between gap-2">
          <h2 id="preview-heading" className="text-sm font-semibold text-slate-900">
            Preview
          </h2>
          <span aria-live="polite" className="text-xs text-slate-500">
            {previewState.pending ? "Updating…" : "With sample values for issue #12"}
          </span>
        </div>
        {previewState.error && (
          <p role="alert" className="text-sm text-red-600">
            {previewState.error}
          </p>
        )}
        <iframe
          title="HTML version of the email"
          sandbox=""
          srcDoc={preview.html}
          className={cx("h-[28rem] w-full rounded-lg border border-slate-200 bg-white", previewState.pending && "opacity-70")}
        />
        <div>
          <h3 className="mb-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">Plain-text version</h3>
          <pre
            data-testid="plain-text-preview"
            className="max-h-80 overflow-auto rounded-lg border border-slate-200 bg-white p-3 font-mono text-xs whitespace-pre-wrap text-slate-800 [overflow-wrap:anywhere]"
          >
            {preview.text || <span className="text-slate-400">(empty)</span>}
          </pre>
        </div>
      </section>
    </div>
  );
}
