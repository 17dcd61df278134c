// HTTP to Microsoft Graph for the mailbox connector: the app-only token (client credentials), requests that carry
// it, one token refresh on a 401, bounded waits on throttling, and errors that say what failed (never a secret).
//
// The token comes from a plain POST to `{authorityHost}/{tenant}/oauth2/v2.0/token`, not from @azure/msal-node:
// msal-node (7.2.3, checked) refuses any authority that is not https ("authority_uri_insecure") and first fetches
// the authority's discovery documents, so it could not be aimed at the local fake the tests use — Graph and Entra ID
// cannot be reached from the test machines. The client-credentials grant is one form POST; what msal would add
// (a token cache) is the few lines of `token()` below.
import { createHash } from "node:crypto";

export interface GraphClientOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  apiBaseUrl: string;
  /** One HTTP exchange may take this long before it counts as a failure. */
  requestTimeoutMs: number;
  /** Tries per request when Graph throttles (429) or is briefly unavailable (503/504), the first one included. */
  maxAttempts: number;
  /** Longest single wait for Retry-After (Graph may ask for minutes; a poll should rather fail and come back). */
  maxRetryWaitMs: number;
  /** Aborting it (the connector's close) cancels requests in flight and any wait. */
  signal: AbortSignal;
}

const SCOPE = "https://graph.microsoft.com/.default";
/** Statuses that mean "try again shortly" (Graph's throttling guidance). */
export const RETRYABLE = new Set([429, 503, 504]);

/** Sleeps `ms`, or less when `signal` aborts (then rejects with the abort reason). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An HTTP answer Graph or Entra ID gave, as one readable line: status, error code and message. */
export async function describeFailure(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (body.error && typeof body.error === "object") {
      // Graph: {"error": {"code": "...", "message": "..."}}
      const e = body.error as { code?: unknown; message?: unknown };
      code = typeof e.code === "string" ? e.code : undefined;
      message = typeof e.message === "string" ? e.message : undefined;
    } else if (typeof body.error === "string") {
      // Entra ID token endpoint: {"error": "invalid_client", "error_description": "AADSTS7000215: ...\r\nTrace ID: ..."}
      code = body.error;
      message = typeof body.error_description === "string" ? body.error_description.split(/\r?\n/)[0] : undefined;
    }
  } catch {
    message = text.replace(/\s+/g, " ").trim().slice(0, 200) || undefined;
  }
  const head = code ? `HTTP ${response.status} ${code}` : `HTTP ${response.status}`;
  return message ? `${head}: ${message}` : head;
}

