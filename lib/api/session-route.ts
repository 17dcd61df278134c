// Route handlers the app's own pages call with the signed-in session (live updates): session → handler, and
// AppError → JSON with the right status, so a route cannot forget the sign-in check. REST routes use apiRoute.
import { NextResponse } from "next/server";
import type { Actor } from "@/lib/auth/actor";
import { getActor } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";

export interface SessionContext<P> {
  actor: Actor;
  request: Request;
  url: URL;
  params: P;
}

export function sessionRoute<P = Record<string, never>>(handler: (context: SessionContext<P>) => Promise<Response>) {
  return async (request: Request, context: { params?: Promise<P> } = {}): Promise<Response> => {
    try {
      const actor = await getActor();
      if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
      return await handler({ actor, request, url: new URL(request.url), params: ((await context.params) ?? {}) as P });
    } catch (error) {
      if (error instanceof AppError)
        return NextResponse.json({ message: error.message, ...(error.fieldErrors ? { errors: error.fieldErrors } : {}) }, { status: error.status });
      console.error("route error:", error);
      return NextResponse.json({ message: "Something went wrong." }, { status: 500 });
    }
  };
}

/** A JSON body sent by the app's own pages: only application/json (a cross-site form cannot send it without asking). */
export async function jsonBody(request: Request, maxBytes = 4096): Promise<Record<string, unknown>> {
  if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json"))
    throw new AppError("bad_request", "Send JSON (Content-Type: application/json).");
  // A page that closes sends its last heartbeat as it goes: a body cut off mid-way is a bad request, not a 500.
  const text = await request.text().catch(() => {
    throw new AppError("bad_request", "The request was cut off.");
  });
  if (text.length > maxBytes) throw new AppError("bad_request", "The request is too large.");
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new AppError("bad_request", "The body is not a JSON object.");
}
