"use client";
// Runs a server action from a button: pending state, the error message if it fails, refresh when it succeeds.
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/auth/action";

export function useAction() {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string>();
  const run = (work: () => Promise<ActionResult<unknown>>, onSuccess?: () => void) =>
    startTransition(async () => {
      const result = await work();
      if (!result.ok) return setError(result.error.message);
      setError(undefined);
      if (onSuccess) onSuccess();
      else router.refresh();
    });
  return { pending, error, run };
}
