"use client";
// The "Activate Service Desk" switch: saves at once (Maintainers and up; the action checks that again).
import { cx } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { setServiceDeskEnabledAction } from "./actions";

export function ServiceDeskToggle({ projectPath, enabled }: { projectPath: string; enabled: boolean }) {
  const { pending, error, run } = useAction();
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button
        type="button"
        role="switch"
        aria-checked={enabled}
        aria-labelledby="service-desk-switch-label"
        aria-describedby="service-desk-switch-hint"
        aria-busy={pending || undefined}
        disabled={pending}
        onClick={() => run(() => setServiceDeskEnabledAction({ projectPath, enabled: !enabled }))}
        className={cx(
          "relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors",
          "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60",
          enabled ? "bg-indigo-600" : "bg-slate-300",
        )}
      >
        <span
          aria-hidden
          className={cx("inline-block size-5 rounded-full bg-white shadow transition-transform", enabled ? "translate-x-5" : "translate-x-0.5")}
        />
      </button>
      <div>
        <span id="service-desk-switch-label" className="text-sm font-medium text-slate-900">
          Activate Service Desk
        </span>
        <span id="service-desk-switch-hint" className="block text-xs text-slate-500">
          {pending ? "Saving…" : enabled ? "On: mail to the address below becomes an issue." : "Off: mail to this project is rejected."}
        </span>
      </div>
      {error && (
        <span role="alert" className="text-sm text-red-600">
          {error}
        </span>
      )}
    </div>
  );
}
