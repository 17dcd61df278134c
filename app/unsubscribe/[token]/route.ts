// List-Unsubscribe target: GET shows a confirmation page (customers have no account), POST unsubscribes —
// also RFC 8058 one-click POSTs that mail providers send without showing anything.
import { escapeHtml } from "@/lib/mail/send-mail";
import { findUnsubscribeTarget, unsubscribe } from "@/lib/service-desk/unsubscribe";

export const dynamic = "force-dynamic";

function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:grid;place-items:center;min-height:100vh;margin:0}main{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:24px;max-width:420px}button{background:#4f46e5;color:#fff;border:0;border-radius:6px;padding:8px 14px;font-size:14px;cursor:pointer}</style></head>
<body><main><h1 style="font-size:18px;margin-top:0">${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

const unknown = () => page("Link not valid", "<p>This unsubscribe link is not valid (any more).</p>", 404);

export async function GET(_request: Request, context: { params: Promise<{ token: string }> }) {
  const { token } = await context.params;
  const target = await findUnsubscribeTarget(token);
  if (!target) return unknown();
  if (target.alreadyUnsubscribed)
    return page("You are unsubscribed", `<p>${escapeHtml(target.recipient)} gets no more mail about request #${target.issueIid}.</p>`);
  return page(
    "Unsubscribe?",
    `<p>Stop mail to <strong>${escapeHtml(target.recipient)}</strong> about request #${target.issueIid} of ${escapeHtml(target.projectName)}?</p>
<form method="post"><button type="submit">Unsubscribe</button></form>`,
  );
}

export async function POST(_request: Request, context: { params: Promise<{ token: string }> }) {
  const { token } = await context.params;
  if (!(await unsubscribe(token))) return unknown();
  const target = await findUnsubscribeTarget(token);
  return page("You are unsubscribed", `<p>${escapeHtml(target?.recipient ?? "You")} will get no more mail about this request.</p>`);
}
