// Calling REST route handlers in integration tests exactly as Next does: a Request plus a params promise.
import type { Actor } from "@/lib/auth/actor";
import { createAccessToken } from "@/lib/data/access-tokens";

type Route<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

export async function call<P>(
  route: Route<P>,
  params: P,
  options: { token?: string; method?: string; body?: unknown; headers?: Record<string, string>; query?: string } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers["private-token"] = options.token;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const url = `http://localhost/api/v1/test${options.query ? `?${options.query}` : ""}`;
  const response = await route(new Request(url, { method: options.method ?? "GET", headers, body }), { params: Promise.resolve(params) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

export const tokenFor = async (actor: Actor | null, scopes: ("api" | "read_api")[] = ["api"]) =>
  (await createAccessToken(actor, { name: "test", scopes })).token;
