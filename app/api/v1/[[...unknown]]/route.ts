// Every API path no route serves (under /api/v1 and, rewritten, /api/v4): GitLab's JSON 404 instead of the app's
// HTML page, for every method, so a client reports "404 Not Found" and not a parse error.
import { NextResponse } from "next/server";

export const dynamic = "force-dynamic";

const notFound = async () => NextResponse.json({ message: "404 Not Found" }, { status: 404 });

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const HEAD = async () => new NextResponse(null, { status: 404 });
