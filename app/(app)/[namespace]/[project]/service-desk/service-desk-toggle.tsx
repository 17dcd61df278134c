"use client";
// Turns Service Desk on or off (Maintainers and up; the action checks that again).
import { useAction } from "@/app/_components/use-action";
import { Button } from "@/app/_components/ui";
import { setServiceDeskEnabledAction } from "../actions";

export function ServiceDeskToggle({ projectPath, enabled }: { projectPath: string; enabled: boolean }) {
  const { pending, error, run } = useAction();
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
        onClick={() => run(() => setServiceDeskEnabledAction({ projectPath, enabled: !enabled }))}
      >
        {enabled ? "Turn off Service Desk" : "Turn on Service Desk"}
      </Button>
    </span>
  );
}
