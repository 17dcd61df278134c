"use client";
// Close / reopen an issue.
import { ActionButton } from "@/app/_components/action-button";
import { setIssueStateAction } from "../../actions";

export function StateButton({ projectPath, iid, state }: { projectPath: string; iid: number; state: "OPENED" | "CLOSED" }) {
  const action = state === "OPENED" ? "close" : "reopen";
  return (
    <ActionButton action={() => setIssueStateAction({ projectPath, iid, state: action })}>
      {action === "close" ? "Close issue" : "Reopen issue"}
    </ActionButton>
  );
}
