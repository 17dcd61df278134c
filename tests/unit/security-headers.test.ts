// The page security headers built for proxy.ts: the policy in development and production, framing, HSTS.
import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, createNonce, isEmbeddable, pageSecurityHeaders, servedOverHttps } from "@/lib/security-headers";

const base = { nonce: "abc123==", development: false, https: false, embeddable: false };
const directive = (policy: string, name: string) => policy.split("; ").find((d) => d.split(" ")[0] === name);

describe("security headers", () => {
  it("makes a new nonce each time, in characters a CSP nonce-source allows", () => {
    const nonces = new Set(Array.from({ length: 50 }, createNonce));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });

  it("allows only scripts carrying the nonce in production, and only <style> elements carrying it", () => {
    const policy = contentSecurityPolicy(base);
    expect(directive(policy, "script-src")).toBe("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(directive(policy, "style-src")).toBe("style-src 'self' 'nonce-abc123=='");
    expect(directive(policy, "connect-src")).toBe("connect-src 'self'");
    expect(directive(policy, "frame-ancestors")).toBe("frame-ancestors 'none'");
    expect(directive(policy, "object-src")).toBe("object-src 'none'");
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).not.toContain("upgrade-insecure-requests");
  });

  it("lets the dev server eval, open its HMR socket and inject its overlay styles", () => {
    const policy = contentSecurityPolicy({ ...base, development: true });
    expect(directive(policy, "script-src")).toBe("script-src 'self' 'nonce-abc123==' 'strict-dynamic' 'unsafe-eval'");
    expect(directive(policy, "connect-src")).toBe("connect-src 'self' ws:");
    expect(directive(policy, "style-src")).toBe("style-src 'self' 'unsafe-inline'");
  });

  it("refuses frames unless the page is on the embeddable list", () => {
    expect(pageSecurityHeaders(base)["X-Frame-Options"]).toBe("DENY");
    const embedded = pageSecurityHeaders({ ...base, embeddable: true });
    expect(embedded["X-Frame-Options"]).toBeUndefined();
    expect(directive(embedded["Content-Security-Policy"], "frame-ancestors")).toBe("frame-ancestors *");
    expect(isEmbeddable("/demo/support/settings")).toBe(false);
    expect(isEmbeddable("/widget", ["/widget"])).toBe(true);
    expect(isEmbeddable("/widget/x", ["/widget"])).toBe(false);
    expect(isEmbeddable("/embed/form", ["/embed/"])).toBe(true);
  });

  it("sends HSTS and upgrades requests only over https", () => {
    expect(pageSecurityHeaders(base)["Strict-Transport-Security"]).toBeUndefined();
    const secure = pageSecurityHeaders({ ...base, https: true });
    expect(secure["Strict-Transport-Security"]).toMatch(/^max-age=31536000/);
    expect(secure["Content-Security-Policy"]).toContain("upgrade-insecure-requests");
    expect(servedOverHttps("http://localhost:3000", "http://localhost:3000/x", null)).toBe(false);
    expect(servedOverHttps("http://localhost:3000", "http://localhost:3000/x", "https, http")).toBe(true);
    expect(servedOverHttps("http://localhost:3000", "http://localhost:3000/x", "http")).toBe(false);
    expect(servedOverHttps("https://desk.example.com", "http://10.0.0.5:3000/x", null)).toBe(true);
    expect(servedOverHttps("http://localhost:3000", "https://localhost:3000/x", null)).toBe(true);
  });
});
