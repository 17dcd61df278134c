// Security headers in the browser: the nonce-based Content-Security-Policy lets every page of the app run (no
// violation reported on the main pages, the email-template preview keeps its inline-styled mail), pages
// carry the headers, and another site cannot show the settings page in a frame.
// The signed-in user is the demo admin the E2E server's embedded database is seeded with (demo/support).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { DEMO_EMAIL } from "@/lib/db/seed";
import { contentSecurityPolicy } from "@/lib/security-headers";
import { signIn } from "./helpers";

const PROJECT = "/demo/support";

type Violation = { directive: string; blocked: string; source: string; page: string };

/**
 * Records every CSP violation: the `securitypolicyviolation` events of each document (an init script runs
 * before the page's own scripts, in every frame that may run scripts) and the console errors Chromium logs
 * for them, which also cover frames where scripts cannot run (the sandboxed preview).
 */
async function recordViolations(page: Page): Promise<Violation[]> {
  const violations: Violation[] = [];
  await page.exposeFunction("__recordCspViolation", (violation: Violation) => void violations.push(violation));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __recordCspViolation?: (v: unknown) => void }).__recordCspViolation;
      report?.({ directive: event.effectiveDirective, blocked: event.blockedURI, source: event.sourceFile, page: location.href });
    });
  });
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Content-Security-Policy|\bCSP\b/i.test(message.text()))
      violations.push({ directive: "console", blocked: message.text(), source: message.location().url, page: page.url() });
  });
  return violations;
}

/** Opens a page, waits until it is hydrated (a client component answers) and the network is quiet. */
async function visit(page: Page, path: string, heading: RegExp | string) {
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(200);
  await expect(page.getByRole("heading", { name: heading }).first()).toBeVisible();
  await page.waitForLoadState("networkidle");
  return response!;
}

