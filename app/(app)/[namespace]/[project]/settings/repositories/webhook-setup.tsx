// The exact steps to add the webhook on GitHub or on GitLab, with the URL and (once) the secret to paste.
import { CopyButton } from "@/app/_components/copy-button";

export interface WebhookSetupProps {
  provider: "github" | "gitlab";
  webUrl: string;
  webhookUrl: string;
  /** Only right after linking or regenerating: never stored in plain text. */
  secret?: string;
}

function Value({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div>
      <div className="text-xs font-medium text-slate-600">{label}</div>
      <div className="mt-1 flex flex-wrap items-center gap-2">
        <code className="break-all rounded bg-slate-100 px-2 py-1 text-sm" data-testid={testId}>
          {value}
        </code>
        <CopyButton value={value} />
      </div>
    </div>
  );
}

export function WebhookSetup({ provider, webUrl, webhookUrl, secret }: WebhookSetupProps) {
  const settingsUrl = provider === "github" ? `${webUrl}/settings/hooks/new` : `${webUrl}/-/hooks`;
  return (
    <div className="space-y-3 text-sm">
      <Value label="Webhook URL" value={webhookUrl} testId="webhook-url" />
      {secret ? (
        <div className="space-y-1">
          <Value label={provider === "github" ? "Secret" : "Secret token"} value={secret} testId="webhook-secret" />
          <p className="text-xs text-amber-700" role="note">
            Copy the secret now: it is not shown again. (Lost it? Regenerate it on the repository&apos;s page.)
          </p>
        </div>
      ) : (
        <p className="text-xs text-slate-500">The secret was shown once, when the repository was linked; regenerate it if you lost it.</p>
      )}
      {provider === "github" ? (
        <ol className="list-decimal space-y-1 pl-5 text-slate-700">
          <li>
            On GitHub, open{" "}
            <a className="text-indigo-700 underline" href={settingsUrl} target="_blank" rel="noreferrer">
              Settings → Webhooks → Add webhook
            </a>{" "}
            of the repository.
          </li>
          <li>
            <strong>Payload URL</strong>: the webhook URL above. <strong>Content type</strong>: <code>application/json</code>.
          </li>
          <li>
            <strong>Secret</strong>: the secret above.
          </li>
          <li>
            <strong>Which events</strong>: &ldquo;Let me select individual events&rdquo;, then tick <strong>Pushes</strong> and{" "}
            <strong>Pull requests</strong>.
          </li>
          <li>
            Keep <strong>Active</strong> ticked and press <strong>Add webhook</strong>. GitHub sends a ping at once: the last delivery below
            then says &ldquo;The webhook works&rdquo;.
          </li>
        </ol>
      ) : (
        <ol className="list-decimal space-y-1 pl-5 text-slate-700">
          <li>
            On GitLab, open{" "}
            <a className="text-indigo-700 underline" href={settingsUrl} target="_blank" rel="noreferrer">
              Settings → Webhooks → Add new webhook
            </a>{" "}
            of the project.
          </li>
          <li>
            <strong>URL</strong>: the webhook URL above. <strong>Secret token</strong>: the secret above.
          </li>
          <li>
            <strong>Trigger</strong>: tick <strong>Push events</strong> (all branches; only the default branch counts here) and{" "}
            <strong>Merge request events</strong>.
          </li>
          <li>
            Keep <strong>Enable SSL verification</strong> on and press <strong>Add webhook</strong>. Use <strong>Test → Push events</strong> to
            check it: the last delivery below shows the result.
          </li>
        </ol>
      )}
      <p className="text-xs text-slate-500">
        Then write <code>Fixes group/project#12</code> (or this project&apos;s key, e.g. <code>Fixes DESK-12</code>, or the issue&apos;s URL) in a
        commit message or a {provider === "github" ? "pull request's" : "merge request's"} description: when it reaches the default branch, the
        issue is closed and the customer told.
      </p>
    </div>
  );
}
