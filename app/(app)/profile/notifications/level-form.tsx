"use client";
// The default notification level: one radio per level with what it sends, saved with a pending state and "Saved".
import { useId, useState, useTransition } from "react";
import { SavedStatus, useFlash } from "@/app/(app)/[namespace]/[project]/settings/saved-status";
import { Button, FormError } from "@/app/_components/ui";
import { DEFAULT_LEVELS, LEVEL_LABELS, type DefaultLevel } from "@/lib/notifications/levels";
import { setGlobalLevelAction } from "./actions";

export function LevelForm({ level }: { level: DefaultLevel }) {
  const id = useId();
  const [value, setValue] = useState<DefaultLevel>(level);
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();
  const [saved, flash] = useFlash();

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    startTransition(async () => {
      const result = await setGlobalLevelAction({ level: value });
      if (!result.ok) return setError(result.error.fieldErrors?.level ?? result.error.message);
      setError(undefined);
      flash("Saved");
    });
  };

  return (
    <form onSubmit={onSubmit} className="space-y-4">
      <FormError message={error} />
      <fieldset>
        <legend className="text-sm font-semibold text-slate-900">Default notification level</legend>
        <p className="text-xs text-slate-500">Used in every project whose level is “Global”.</p>
        <div className="mt-3 space-y-2">
          {DEFAULT_LEVELS.map((option) => (
            <label key={option} className="flex cursor-pointer items-start gap-3 rounded-md border border-slate-200 p-3 has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50">
              <input
                type="radio"
                name="level"
                value={option}
                checked={value === option}
                onChange={() => setValue(option)}
                aria-describedby={`${id}-${option}`}
                className="mt-0.5"
              />
              <span>
                <span className="block text-sm font-medium text-slate-900">{LEVEL_LABELS[option].title}</span>
                <span id={`${id}-${option}`} className="block text-xs text-slate-600">
                  {LEVEL_LABELS[option].description}
                </span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="flex items-center gap-3">
        <Button type="submit" pending={pending}>
          {pending ? "Saving…" : "Save"}
        </Button>
        <SavedStatus message={saved} />
      </div>
    </form>
  );
}
