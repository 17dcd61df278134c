// The browser-side security headers of every page (Content-Security-Policy with a per-request nonce, framing,
// HSTS): built here, applied by proxy.ts. Headers that need no request (nosniff, Referrer-Policy) and those of
// API answers and the unsubscribe page, which skip the proxy, are in next.config.mjs.

/**
 * Pages another site may show in a frame. None today; a page added here gets `frame-ancestors *` and no
 * X-Frame-Options instead of being refused in frames. Exact paths or prefixes ending in `/`.
 */
export const EMBEDDABLE_PATHS: readonly string[] = [];

export function isEmbeddable(pathname: string, embeddable: readonly string[] = EMBEDDABLE_PATHS): boolean {
  return embeddable.some((entry) => (entry.endsWith("/") ? pathname.startsWith(entry) : pathname === entry));
}

/** 16 random bytes, base64: unguessable, and only characters a CSP nonce-source allows. */
export function createNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

export type PolicyOptions = {
  nonce: string;
  /** The dev server: React's debugging needs eval, and HMR talks over a websocket. */
  development: boolean;
  https: boolean;
  embeddable: boolean;
};

/**
 * The page policy. Next finds the nonce in this header on the request and puts it on its own scripts and
 * inline styles; 'strict-dynamic' lets those scripts load the chunks they need, so no host list is kept.
 */
export function contentSecurityPolicy({ nonce, development, https, embeddable }: PolicyOptions): string {
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(development ? ["'unsafe-eval'"] : [])],
    // <style> elements need the nonce; style attributes are allowed: label colours are data (style props) and
    // the email-template preview shows mail HTML, inline-styled for mail clients, in a srcdoc iframe, which
    // inherits this policy. A style attribute cannot run script, and what CSS may fetch is limited below.
    // The dev server's overlay injects <style> elements of its own, without the nonce (as Next's guide says).
    ["style-src", "'self'", ...(development ? ["'unsafe-inline'"] : [`'nonce-${nonce}'`])],
    ["style-src-attr", "'unsafe-inline'"],
    // Mail and comments may show remote images (the sanitizer keeps http(s) <img>); attachments are same-origin.
    ["img-src", "'self'", "data:", "blob:", "https:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'", ...(development ? ["ws:"] : [])],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'"],
    ["frame-ancestors", embeddable ? "*" : "'none'"],
  ];
  if (https) directives.push(["upgrade-insecure-requests"]);
  return directives.map((parts) => parts.join(" ")).join("; ");
}

/** A request arrived over https: directly, or at a proxy that says so, or the app's public URL is https. */
export function servedOverHttps(appUrl: string, requestUrl: string, forwardedProto: string | null): boolean {
  const proto = forwardedProto?.split(",")[0]?.trim().toLowerCase();
  return proto === "https" || new URL(requestUrl).protocol === "https:" || new URL(appUrl).protocol === "https:";
}

export const HSTS = "max-age=31536000; includeSubDomains";

/** The response headers of one page request (CSP, framing, HSTS). */
export function pageSecurityHeaders(options: PolicyOptions): Record<string, string> {
  const headers: Record<string, string> = { "Content-Security-Policy": contentSecurityPolicy(options) };
  if (!options.embeddable) headers["X-Frame-Options"] = "DENY";
  if (options.https) headers["Strict-Transport-Security"] = HSTS;
  return headers;
}
