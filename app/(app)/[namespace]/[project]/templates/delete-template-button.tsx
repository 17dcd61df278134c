"use client";
// Deletes a description template after an inline confirmation (which says so when Service Desk uses it).
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { deleteIssueTemplateAction } from "./actions";

interface Props {
  projectPath: string;
  id: number;
  name: string;
  usedByServiceDesk: boolean;
  /** Where to go afterwards (the list refreshes in place when absent). */
  redirectTo?: string;
}

export function DeleteTemplateButton({ projectPath, id, name, usedByServiceDesk, redirectTo }: Props) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const { pending, error, run } = useAction();

  if (!confirming)
    return (
      <Button type="button" variant="danger" onClick={() => setConfirming(true)} aria-label={`Delete template ${name}`}>
        Delete
      </Button>
    );
  return (
    <div role="group" aria-label={`Confirm deleting ${name}`} className="flex flex-wrap items-center justify-end gap-2 text-sm">
      <span className="text-slate-700">
        Delete “{name}”?
        {usedByServiceDesk && " Service Desk appends it to new issues: they will arrive without it, with a warning note."}
      </span>
      {error && (
        <span role="alert" className="text-red-600">
          {error}
        </span>
      )}
      <Button
        type="button"
        variant="danger"
        pending={pending}
        onClick={() => run(() => deleteIssueTemplateAction({ projectPath, id }), () => (redirectTo ? router.push(redirectTo) : router.refresh()))}
      >
        Yes, delete
      </Button>
      <Button type="button" variant="secondary" disabled={pending} onClick={() => setConfirming(false)}>
        Cancel
      </Button>
    </div>
  );
}
