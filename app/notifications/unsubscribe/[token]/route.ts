// A team notification's List-Unsubscribe target ("stop mail about this issue", no sign-in): GET asks, POST
// unsubscribes — the confirmation form and RFC 8058 one-click POSTs from mail providers alike.
import { escapeHtml } from "@/lib/mail/send-mail";
import { readTeamUnsubscribeToken } from "@/lib/notifications/unsubscribe-token";
import { describeTeamUnsubscribe, unsubscribeFromIssueByToken } from "@/lib/data/notification-settings";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ token: string }> };

// No <style>: this path passes proxy.ts, whose page CSP only lets <style> elements with its nonce through.
function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}


const invalid = () => page("Link not valid", "<p>This link is not valid (any more).</p>", 404);

export async function GET(_request: Request, context: Context) {
  const target = readTeamUnsubscribeToken((await context.params).token);
  const described = target && (await describeTeamUnsubscribe(target));
  if (!described) return invalid();
  const { reference } = described;
  // A GET changes nothing: mail scanners and link previews open links without anyone asking.
  return page(
    "Stop mail about this issue?",
    `<p>You will no longer get notification mail about <strong>${escapeHtml(reference)}</strong>, unless someone @mentions you or assigns it to you.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Stop mail about ${escapeHtml(reference)}</button></form>`,
  );
}

export async function POST(_request: Request, context: Context) {
  const target = readTeamUnsubscribeToken((await context.params).token);
  const done = target && (await unsubscribeFromIssueByToken(target));
  if (!done) return invalid();
  return page("Unsubscribed", `<p>You will no longer get mail about <strong>${escapeHtml(done.reference)}</strong> (${escapeHtml(done.title)}).</p>`);
}
