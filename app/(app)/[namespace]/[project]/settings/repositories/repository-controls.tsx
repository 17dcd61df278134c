"use client";
// Per-repository buttons: regenerate the secret (shown once) and unlink (after an inline confirmation).
import { useState } from "react";
import { Button } from "@/app/_components/ui";
import { ConfirmButton } from "@/app/_components/confirm-button";
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
  return (
    <ConfirmButton
      label="Unlink"
      accessibleName={`Unlink ${fullPath}`}
      question={<>Unlink {fullPath}? Its webhook stops working; issues it closed stay closed.</>}
      confirmLabel="Yes, unlink"
      action={() => unlinkRepositoryAction({ projectPath, repositoryId })}
      redirectTo={redirectTo}
    />
  );
}
