"use client";
// The issue sidebar's "Notifications" switch: subscribe to or unsubscribe from this issue's mail.
import { useId } from "react";
import { cx } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { setIssueSubscriptionAction } from "./subscription-actions";

/** `subscribed`: the member's own choice, null when they never made one (their notification level decides). */
export function SubscriptionToggle({ projectPath, iid, subscribed }: { projectPath: string; iid: number; subscribed: boolean | null }) {
  const id = useId();
  const { pending, error, run } = useAction();
  const on = subscribed === true;
  const hint = pending
    ? "Saving…"
    : on
      ? "You get mail about comments and replies on this issue."
      : subscribed === false
        ? "No mail about this issue unless you are @mentioned or assigned."
        : "Mail about this issue follows your notification level.";
  return (
    <section aria-labelledby={`${id}-heading`} className="py-4">
      <h2 id={`${id}-heading`} className="text-sm font-semibold text-slate-900">
        Notifications
      </h2>
      <div className="mt-2 flex items-center justify-between gap-3">
        <span id={`${id}-label`} className="text-sm text-slate-700">
          {on ? "Subscribed" : "Not subscribed"}
        </span>
        <button
          type="button"
          aria-pressed={on}
          aria-label="Subscribe to this issue"
          aria-describedby={`${id}-hint`}
          aria-busy={pending || undefined}
          disabled={pending}
          onClick={() => run(() => setIssueSubscriptionAction({ projectPath, iid, subscribed: !on }))}
          className={cx(
            "relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors",
            "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60",
            on ? "bg-indigo-600" : "bg-slate-300",
          )}
        >
          <span aria-hidden className={cx("inline-block size-5 rounded-full bg-white shadow transition-transform", on ? "translate-x-5" : "translate-x-0.5")} />
        </button>
      </div>
      <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
        {hint}
      </p>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </section>
  );
}
