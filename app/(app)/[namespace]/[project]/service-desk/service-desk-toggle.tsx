"use client";
// Turns Service Desk on or off (Maintainers and up; the action checks that again).
import { ActionButton } from "@/app/_components/action-button";
import { setServiceDeskEnabledAction } from "../actions";

export function ServiceDeskToggle({ projectPath, enabled }: { projectPath: string; enabled: boolean }) {
  return (
    <ActionButton variant={enabled ? "secondary" : "primary"} action={() => setServiceDeskEnabledAction({ projectPath, enabled: !enabled })}>
      {enabled ? "Turn off Service Desk" : "Turn on Service Desk"}
    </ActionButton>
  );
}
