// Service Desk by mail, end to end: a Maintainer turns it on, a customer's mail is posted the way SendGrid
// posts it (the admin CLI's `mail:send`), the issue appears, the thank-you is in the dev mailbox with its
// threading headers, and the customer's reply to it lands as a note.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

const run = promisify(execFile);
const root = path.resolve(__dirname, "../..");
const mails = mkdtempSync(path.join(tmpdir(), "service-desk-e2e-mail-"));

async function mailSend(baseURL: string, eml: string, parsed = false) {
  const file = path.join(mails, `${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, eml);
  const args = ["scripts/cli.ts", "mail:send", file, "--url", baseURL, ...(parsed ? ["--parsed"] : [])];
  const { stdout } = await run(path.join(root, "node_modules/.bin/tsx"), args, { cwd: root, env: { ...process.env, DATABASE_URL: "" } });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

test("a customer's mail becomes a confidential issue, gets a thank-you, and their reply lands in the thread", async ({ page, baseURL }) => {
  const owner = `sd-owner-${Date.now()}@example.com`;
  await signIn(page, owner);
  await page.goto("/projects/new");
  await page.getByLabel("Project name").fill("Help Desk");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/help-desk\/issues$/);
  const projectUrl = page.url().replace(/\/issues$/, "");

  await page.goto(`${projectUrl}/service-desk`);
  await expect(page.getByText("Support by email, right in your issue tracker")).toBeVisible();
  await page.getByRole("link", { name: "Set up Service Desk in Settings" }).click();
  const toggle = page.getByRole("switch", { name: "Activate Service Desk" });
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-checked", "true");
  const address = (await page.getByTestId("service-desk-address").textContent())!.trim();
  expect(address).toMatch(/^incoming\+.+-\d+-issue-@localhost$/);

  const messageId = `e2e-${Date.now()}@customer.example`;
  const created = await mailSend(
    baseURL!,
    [
      "From: Jake Customer <jake@customer.example>",
      `To: ${address}`,
      "Subject: Invoice PDF is empty",
      `Message-ID: <${messageId}>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Hi, the invoice I downloaded today is an empty PDF.",
      "",
    ].join("\r\n"),
  );
  expect(created).toMatchObject({ status: "created_issue", issueIid: 1 });

  await page.goto(`${projectUrl}/service-desk`);
  await page.getByRole("link", { name: "Invoice PDF is empty" }).click();
  await expect(page.getByText("by jake@customer.example via Support Bot")).toBeVisible();
  await expect(page.getByText("Confidential", { exact: true })).toBeVisible();
  await expect(page.getByText("the invoice I downloaded today is an empty PDF")).toBeVisible();

  await page.goto("/dev/mailbox");
  const thanks = page.getByTestId("dev-mail").filter({ hasText: "Re: Invoice PDF is empty (#1)" }).first();
  await expect(thanks).toBeVisible();
  await thanks.getByText("Headers").click();
  await expect(thanks.getByText(`<${messageId}>`).first()).toBeVisible();
  await expect(thanks.getByText("auto-replied")).toBeVisible();
  const replyTo = (await thanks.getByTestId("dev-mail-reply-to").textContent())!.trim();
  expect(replyTo).toMatch(/^incoming\+[0-9a-f]{32}@localhost$/);

  const replied = await mailSend(
    baseURL!,
    [
      "From: Jake Customer <jake@customer.example>",
      `To: ${replyTo}`,
      "Subject: Re: Invoice PDF is empty (#1)",
      `Message-ID: <reply-${Date.now()}@customer.example>`,
      `In-Reply-To: <${messageId}>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Here is the invoice number: 2026-0042.",
      "",
      "On Tue, Nov 24, 2026 at 10:00 AM Support Bot wrote:",
      "> Thank you for your support request!",
      "",
    ].join("\r\n"),
    true,
  );
  expect(replied).toMatchObject({ status: "added_note", issueIid: 1 });

  await page.goto(`${projectUrl}/issues/1`);
  await expect(page.getByText("Here is the invoice number: 2026-0042.")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Here is the invoice number" }).getByText("by email")).toBeVisible();

  // The team answers in the thread; the answer is mailed to the customer, an internal note is not.
  await page.getByLabel("Comment").fill("Fixed: the new invoice is attached to your account.");
  await page.getByRole("button", { name: "Comment" }).click();
  await expect(page.getByRole("status")).toHaveText("Comment added and emailed to the customer.");
  await page.getByLabel("Internal note").check();
  await page.getByLabel("Comment").fill("Root cause: PDF worker out of memory.");
  await page.getByRole("button", { name: "Add internal note" }).click();
  await expect(page.getByRole("status")).toHaveText("Internal note added. Nothing was emailed.");
  await page.goto("/dev/mailbox");
  const answer = page.getByTestId("dev-mail").filter({ hasText: "Fixed: the new invoice is attached to your account." });
  await expect(answer).toHaveCount(1);
  await expect(page.getByTestId("dev-mail").filter({ hasText: "Root cause" })).toHaveCount(0);
});

test("the webhook refuses unauthenticated and oversized requests before storing anything", async ({ request }) => {
  const form = { multipart: { email: "From: a@b.example\r\nTo: incoming+x@localhost\r\n\r\nhi" } };
  const anonymous = await request.post("/api/inbound/sendgrid", form);
  expect(anonymous.status()).toBe(401);
  const wrong = await request.post("/api/inbound/sendgrid?token=guess", form);
  expect(wrong.status()).toBe(401);
  const token = await request.post(`/api/inbound/sendgrid?token=${process.env.SENDGRID_INBOUND_SECRET}`, form);
  expect(token.status()).toBe(200);
  expect(await token.json()).toMatchObject({ status: "rejected" });

  const oversized = await request.post(`/api/inbound/sendgrid?token=${process.env.SENDGRID_INBOUND_SECRET}`, {
    headers: { "content-type": "multipart/form-data; boundary=x" },
    data: Buffer.alloc(31 * 1024 * 1024, 0x61),
  });
  expect(oversized.status()).toBe(413);
});
