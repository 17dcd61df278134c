"use client";
// A destructive button that asks inline first ("Delete X? Yes / Cancel"), then runs a server action: pending
// state, the error beside it, and a refresh (or a move elsewhere) on success.
import { useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import type { ActionResult } from "@/lib/auth/action";
import { Button } from "./ui";
import { useAction } from "./use-action";

interface Props {
  /** The button's text, and its accessible name (e.g. "Delete template X"). */
  label: string;
  accessibleName: string;
  /** The question shown while confirming. */
  question: ReactNode;
  confirmLabel: string;
  action: () => Promise<ActionResult<unknown>>;
  /** Where to go afterwards (the page refreshes in place when absent). */
  redirectTo?: string;
}

export function ConfirmButton({ label, accessibleName, question, confirmLabel, action, redirectTo }: Props) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const { pending, error, run } = useAction();
  if (!confirming)
    return (
      <Button type="button" variant="danger" onClick={() => setConfirming(true)} aria-label={accessibleName}>
        {label}
      </Button>
    );
  return (
    <div role="group" aria-label={`Confirm: ${accessibleName}`} className="flex flex-wrap items-center justify-end gap-2 text-sm">
      <span className="text-slate-700">{question}</span>
      {error && (
        <span role="alert" className="text-red-600">
          {error}
        </span>
      )}
      <Button type="button" variant="danger" pending={pending} onClick={() => run(action, () => (redirectTo ? router.push(redirectTo) : router.refresh()))}>
        {confirmLabel}
      </Button>
      <Button type="button" variant="secondary" disabled={pending} onClick={() => setConfirming(false)}>
        Cancel
      </Button>
    </div>
  );
}
