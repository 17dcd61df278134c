"use client";
// Turns Service Desk on or off (Maintainers and up; the action checks that again).
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Button } from "@/app/_components/ui";
import { setServiceDeskEnabledAction } from "../actions";

export function ServiceDeskToggle({ projectPath, enabled }: { projectPath: string; enabled: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  return (
    <span className="flex items-center gap-2">
      {error && (
        <span role="alert" className="text-sm text-red-600">
          {error}
        </span>
      )}
      <Button
        type="button"
        variant={enabled ? "secondary" : "primary"}
        pending={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await setServiceDeskEnabledAction({ projectPath, enabled: !enabled });
            if (result.ok) {
              setError(undefined);
              router.refresh();
            } else setError(result.error.message);
          })
        }
      >
        {enabled ? "Turn off Service Desk" : "Turn on Service Desk"}
      </Button>
    </span>
  );
}
