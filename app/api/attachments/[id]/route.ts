// Downloads an attachment of an issue; the data layer checks the session user may see that issue.
import { NextResponse } from "next/server";
import { getActor } from "@/lib/auth/session";
import { getAttachment } from "@/lib/data/attachments";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

// Files from strangers' mail are never rendered inline by the browser on our origin.
function disposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export async function GET(_request: Request, context: { params: Promise<{ id: string }> }) {
  const { id } = await context.params;
  try {
    const file = await getAttachment(await getActor(), id);
    return new NextResponse(Buffer.from(file.data), {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(file.size),
        "content-disposition": disposition(file.filename),
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
      },
    });
  } catch (error) {
    if (error instanceof AppError) return NextResponse.json({ message: error.message }, { status: error.code === "unauthorized" ? 401 : 404 });
    throw error;
  }
}
