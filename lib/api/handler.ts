// Every REST route goes through `apiRoute`: token → scope → rate limit → body size → handler, and AppError →
// GitLab-shaped JSON. A route cannot forget authentication, and errors read the same everywhere.
import { NextResponse } from "next/server";
import type { Actor } from "@/lib/auth/actor";
import { authenticateAccessToken, type TokenIdentity } from "@/lib/data/access-tokens";
import { AppError } from "@/lib/errors";
import { hitRateLimit } from "@/lib/rate-limit";

export const MAX_BODY_BYTES = 1024 * 1024;

class PayloadTooLarge extends Error {}
export const REQUESTS_PER_MINUTE = 600;

export interface ApiContext<P> {
  actor: Actor;
  token: TokenIdentity;
  params: P;
  request: Request;
  url: URL;
  /** The JSON body (PUT/POST), `{}` when there is none. */
  body: () => Promise<Record<string, unknown>>;
}

type Handler<P> = (context: ApiContext<P>) => Promise<Response | unknown>;

export const json = (data: unknown, init?: ResponseInit) => NextResponse.json(data, init);
const message = (status: number, text: unknown, headers?: HeadersInit) => NextResponse.json({ message: text }, { status, headers });

function presentedToken(request: Request): string | undefined {
  const privateToken = request.headers.get("private-token")?.trim();
  if (privateToken) return privateToken;
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization")?.trim() ?? "");
  return match?.[1];
}

/** GitLab's 400 shape: `{ "message": { "field": ["message"] } }`, or a plain message. */
function badRequest(error: AppError) {
  if (!error.fieldErrors || Object.keys(error.fieldErrors).length === 0) return message(400, `400 Bad request - ${error.message}`);
  return message(400, Object.fromEntries(Object.entries(error.fieldErrors).map(([field, text]) => [toSnake(field), [text]])));
}

const toSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function errorResponse(error: unknown): Response {
  if (error instanceof PayloadTooLarge) return message(413, "413 Request Entity Too Large");
  if (!(error instanceof AppError)) {
    console.error("API error:", error);
    return message(500, "500 Internal Server Error");
  }
  // A refusal tied to a field (also a conflict such as a taken alias suffix) reads like GitLab's validation errors.
  if (error.code === "conflict" && error.fieldErrors) return badRequest(error);
  switch (error.code) {
    case "bad_request":
      return badRequest(error);
    case "unauthorized":
      return message(401, "401 Unauthorized");
    case "forbidden":
      return message(403, "403 Forbidden");
    case "not_found":
      return message(404, `404 ${error.message.replace(/ not found\.$/, "")} Not Found`);
    case "conflict":
      return message(409, error.message);
    case "rate_limited":
      return message(429, error.message);
    default:
      return message(error.status, error.message);
  }
}

/**
 * The URL as the client sent it: a request that came in as /api/v4/… (GitLab's prefix, rewritten to these
 * handlers by next.config.mjs with the `__api=v4` marker) keeps /api/v4 in the links built from it.
 */
export function clientUrl(request: Request): URL {
  const url = new URL(request.url);
  if (url.searchParams.get("__api") === "v4") {
    url.searchParams.delete("__api");
    url.pathname = url.pathname.replace(/^\/api\/v1(?=\/|$)/, "/api/v4");
  }
  return url;
}

/** Wraps a route handler; `write` routes need the `api` scope (read_api tokens get 403 insufficient_scope). */
export function apiRoute<P = Record<string, string>>(handler: Handler<P>, options: { write?: boolean } = {}) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      // GitLab deprecates the token in the query string (it ends up in logs and browser history): refused, saying why.
      if (new URL(request.url).searchParams.has("private_token"))
        return message(401, "401 Unauthorized - the private_token query parameter is not accepted: send the token in the PRIVATE-TOKEN header or as Authorization: Bearer <token>");
      const presented = presentedToken(request);
      const token = presented ? await authenticateAccessToken(presented) : null;
      if (!token) return message(401, "401 Unauthorized");
      if (options.write && !token.scopes.includes("api")) return NextResponse.json({ error: "insufficient_scope", message: "403 Forbidden - insufficient_scope" }, { status: 403 });
      if (!options.write && !token.scopes.includes("api") && !token.scopes.includes("read_api"))
        return NextResponse.json({ error: "insufficient_scope", message: "403 Forbidden - insufficient_scope" }, { status: 403 });

      const now = Date.now();
      const count = await hitRateLimit(`api:token:${token.tokenId}`, 60_000, new Date(now));
      if (count > REQUESTS_PER_MINUTE) {
        const retryAfter = Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
        return message(429, "429 Too Many Requests", { "Retry-After": String(retryAfter) });
      }

      if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return message(413, "413 Request Entity Too Large");
      let bodyCache: Promise<Record<string, unknown>> | undefined;
      const body = () => (bodyCache ??= readJsonBody(request));
      const result = await handler({ actor: token.actor, token, params: await context.params, request, url: clientUrl(request), body });
      return result instanceof Response ? result : json(result);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

async function readJsonBody(request: Request): Promise<Record<string, unknown>> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw new PayloadTooLarge();
  if (bytes.byteLength === 0) return {};
  const type = request.headers.get("content-type") ?? "";
  const text = Buffer.from(bytes).toString("utf8");
  if (/application\/x-www-form-urlencoded/i.test(type)) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AppError("bad_request", "The body must be a JSON object.");
}

