"use client";
// Labels of the issue: coloured chips, and for triagers a checkbox picker of the project's labels with an
// inline "Create label" form (title, colour from the palette or any hex colour).
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useId, useRef, useState, useTransition } from "react";
import { useForm, useWatch } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, cx, inputClass } from "@/app/_components/ui";
import { createLabelSchema, LABEL_COLORS } from "@/lib/schemas";
import { createLabelAction, setIssueLabelsAction } from "./sidebar-actions";
import { LabelChip } from "@/app/_components/label-chip";
import { PickerPanel, PickerToggle, matches } from "./sidebar-picker";

export interface SidebarLabel {
  id: number;
  title: string;
  color: string;
  description: string;
}

interface Props {
  projectPath: string;
  iid: number;
  labels: SidebarLabel[];
  projectLabels: SidebarLabel[];
  canEdit: boolean;
}

const byTitle = (a: SidebarLabel, b: SidebarLabel) => a.title.localeCompare(b.title, "en", { sensitivity: "base" });

export function SidebarLabels({ projectPath, iid, labels, projectLabels, canEdit }: Props) {
  const router = useRouter();
  const headingId = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<Set<number>>(new Set());
  // Labels created in this picker before the page has refreshed.
  const [created, setCreated] = useState<SidebarLabel[]>([]);
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();

  const all = [...projectLabels, ...created.filter((c) => !projectLabels.some((l) => l.id === c.id))].sort(byTitle);
  const visible = all.filter((l) => matches(search, l.title, l.description));

  const close = () => {
    setOpen(false);
    setCreating(false);
    setError(undefined);
    toggleRef.current?.focus();
  };
  const openPicker = () => {
    if (open) return close();
    setSelected(new Set(labels.map((l) => l.id)));
    setSearch("");
    setError(undefined);
    setCreating(false);
    setOpen(true);
  };
  const toggle = (id: number) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const apply = () =>
    startTransition(async () => {
      const result = await setIssueLabelsAction({ projectPath, iid, labelIds: [...selected] });
      if (!result.ok) return setError(result.error.message);
      close();
      router.refresh();
    });

  return (
    <section aria-labelledby={headingId} className="py-4">
      <div className="flex items-center justify-between">
        <h2 id={headingId} className="text-sm font-semibold text-slate-900">
          Labels
        </h2>
        {canEdit && <PickerToggle what="labels" open={open} onOpen={openPicker} buttonRef={toggleRef} />}
      </div>
      {labels.length ? (
        <ul className="mt-2 flex flex-wrap gap-1.5" aria-label="Labels on this issue">
          {labels.map((label) => (
            <li key={label.id} className="max-w-full">
              <LabelChip title={label.title} color={label.color} description={label.description} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-1 text-sm text-slate-500">None</p>
      )}
      <PickerPanel
        what="labels"
        open={open}
        onCancel={close}
        onApply={apply}
        pending={pending}
        error={error}
        search={search}
        onSearch={setSearch}
        searchLabel="Search labels"
        footer={
          creating ? (
            <CreateLabelForm
              projectPath={projectPath}
              initialTitle={search.trim()}
              usedColors={all.length}
              onCancel={() => setCreating(false)}
              onCreated={(label) => {
                setCreated((current) => [...current, label]);
                setSelected((current) => new Set(current).add(label.id));
                setSearch("");
                setCreating(false);
              }}
            />
          ) : (
            <button
              type="button"
              onClick={() => setCreating(true)}
              className="w-full rounded px-1.5 py-1 text-left text-sm text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              {search.trim() ? `Create label “${search.trim()}”` : "Create label"}
            </button>
          )
        }
      >
        {visible.length ? (
          <fieldset>
            <legend className="sr-only">Labels</legend>
            <ul className="space-y-0.5">
              {visible.map((label) => (
                <li key={label.id}>
                  <label className="flex cursor-pointer items-center gap-2 rounded px-1.5 py-1 text-sm hover:bg-slate-50 has-focus-visible:bg-slate-50">
                    <input type="checkbox" className="size-4 rounded border-slate-300" checked={selected.has(label.id)} onChange={() => toggle(label.id)} />
                    <span aria-hidden className="size-3 shrink-0 rounded-full" style={{ backgroundColor: label.color }} />
                    <span className="min-w-0 truncate" title={label.description || undefined}>
                      {label.title}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        ) : (
          <p className="px-1.5 py-1 text-sm text-slate-500">{all.length ? "No label matches." : "This project has no labels yet: create the first one below."}</p>
        )}
      </PickerPanel>
    </section>
  );
}

function CreateLabelForm({
  projectPath,
  initialTitle,
  usedColors,
  onCancel,
  onCreated,
}: {
  projectPath: string;
  initialTitle: string;
  usedColors: number;
  onCancel: () => void;
  onCreated: (label: SidebarLabel) => void;
}) {
  const titleId = useId();
  const colorId = useId();
  const form = useForm({
    resolver: zodResolver(createLabelSchema),
    defaultValues: { projectPath, title: initialTitle, color: LABEL_COLORS[usedColors % LABEL_COLORS.length] as string, description: "" },
  });
  const { errors, isSubmitting } = form.formState;
  const color = useWatch({ control: form.control, name: "color" }) ?? "";
  const title = useWatch({ control: form.control, name: "title" }) ?? "";
  const validColor = /^#[0-9a-f]{6}$/i.test(color) ? color.toLowerCase() : "#808080";

  const onSubmit = form.handleSubmit(async (values) => {
    const result = await createLabelAction(values);
    if (applyResult(result, form.setError, ["title", "color"])) onCreated(result.data);
  });

  // Not a <form>: it sits inside the picker, and Enter should create the label rather than apply the picker.
  return (
    <div
      role="group"
      aria-label="Create label"
      className="space-y-2 rounded-md border border-slate-200 bg-slate-50 p-2"
      onKeyDown={(e) => {
        if (e.key === "Enter" && e.target instanceof HTMLInputElement) {
          e.preventDefault();
          void onSubmit();
        }
        if (e.key === "Escape") {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      {errors.root?.server?.message && (
        <p role="alert" className="text-xs text-red-600">
          {errors.root.server.message}
        </p>
      )}
      <div>
        <label htmlFor={titleId} className="block text-xs font-medium text-slate-700">
          Label title
        </label>
        <input
          id={titleId}
          autoFocus
          className={`${inputClass} py-1.5`}
          aria-invalid={!!errors.title}
          aria-describedby={errors.title ? `${titleId}-error` : undefined}
          {...form.register("title")}
        />
        {errors.title && (
          <p id={`${titleId}-error`} role="alert" className="mt-1 text-xs text-red-600">
            {errors.title.message}
          </p>
        )}
      </div>
      <div>
        <label htmlFor={colorId} className="block text-xs font-medium text-slate-700">
          Label colour
        </label>
        <div className="mt-1 flex items-center gap-2">
          <input
            type="color"
            aria-label="Pick a colour"
            value={validColor}
            onChange={(e) => form.setValue("color", e.target.value, { shouldValidate: true })}
            className="h-8 w-10 shrink-0 cursor-pointer rounded border border-slate-300 bg-white p-0.5"
          />
          <input
            id={colorId}
            className={`${inputClass} py-1.5 font-mono`}
            placeholder="#1f75cb"
            aria-invalid={!!errors.color}
            aria-describedby={errors.color ? `${colorId}-error` : undefined}
            {...form.register("color")}
          />
        </div>
        {errors.color && (
          <p id={`${colorId}-error`} role="alert" className="mt-1 text-xs text-red-600">
            {errors.color.message}
          </p>
        )}
        <div className="mt-2 flex flex-wrap gap-1" role="group" aria-label="Suggested colours">
          {LABEL_COLORS.map((c) => (
            <button
              key={c}
              type="button"
              aria-label={`Use colour ${c}`}
              aria-pressed={validColor === c}
              title={c}
              onClick={() => form.setValue("color", c, { shouldValidate: true })}
              className={cx(
                "size-5 rounded focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-600",
                validColor === c && "ring-2 ring-slate-900 ring-offset-1",
              )}
              style={{ backgroundColor: c }}
            />
          ))}
        </div>
      </div>
      <div className="flex items-center justify-between gap-2">
        <LabelChip title={title.trim() || "Preview"} color={validColor} className="max-w-32" />
        <div className="flex gap-2">
          <Button type="button" variant="secondary" className="px-2 py-1 text-xs" onClick={onCancel} disabled={isSubmitting}>
            Cancel
          </Button>
          <Button type="button" className="px-2 py-1 text-xs" pending={isSubmitting} onClick={() => void onSubmit()}>
            Create
          </Button>
        </div>
      </div>
    </div>
  );
}