test("no page of the app reports a CSP violation, and the template preview still shows the styled mail", async ({ page }) => {
  const violations = await recordViolations(page);

  // Sign-in: the form is a client component, so submitting it proves Next's scripts ran under the policy.
  await signIn(page, DEMO_EMAIL);
  await visit(page, `${PROJECT}/service-desk`, /Service Desk|Support by email/);
  await visit(page, `${PROJECT}/issues/1`, /.+/);
  await visit(page, `${PROJECT}/settings`, /Settings/);
  await expect(page.getByRole("switch", { name: "Activate Service Desk" })).toBeEnabled();
  await visit(page, `${PROJECT}/mail-log`, /Mail log/);
  await visit(page, "/admin/mail", /Mail log/);

  // The unsubscribe page customers open from a mail: no script at all, its own styles allowed.
  expect((await page.goto("/unsubscribe/not-a-token"))?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Link not valid" })).toBeVisible();
  await expect(page.locator("body")).toHaveCSS("background-color", "rgb(248, 250, 252)");

  await visit(page, `${PROJECT}/settings/email-templates/thank_you`, /Thank you email/i);
  // The preview is mail HTML with inline styles in a sandboxed srcdoc frame, which inherits the page's policy:
  // its styles must still apply (the mail's grey backdrop and white card).
  const preview = page.frameLocator('iframe[title="HTML version of the email"]');
  await expect(preview.locator("body")).toHaveCSS("background-color", "rgb(244, 244, 246)");
  await expect(preview.locator("table table").first()).toHaveCSS("background-color", "rgb(255, 255, 255)");
  // Editing re-renders the preview through a server action: scripts, fetches and the new srcdoc all allowed.
  await page.locator("#template-content").fill(`Hello from the CSP test ${Date.now()}`);
  await expect(preview.getByText("Hello from the CSP test")).toBeVisible();

  expect(violations).toEqual([]);
});

test("the production policy keeps the template preview's inline-styled mail and refuses a <style> without the nonce", async ({ page }) => {
  // The dev server allows inline <style> for its overlay, so the production style rules are tried here: the
  // preview's real srcdoc, framed by a page that carries the policy `next start` sends.
  await signIn(page, DEMO_EMAIL);
  await visit(page, `${PROJECT}/settings/email-templates/thank_you`, /Thank you email/i);
  const srcdoc = await page.locator('iframe[title="HTML version of the email"]').getAttribute("srcdoc");
  expect(srcdoc).toContain('style="');
  const nonce = "dGVzdC1ub25jZS0xMjM0NQ==";
  const policy = contentSecurityPolicy({ nonce, development: false, https: false, embeddable: false });
  const host: Server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html", "content-security-policy": policy });
    response.end(
      `<!doctype html><title>Policy</title>` +
        `<style nonce="${nonce}">#nonced { color: rgb(1, 2, 3) }</style><style>#plain { color: rgb(4, 5, 6) }</style>` +
        `<p id="nonced">nonced</p><p id="plain">plain</p>` +
        `<iframe title="preview" sandbox="" srcdoc="${srcdoc!.replaceAll("&", "&amp;").replaceAll('"', "&quot;")}"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
  try {
    await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
    const preview = page.frameLocator('iframe[title="preview"]');
    await expect(preview.locator("body")).toHaveCSS("background-color", "rgb(244, 244, 246)");
    await expect(preview.locator("table table").first()).toHaveCSS("background-color", "rgb(255, 255, 255)");
    await expect(page.locator("#nonced")).toHaveCSS("color", "rgb(1, 2, 3)");
    await expect(page.locator("#plain")).not.toHaveCSS("color", "rgb(4, 5, 6)");
  } finally {
    await new Promise((resolve) => host.close(resolve));
  }
});

test("a page response carries the security headers with a fresh nonce each time", async ({ request }) => {
  const first = await request.get("/sign-in");
  expect(first.status()).toBe(200);
  const headers = first.headers();
  const csp = headers["content-security-policy"];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  // Served over plain http here: no HSTS; behind a TLS proxy there is.
  expect(headers["strict-transport-security"]).toBeUndefined();
  const behindTls = await request.get("/sign-in", { headers: { "x-forwarded-proto": "https" } });
  expect(behindTls.headers()["strict-transport-security"]).toMatch(/^max-age=\d{7,}/);

  // Next put this request's nonce on its scripts; the next request gets another one.
  const nonce = /'nonce-([^']+)'/.exec(csp)![1];
  const html = await first.text();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  const again = (await request.get("/sign-in")).headers()["content-security-policy"];
  expect(/'nonce-([^']+)'/.exec(again)![1]).not.toBe(nonce);

  // API answers skip the proxy (so webhook bodies are never buffered) but still get the static headers.
  const health = await request.get("/api/health");
  expect(health.headers()["x-content-type-options"]).toBe("nosniff");
  expect(health.headers()["x-frame-options"]).toBe("DENY");
  expect(health.headers()["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
  const unsubscribe = (await request.get("/unsubscribe/not-a-token")).headers();
  expect(unsubscribe["content-security-policy"]).toMatch(/^default-src 'none';/);
  expect(unsubscribe["content-security-policy"]).not.toContain("script-src");
  expect(unsubscribe["x-frame-options"]).toBe("DENY");
});

test("another site cannot show the settings page in a frame", async ({ page, baseURL }) => {
  await signIn(page, DEMO_EMAIL);
  const settingsUrl = `${baseURL}${PROJECT}/settings`;
  // A page on another origin (127.0.0.1 on a free port, the app being on localhost) framing the settings, and
  // as a control a public file of the app, which may be framed: the harness can show the app's origin.
  const attacker: Server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(
      `<!doctype html><title>Other site</title>` +
        `<iframe name="settings" src="${settingsUrl}" width="800" height="600"></iframe>` +
        `<iframe name="control" src="${baseURL}/favicon.svg" width="50" height="50"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  try {
    const refusals: string[] = [];
    page.on("console", (message) => {
      if (/frame-ancestors|X-Frame-Options/i.test(message.text())) refusals.push(message.text());
    });
    const settingsResponse = page.waitForResponse((response) => response.url() === settingsUrl);
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    // The app answered the framed request (so the browser, told by the headers, is what refuses it)…
    expect((await settingsResponse).status()).toBeLessThan(400);
    await expect.poll(() => refusals.length, { message: "Chromium reports the refused frame" }).toBeGreaterThan(0);
    expect(refusals.join("\n")).toContain(`Framing '${baseURL}/' violates`);
    // …and nothing of the app is displayed in it, while the control frame shows the app's file.
    const control = page.frames().find((frame) => frame.name() === "control")!;
    await expect.poll(() => control.url()).toBe(`${baseURL}/favicon.svg`);
    const framed = page.frames().find((frame) => frame.name() === "settings")!;
    expect(framed.url()).not.toBe(settingsUrl);
    await expect(page.frameLocator('iframe[name="settings"]').getByText("Service Desk")).toHaveCount(0);
  } finally {
    await new Promise((resolve) => attacker.close(resolve));
  }
});
