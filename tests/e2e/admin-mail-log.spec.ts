// The instance mail log in the browser: SendGrid refuses a thank-you mail, the admin's top bar counts the
// failure, the outgoing log shows the mail as dead with SendGrid's reason, and Retry sends it.
// The admin is the demo user the E2E server's embedded database is seeded with on first start.
import { expect, test } from "@playwright/test";
import { DEMO_EMAIL } from "@/lib/db/seed";
import { postMail, sendGridFailsNext, serviceDeskProject, signIn, waitForMail } from "./helpers";

test("an admin sees a refused mail counted in the top bar, finds it dead in the mail log and retries it", async ({ page, request }) => {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const { address } = await serviceDeskProject(page, `admin-log-owner-${run}@example.com`, "Admin Log Desk");
  const customer = `refused-${run}@customer.example`;
  const subject = `Refused thank-you ${run}`;

  // SendGrid refuses the next mail (the thank-you) with a permanent 403: no retry, dead at once.
  const refusal = "The from address does not match a verified Sender Identity.";
  await sendGridFailsNext({ status: 403, body: { errors: [{ message: refusal }] } });
  const outcome = await postMail(
    request,
    [`From: Refused Customer <${customer}>`, `To: ${address}`, `Subject: ${subject}`, "", "Hello?", ""].join("\r\n"),
  );
  expect(outcome.status).toBe("created_issue");

  await page.context().clearCookies();
  await signIn(page, DEMO_EMAIL);
  const logLink = page.getByRole("link", { name: /Mail log/ });
  await expect(async () => {
    await page.reload();
    await expect(logLink).toContainText(/\d+ failed/, { timeout: 1_000 });
  }).toPass({ timeout: 45_000 });

  await logLink.click();
  await expect(page).toHaveURL(/\/admin\/mail\?.*status=failed/);
  await expect(page.getByRole("heading", { name: "Mail log" })).toBeVisible();
  // The link opens the inbound tab when inbound mail failed too (other tests may have left some).
  await page.getByRole("navigation", { name: "Direction" }).getByRole("link", { name: "Outbound" }).click();
  await page.getByRole("navigation", { name: "Status" }).getByRole("link", { name: "dead", exact: true }).click();
  await expect(page).toHaveURL(/tab=outbound.*status=failed|status=failed.*tab=outbound/);
  const row = page.getByRole("row").filter({ hasText: customer });
  await expect(row).toContainText("dead");
  await expect(row).toContainText(refusal);

  await row.getByRole("button", { name: "Retry" }).click();
  // Retried, it leaves the dead list and reaches SendGrid, which accepts it this time.
  await expect(page.getByRole("row").filter({ hasText: customer })).toHaveCount(0);
  const sent = await waitForMail((mail) => mail.to.includes(customer));
  expect(sent.subject).toContain(subject);
  await page.goto("/admin/mail?tab=outbound");
  await expect(page.getByRole("row").filter({ hasText: customer })).toContainText(/sent|delivered/);
});
