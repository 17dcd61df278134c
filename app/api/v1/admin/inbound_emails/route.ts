// GET /api/v1/admin/inbound_emails?status= — stored inbound mail (instance admins).
import { apiRoute, json } from "@/lib/api/handler";
import { listInboundMail } from "@/lib/data/mail-log";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async ({ actor, url }) => {
  const page = await listInboundMail(actor, {}, { status: url.searchParams.get("status") || undefined, cursor: url.searchParams.get("cursor") || undefined });
  const next = new URL(url);
  if (page.nextCursor) next.searchParams.set("cursor", page.nextCursor);
  const headers = page.nextCursor ? { Link: `<${next}>; rel="next"` } : undefined;
  const body = page.mails.map((mail) => ({
    id: mail.id,
    status: mail.status,
    reason: mail.reason,
    error: mail.error,
    from: mail.fromAddress,
    subject: mail.subject,
    size: mail.size,
    attempts: mail.attempts,
    source: mail.source,
    project_path: mail.projectPath,
    issue_iid: mail.issueIid,
    received_at: mail.receivedAt.toISOString(),
  }));
  return json(body, { headers });
});
