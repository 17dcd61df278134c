"use client";
// The issue sidebar's "Notifications" switch: subscribe to or unsubscribe from this issue's mail.
import { useId } from "react";
import { cx } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { setIssueSubscriptionAction } from "./subscription-actions";

type Standing = { subscribed: boolean; why: "assigned" | "subscribed" | "participating" | "watching" | "unsubscribed" | "mention" | "disabled" | "not_participating" };

const HINTS: Record<Standing["why"], string> = {
  assigned: "You get mail about replies and comments: you are assigned.",
  subscribed: "You get mail about replies and comments: you subscribed.",
  participating: "You get mail about replies and comments: you took part in this issue.",
  watching: "You get mail about replies and comments: you watch this project.",
  unsubscribed: "No mail about this issue unless you are @mentioned or assigned.",
  not_participating: "Subscribe to get mail about replies and comments on this issue.",
  mention: "Your level for this project is On mention: only @mentions reach you. Change it under the project's name.",
  disabled: "Notification mail is off for this project. Change your level under the project's name.",
};

/**
 * `standing`: whether the member hears of this issue's replies and comments and why (their choice, or their level
 * and part in the issue). Off → an explicit unsubscribe; on → an explicit subscribe. A level that mails nothing
 * about issues (On mention, Disabled) cannot be overridden here: the switch says where to change it.
 */
export function SubscriptionToggle({ projectPath, iid, standing }: { projectPath: string; iid: number; standing: Standing }) {
  const id = useId();
  const { pending, error, run } = useAction();
  const on = standing.subscribed;
  const locked = standing.why === "mention" || standing.why === "disabled";
  const hint = pending ? "Saving…" : HINTS[standing.why];
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
          disabled={pending || locked}
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
