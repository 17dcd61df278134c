"use client";
// Deletes a description template after an inline confirmation (which says so when Service Desk uses it).
import { ConfirmButton } from "@/app/_components/confirm-button";
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
  return (
    <ConfirmButton
      label="Delete"
      accessibleName={`Delete template ${name}`}
      question={
        <>
          Delete “{name}”?
          {usedByServiceDesk && " Service Desk appends it to new issues: they will arrive without it, with a warning note."}
        </>
      }
      confirmLabel="Yes, delete"
      action={() => deleteIssueTemplateAction({ projectPath, id })}
      redirectTo={redirectTo}
    />
  );
}
