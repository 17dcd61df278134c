"use client";
// A button that runs a server action: pending spinner, the error beside it, page refresh on success.
import type { ReactNode } from "react";
import type { ActionResult } from "@/lib/auth/action";
import { Button } from "./ui";
import { useAction } from "./use-action";

interface Props {
  action: () => Promise<ActionResult<unknown>>;
  variant?: "primary" | "secondary" | "danger";
  children: ReactNode;
}

export function ActionButton({ action, variant = "secondary", children }: Props) {
  const { pending, error, run } = useAction();
  return (
    <span className="flex items-center gap-2">
      {error && (
        <span role="alert" className="text-sm text-red-600">
          {error}
        </span>
      )}
      <Button type="button" variant={variant} pending={pending} onClick={() => run(action)}>
        {children}
      </Button>
    </span>
  );
}
