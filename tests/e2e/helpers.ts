// E2E helpers: sign in through the real magic link, post mail to the webhook the way SendGrid does, and read
// what the app sent through the local SendGrid-compatible server (started by warm-up.ts, see the config).
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import type { Reply, SentMessage } from "../support/sendgrid-server";

export type { SentMessage };

/** Everything the local SendGrid server accepted so far, and how many send requests it got. */
export async function sentMail(): Promise<{ requests: number; accepted: SentMessage[] }> {
  const url = process.env.E2E_SENDGRID_URL;
  if (!url) throw new Error("E2E_SENDGRID_URL is not set: run through tests/e2e/playwright.config.ts.");
  const response = await fetch(`${url}/__test/messages`);
  if (!response.ok) throw new Error(`The local SendGrid server answered ${response.status}.`);
  return response.json();
}

/** The local SendGrid server answers its next send requests with these replies instead of 202. */
export async function sendGridFailsNext(...replies: Reply[]) {
  const response = await fetch(`${process.env.E2E_SENDGRID_URL}/__test/fail-next`, { method: "POST", body: JSON.stringify(replies) });
  if (!response.ok) throw new Error(`The local SendGrid server answered ${response.status}.`);
}

/** Waits until a mail matching `match` has reached the local SendGrid server, and returns it. */
export async function waitForMail(match: (mail: SentMessage) => boolean, timeout = 45_000): Promise<SentMessage> {
  let found: SentMessage | undefined;
  await expect
    .poll(
      async () => {
        found = (await sentMail()).accepted.findLast(match);
        return !!found;
      },
      { timeout, message: "a matching mail reaches the SendGrid server" },
    )
    .toBe(true);
  return found!;
}

export async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByText("Check your email")).toBeVisible();

  // Mail leaves through SendGrid (here: the local server); the stored copy of a sign-in mail is redacted then.
  const mail = await waitForMail((m) => m.to.includes(email) && /\/api\/auth\/callback\/email\?/.test(m.text ?? ""));
  const link = mail.text?.match(/https?:\/\/\S+\/api\/auth\/callback\/email\?\S+/)?.[0];
  expect(link, "the sign-in mail contains a magic link").toBeTruthy();
  await page.goto(link!);
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
}

/** Posts an .eml to the inbound webhook exactly as SendGrid Inbound Parse would; returns the JSON answer. */
export async function postMail(request: APIRequestContext, eml: string, mode: "raw" | "parsed" = "raw") {
  const { body, contentType } = await buildSendGridRequest(eml, mode);
  const response = await request.post(`/api/inbound/sendgrid?token=${encodeURIComponent(process.env.SENDGRID_INBOUND_SECRET!)}`, {
    headers: { "content-type": contentType },
    data: Buffer.from(body),
  });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

/**
 * Signs in, creates a project and turns Service Desk on in its settings (optionally with an email display
 * name); returns the project's URL and its Service Desk address.
 */
export async function serviceDeskProject(page: Page, owner: string, name: string, options: { displayName?: string } = {}) {
  await signIn(page, owner);
  await page.goto("/projects/new");
  await page.getByLabel("Project name").fill(name);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/issues$/);
  const projectUrl = page.url().replace(/\/issues$/, "");

  await page.goto(`${projectUrl}/settings`);
  const toggle = page.getByRole("switch", { name: "Activate Service Desk" });
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-checked", "true");
  const address = (await page.getByTestId("service-desk-address").textContent())!.trim();
  expect(address).toMatch(/^incoming\+.+-\d+-issue-@localhost$/);
  if (options.displayName) {
    const form = page.getByRole("form", { name: "Service Desk settings" });
    await form.getByLabel("Email display name").fill(options.displayName);
    await form.getByRole("button", { name: "Save changes" }).click();
    await expect(form.getByRole("status")).toHaveText(/Service Desk settings saved\./);
  }
  return { projectUrl, address };
}
