// Personal access tokens for the REST API: create, list (never the secret), revoke.
import type { Metadata } from "next";
import { ActionButton } from "@/app/_components/action-button";
import { Badge, Card, PageHeader, RelativeTime } from "@/app/_components/ui";
import { requireActor } from "@/lib/auth/page-access";
import { listAccessTokens } from "@/lib/data/access-tokens";
import { revokeTokenAction } from "./actions";
import { TokenForm } from "./token-form";

export const metadata: Metadata = { title: "Access tokens" };

export default async function TokensPage() {
  const actor = await requireActor("/profile/tokens");
  const tokens = await listAccessTokens(actor);
  const now = new Date();
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <PageHeader
        title="Personal access tokens"
        description={
          <>
            Tokens let scripts and integrations use the REST API as you (<code>/api/v1</code>, header <code>PRIVATE-TOKEN</code>). They can do
            what you can do in the projects you are a member of; <code>read_api</code> tokens only read.
          </>
        }
      />
      <Card className="mb-8 p-4">
        <TokenForm />
      </Card>
      <h2 className="mb-2 text-sm font-semibold text-slate-900">Your tokens</h2>
      {tokens.length === 0 ? (
        <p className="text-sm text-slate-500">No tokens yet. Create one above to use the API.</p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {tokens.map((token) => {
            const expired = token.expiresAt && token.expiresAt <= now;
            return (
              <li key={token.id} className="flex flex-wrap items-center gap-3 px-4 py-3 text-sm">
                <div className="min-w-0 flex-1">
                  <div className="flex items-center gap-2">
                    <span className="font-medium text-slate-900">{token.name}</span>
                    <code className="text-xs text-slate-500">{token.tokenStart}…</code>
                    {token.scopes.map((scope) => (
                      <Badge key={scope}>{scope}</Badge>
                    ))}
                    {token.revokedAt ? <Badge tone="red">revoked</Badge> : expired ? <Badge tone="amber">expired</Badge> : <Badge tone="green">active</Badge>}
                  </div>
                  <p className="text-xs text-slate-500">
                    Created <RelativeTime date={token.createdAt} /> · {token.lastUsedAt ? <>last used <RelativeTime date={token.lastUsedAt} /></> : "never used"}
                    {token.expiresAt && <> · expires {token.expiresAt.toISOString().slice(0, 10)}</>}
                  </p>
                </div>
                {!token.revokedAt && (
                  <ActionButton action={revokeTokenAction.bind(null, { id: token.id })} variant="danger">
                    Revoke
                  </ActionButton>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </main>
  );
}
