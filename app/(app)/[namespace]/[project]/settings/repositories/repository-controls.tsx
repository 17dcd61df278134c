"use client";
// Per-repository buttons: regenerate the secret (shown once) and unlink (after a confirmation).
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { regenerateRepositorySecretAction, unlinkRepositoryAction } from "./actions";
import { WebhookSetup, type WebhookSetupProps } from "./webhook-setup";

export function RegenerateSecretButton({ projectPath, repositoryId }: { projectPath: string; repositoryId: number }) {
  const [fresh, setFresh] = useState<WebhookSetupProps | null>(null);
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  return (
    <div className="space-y-3">
      <div className="flex items-center gap-2">
        <Button
          type="button"
          variant="secondary"
          pending={pending}
          onClick={async () => {
            if (!window.confirm("Make a new secret? The current one stops working at once: paste the new one into the host's webhook.")) return;
            setPending(true);
            setError(undefined);
            const result = await regenerateRepositorySecretAction({ projectPath, repositoryId });
            setPending(false);
            if (result.ok) setFresh(result.data);
            else setError(result.error.message);
          }}
        >
          {pending ? "Regenerating…" : "Regenerate secret"}
        </Button>
        {error && (
          <span role="alert" className="text-sm text-red-600">
            {error}
          </span>
        )}
      </div>
      {fresh && (
        <div className="rounded-lg border border-green-300 bg-green-50 p-4" role="status">
          <WebhookSetup {...fresh} />
        </div>
      )}
    </div>
  );
}

export function UnlinkRepositoryButton({ projectPath, repositoryId, fullPath, redirectTo }: { projectPath: string; repositoryId: number; fullPath: string; redirectTo?: string }) {
  const router = useRouter();
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
        variant="danger"
        pending={pending}
        aria-label={`Unlink ${fullPath}`}
        onClick={() => {
          if (!window.confirm(`Unlink ${fullPath}? Its webhook stops working; issues it closed stay closed.`)) return;
          run(
            () => unlinkRepositoryAction({ projectPath, repositoryId }),
            redirectTo ? () => router.push(redirectTo) : undefined,
          );
        }}
      >
        {pending ? "Unlinking…" : "Unlink"}
      </Button>
    </span>
  );
}
