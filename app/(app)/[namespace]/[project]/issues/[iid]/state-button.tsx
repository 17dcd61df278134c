"use client";
// Close / reopen an issue.
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Button } from "@/app/_components/ui";
import { setIssueStateAction } from "../../actions";

export function StateButton({ projectPath, iid, state }: { projectPath: string; iid: number; state: "OPENED" | "CLOSED" }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const action = state === "OPENED" ? "close" : "reopen";
  return (
    <span className="flex items-center gap-2">
      {error && (
        <span role="alert" className="text-sm text-red-600">
          {error}
        </span>
      )}
      <Button
        type="button"
        variant="secondary"
        pending={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await setIssueStateAction({ projectPath, iid, state: action });
            if (result.ok) {
              setError(undefined);
              router.refresh();
            } else setError(result.error.message);
          })
        }
      >
        {action === "close" ? "Close issue" : "Reopen issue"}
      </Button>
    </span>
  );
}