/** Why a fetch threw, without the URL's query (a nextLink's skip token is noise, not a secret, but long). */
function describeNetworkError(error: unknown, origin: string, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer from ${origin} within ${Math.round(timeoutMs / 1000)} s`;
  const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  return `cannot reach ${origin} (${cause})`;
}

interface CachedToken {
  value: string;
  /** When to stop using it: a while before it really expires, so a request never carries an expiring token. */
  renewAt: number;
}

/**
 * Tokens by app and authority, shared by every client in the process: the cron route and the worker build a
 * connector per poll, and a token is good for an hour.
 */
const tokens = new Map<string, { cached?: CachedToken; pending?: Promise<CachedToken> }>();

export class GraphClient {
  private readonly apiOrigin: string;
  private readonly slot: { cached?: CachedToken; pending?: Promise<CachedToken> };

  constructor(private readonly options: GraphClientOptions) {
    this.apiOrigin = new URL(options.apiBaseUrl).origin;
    // The secret is part of the key (hashed) so a corrected secret never meets the old one's token.
    const secret = createHash("sha256").update(options.clientSecret).digest("base64url");
    const key = [options.authorityHost, options.tenantId, options.clientId, secret].join("\n");
    let slot = tokens.get(key);
    if (!slot) tokens.set(key, (slot = {}));
    this.slot = slot;
  }

  /**
   * Sends a request to Graph: `target` is a path under apiBaseUrl or an absolute URL Graph gave us (nextLink).
   * Resolves with the response for 2xx and for statuses `accept` allows (the caller reads the failure itself);
   * throws an Error otherwise. A 401 is always handled here.
   */
  async request(
    method: string,
    target: string,
    init: { json?: unknown; accept?: (status: number) => boolean } = {},
  ): Promise<Response> {
    const url = target.startsWith("http") ? new URL(target) : new URL(this.options.apiBaseUrl.replace(/\/+$/, "") + target);
    // The token must only ever go to Graph, whatever a response's nextLink says.
    if (url.origin !== this.apiOrigin) throw new Error(`Microsoft Graph returned a link to another host (${url.origin}); not following it.`);
    const what = `Microsoft Graph ${method} ${decodeURIComponent(url.pathname)}`;
    let refreshed = false;
    for (;;) {
      const token = await this.token();
      const response = await this.send(
        what,
        url,
        () => ({
          method,
          headers: {
            authorization: `Bearer ${token.value}`,
            ...(init.json === undefined ? {} : { "content-type": "application/json" }),
          },
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
        }),
      );
      if (response.ok || (response.status !== 401 && init.accept?.(response.status))) return response;
      if (response.status === 401 && !refreshed) {
        // Expired or revoked before we expected: get a new token once, then give up.
        await response.body?.cancel();
        refreshed = true;
        if (this.slot.cached === token) this.slot.cached = undefined;
        continue;
      }
      const hint = response.status === 403 ? " (the app needs the Mail.ReadWrite application permission for this mailbox)" : "";
      throw new Error(`${what} failed: ${await describeFailure(response)}${hint}`);
    }
  }

  /** The cached app-only token, or a new one; concurrent callers share one token request. */
  private async token(): Promise<CachedToken> {
    const slot = this.slot;
    if (slot.cached && Date.now() < slot.cached.renewAt) return slot.cached;
    slot.pending ??= this.fetchToken().finally(() => (slot.pending = undefined));
    return slot.pending;
  }

  private async fetchToken(): Promise<CachedToken> {
    const { authorityHost, tenantId, clientId, clientSecret } = this.options;
    const url = new URL(`${authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`);
    const what = `Microsoft Graph sign-in (tenant ${tenantId}, client ${clientId})`;
    const body = new URLSearchParams({ client_id: clientId, client_secret: clientSecret, scope: SCOPE, grant_type: "client_credentials" });
    const response = await this.send(what, url, () => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    }));
    if (!response.ok) throw new Error(`${what} failed: ${await describeFailure(response)}`);
    const json = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== "string" || !json.access_token)
      throw new Error(`${what} failed: the answer has no access_token.`);
    const lifetimeMs = Math.max(0, Number(json.expires_in) || 0) * 1000;
    // Renew 5 minutes early (Entra ID tokens live 60–90 minutes), or halfway through a short-lived token.
    const cached = { value: json.access_token, renewAt: Date.now() + lifetimeMs - Math.min(300_000, lifetimeMs / 2) };
    this.slot.cached = cached;
    return cached;
  }

  /** One logical exchange: waits and repeats on 429/503/504 (bounded), turns network failures into clear errors. */
  private async send(what: string, url: URL, init: () => RequestInit): Promise<Response> {
    const { maxAttempts, maxRetryWaitMs, requestTimeoutMs, signal } = this.options;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { ...init(), signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]) });
      } catch (error) {
        if (signal.aborted) throw new Error(`${what} cancelled: the mailbox connection was closed.`);
        throw new Error(`${what} failed: ${describeNetworkError(error, url.origin, requestTimeoutMs)}`);
      }
      if (!RETRYABLE.has(response.status) || attempt >= maxAttempts) return response;
      // Without Retry-After: 1 s, 2 s, 4 s…
      const wait = Math.min(retryAfterMs(response.headers.get("retry-after")) ?? 1000 * 2 ** (attempt - 1), maxRetryWaitMs);
      await response.body?.cancel();
      try {
        await abortableSleep(wait, signal);
      } catch {
        throw new Error(`${what} cancelled: the mailbox connection was closed.`);
      }
    }
  }
}
