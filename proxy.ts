// Next's request proxy (formerly middleware): gives every page request a fresh CSP nonce and the page security
// headers (lib/security-headers.ts). API routes and /unsubscribe never come here — see the matcher.
import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/lib/env";
import { createNonce, isEmbeddable, pageSecurityHeaders, servedOverHttps } from "@/lib/security-headers";

export function proxy(request: NextRequest) {
  const config = env();
  const headers = pageSecurityHeaders({
    nonce: createNonce(),
    development: !config.isProduction,
    https: servedOverHttps(config.APP_URL, request.url, request.headers.get("x-forwarded-proto")),
    embeddable: isEmbeddable(request.nextUrl.pathname),
  });
  // Next reads the nonce from the request's CSP header while rendering and puts it on its scripts.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: [
    {
      // Not /api/* (webhooks, REST, cron, auth, attachments): a matched request's body is buffered and cut at
      // 10 MB, and JSON needs no CSP. Nor /unsubscribe/* (mail providers POST to it; a page without scripts).
      // next.config.mjs gives both their headers. Not build assets or public files either.
      source: "/((?!api(?:/|$)|unsubscribe/|_next/static/|_next/image|favicon\\.svg$).*)",
      // Prefetches and server-action calls answer with RSC data, not a document a policy applies to.
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
        { type: "header", key: "next-action" },
      ],
    },
  ],
};
