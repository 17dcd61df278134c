"use client";
// The shared shell of the sidebar's pickers: an "Edit" toggle, a panel with a search box and a checkbox list,
// Apply/Cancel; Escape cancels and focus returns to the toggle. Keyboard-only use works throughout.
import { useEffect, useId, useRef, type ReactNode, type Ref } from "react";
import { Button, inputClass } from "@/app/_components/ui";

interface PanelProps {
  /** What is chosen, e.g. "assignees": the panel is the group "Choose assignees". */
  what: string;
  open: boolean;
  onCancel: () => void;
  onApply: () => void;
  pending: boolean;
  error?: string;
  search: string;
  onSearch: (value: string) => void;
  searchLabel: string;
  children: ReactNode;
  /** Below the list (e.g. the "Create label" form). */
  footer?: ReactNode;
}

/** The "Edit" button beside a sidebar heading, named "Edit <what>" for assistive technology. */
export function PickerToggle({ what, open, onOpen, buttonRef }: { what: string; open: boolean; onOpen: () => void; buttonRef: Ref<HTMLButtonElement> }) {
  return (
    <button
      ref={buttonRef}
      type="button"
      aria-expanded={open}
      aria-label={`Edit ${what}`}
      onClick={onOpen}
      className="rounded px-1.5 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
    >
      Edit
    </button>
  );
}

export function PickerPanel({ what, open, onCancel, onApply, pending, error, search, onSearch, searchLabel, children, footer }: PanelProps) {
  const searchId = useId();
  const searchRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (open) searchRef.current?.focus();
  }, [open]);
  if (!open) return null;
  return (
    <div
      role="group"
      aria-label={`Choose ${what}`}
      className="mt-2 space-y-2 rounded-md border border-slate-200 bg-white p-2 shadow-sm"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <label htmlFor={searchId} className="sr-only">
        {searchLabel}
      </label>
      <input
        ref={searchRef}
        id={searchId}
        type="search"
        value={search}
        placeholder={`${searchLabel}…`}
        onChange={(e) => onSearch(e.target.value)}
        onKeyDown={(e) => {
          // Enter in the search box applies, like GitLab's dropdowns; it must not submit anything around.
          if (e.key === "Enter") {
            e.preventDefault();
            onApply();
          }
        }}
        className={`${inputClass} py-1.5`}
      />
      <div className="max-h-64 overflow-y-auto">{children}</div>
      {footer}
      {error && (
        <p role="alert" className="text-xs text-red-600">
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" className="px-2 py-1 text-xs" onClick={onCancel} disabled={pending}>
          Cancel
        </Button>
        <Button type="button" className="px-2 py-1 text-xs" onClick={onApply} pending={pending}>
          Apply
        </Button>
      </div>
    </div>
  );
}

/** Case-insensitive "contains" on any of the given strings. */
export function matches(query: string, ...fields: (string | null | undefined)[]): boolean {
  const q = query.trim().toLowerCase();
  return !q || fields.some((f) => f?.toLowerCase().includes(q));
}
