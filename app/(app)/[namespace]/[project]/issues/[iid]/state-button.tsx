"use client";
// Close / reopen an issue.
import { useAction } from "@/app/_components/use-action";
import { Button } from "@/app/_components/ui";
import { setIssueStateAction } from "../../actions";

export function StateButton({ projectPath, iid, state }: { projectPath: string; iid: number; state: "OPENED" | "CLOSED" }) {
  const { pending, error, run } = useAction();
  const action = state === "OPENED" ? "close" : "reopen";
  return (
    <span className="flex items-center gap-2">
      {error && (
        <span role="alert" className="text-sm text-red-600">
          {error}
        </span>
      )}
      <Button type="button" variant="secondary" pending={pending} onClick={() => run(() => setIssueStateAction({ projectPath, iid, state: action }))}>
        {action === "close" ? "Close issue" : "Reopen issue"}
      </Button>
    </span>
  );
}
