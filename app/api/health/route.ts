// GET /api/health (no auth): 200 when the database is reachable and migrated, else 503 — with the mail backlog.
import { NextResponse } from "next/server";
import { healthReport } from "@/lib/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const report = await healthReport();
  return NextResponse.json(report, { status: report.status === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
