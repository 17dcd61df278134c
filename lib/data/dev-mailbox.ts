// The dev mailbox: recent outgoing mail, for development only (the page is not served in production).
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";

export function devMailboxEnabled(): boolean {
  return !env().isProduction;
}

export async function listRecentMail(limit = 50) {
  if (!devMailboxEnabled()) return [];
  const rows = await db().outboundEmail.findMany({
    orderBy: [{ createdAt: "desc" }],
    take: limit,
    select: {
      id: true,
      kind: true,
      to: true,
      fromEmail: true,
      fromName: true,
      replyTo: true,
      subject: true,
      text: true,
      html: true,
      headers: true,
      status: true,
      transport: true,
      error: true,
      createdAt: true,
    },
  });
  return rows.map((row) => ({ ...row, headers: (row.headers ?? {}) as Record<string, string> }));
}
