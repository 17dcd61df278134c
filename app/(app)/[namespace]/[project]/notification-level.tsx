"use client";
// The project sidebar's notification level: saved as soon as it is chosen, put back if saving fails. Never
// disabled while saving: arrow keys change a closed select, and a disabled one would drop the keyboard focus.
import { useId, useState, useTransition } from "react";
import { cx } from "@/app/_components/ui";
import { LEVEL_LABELS, NOTIFICATION_LEVELS, type NotificationLevel } from "@/lib/notifications/levels";
import { useFlash } from "./settings/saved-status";
import { setProjectLevelAction } from "./notification-actions";

export function NotificationLevelSelect({ projectPath, level }: { projectPath: string; level: NotificationLevel }) {
  const id = useId();
  const [value, setValue] = useState<NotificationLevel>(level);
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();
  const [saved, flash] = useFlash();

  const choose = (next: NotificationLevel) => {
    const previous = value;
    setValue(next);
    startTransition(async () => {
      const result = await setProjectLevelAction({ projectPath, level: next });
      if (!result.ok) {
        setValue(previous);
        return setError(result.error.fieldErrors?.level ?? result.error.message);
      }
      setError(undefined);
      flash("Saved");
    });
  };

  return (
    <div className="space-y-1">
      <label htmlFor={`${id}-level`} className="block text-xs font-medium text-slate-700">
        Notifications
      </label>
      <select
        id={`${id}-level`}
        value={value}
        aria-busy={pending || undefined}
        aria-describedby={`${id}-hint`}
        onChange={(event) => choose(event.target.value as NotificationLevel)}
        className={cx("block w-full rounded-md border-0 px-2 py-1 text-sm text-slate-900 ring-1 ring-inset ring-slate-300", "focus:ring-2 focus:ring-indigo-600", pending && "opacity-60")}
      >
        {NOTIFICATION_LEVELS.map((option) => (
          <option key={option} value={option}>
            {LEVEL_LABELS[option].title}
          </option>
        ))}
      </select>
      <p id={`${id}-hint`} className="text-xs text-slate-500">
        {pending ? "Saving…" : LEVEL_LABELS[value].description}
      </p>
      {error && (
        <p role="alert" className="text-xs text-red-600">
          {error}
        </p>
      )}
      {/* A live region without the status role: it sits on every project page, next to the pages' own status messages. */}
      <p aria-live="polite" className="min-h-4 text-xs font-medium text-green-700">
        {saved}
      </p>
    </div>
  );
}
