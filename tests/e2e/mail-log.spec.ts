// The mail log in the browser: a mail that arrived while Service Desk was off is listed as rejected in the
// project's mail log, its raw source shows as text, and Replay turns it into an issue once Service Desk is on.
import { expect, test } from "@playwright/test";
import { postMail, serviceDeskProject } from "./helpers";

test("a Maintainer finds a rejected mail in the mail log and replays it into an issue", async ({ page, request }) => {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const { projectUrl, address } = await serviceDeskProject(page, `log-owner-${run}@example.com`, "Log Desk");

  // Turn Service Desk off, and a customer writes in the meantime.
  await page.goto(`${projectUrl}/settings`);
  const toggle = page.getByRole("switch", { name: "Activate Service Desk" });
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-checked", "false");
  const subject = `While we were closed ${run}`;
  const rejected = await postMail(
    request,
    [`From: Late Customer <late-${run}@customer.example>`, `To: ${address}`, `Subject: ${subject}`, "", "<b>Anyone there?</b>", ""].join("\r\n"),
  );
  expect(rejected.status).toBe("rejected");

  await page.goto(`${projectUrl}/mail-log?status=rejected`);
  await expect(page.getByRole("heading", { name: "Mail log" })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: subject });
  await expect(row).toContainText("Service Desk is not enabled");
  await row.getByRole("link", { name: subject }).click();
  await expect(page.getByLabel("Raw source")).toContainText("<b>Anyone there?</b>");

  // Back on, the stored mail is replayed into an issue.
  await page.goto(`${projectUrl}/settings`);
  await page.getByRole("switch", { name: "Activate Service Desk" }).click();
  await expect(page.getByRole("switch", { name: "Activate Service Desk" })).toHaveAttribute("aria-checked", "true");
  await page.goto(`${projectUrl}/mail-log?status=rejected`);
  await page.getByRole("row").filter({ hasText: subject }).getByRole("button", { name: "Replay" }).click();
  // Once replayed it is no longer rejected: the refreshed list drops it.
  await expect(page.getByRole("row").filter({ hasText: subject })).toHaveCount(0);
  await page.goto(`${projectUrl}/mail-log?status=created_issue`);
  const created = page.getByRole("row").filter({ hasText: subject });
  await expect(created).toBeVisible();
  await created.getByRole("link", { name: /#\d+$/ }).click();
  await expect(page.getByRole("heading", { name: subject })).toBeVisible();
});
