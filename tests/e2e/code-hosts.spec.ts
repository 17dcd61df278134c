// Code hosts, end to end: a Maintainer links a GitHub repository from the keyboard, a signed merged-PR delivery
// closes a Service Desk issue (note, linked change, closing mail to the customer, delivery log), a wrongly
// signed one is refused and changes nothing, and a pull request is linked by hand from the sidebar.
import { createHmac, randomUUID } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { postMail, sentMail, serviceDeskProject, waitForMail } from "./helpers";

const stamp = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** Posts `payload` as GitHub does, signed with `secret` (HMAC-SHA256 of the exact bytes sent). */
async function deliverGitHub(request: APIRequestContext, webhookUrl: string, secret: string, event: string, payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  return request.post(webhookUrl, {
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
    data: body,
  });
}

test("a merged pull request saying Fixes closes a Service Desk issue through the signed webhook; the customer is told", async ({
  page,
  request,
  context,
  baseURL,
}) => {
  const run = stamp();
  const customer = `ada-${run}@customer.example`;
  const { projectUrl, address } = await serviceDeskProject(page, `code-${run}@example.com`, "Code Desk");
  const projectPath = new URL(projectUrl).pathname.slice(1);
  const repo = `acme-${run}/game-server`;
  const prUrl = `https://github.com/${repo}/pull/45`;

  // "Email the customer when an issue is closed" is off by default: the closing mail needs it.
  await page.goto(`${projectUrl}/settings`);
  const sdForm = page.getByRole("form", { name: "Service Desk settings" });
  const emailOnClose = sdForm.getByLabel("Email the customer when an issue is closed");
  await expect(emailOnClose).not.toBeChecked();
  await emailOnClose.check();
  await sdForm.getByRole("button", { name: "Save changes" }).click();
  await expect(sdForm.getByRole("status")).toHaveText(/Service Desk settings saved\./);

  const created = await postMail(
    request,
    [
      `From: Ada Customer <${customer}>`,
      `To: ${address}`,
      "Subject: Server crashes on login",
      `Message-ID: <crash-${run}@customer.example>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "The game server crashes whenever I log in.",
      "",
    ].join("\r\n"),
  );
  expect(created).toMatchObject({ status: "created_issue", issueIid: 1 });
  await waitForMail((m) => m.to.includes(customer) && m.subject === "Re: Server crashes on login (#1)");

  // Link the repository from the keyboard: arrows move between the code hosts, Tab to the field, Enter submits.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Repositories" })).toBeVisible();
  const linkForm = page.getByRole("form", { name: "Link a repository" });
  const github = linkForm.getByRole("radio", { name: "GitHub" });
  await expect(github).toBeChecked();
  await github.focus();
  await page.keyboard.press("ArrowRight");
  await expect(linkForm.getByRole("radio", { name: "GitLab" })).toBeChecked();
  await expect(linkForm.getByLabel("GitLab address")).toBeVisible();
  await page.keyboard.press("ArrowLeft");
  await expect(github).toBeChecked();
  await expect(linkForm.getByLabel("GitLab address")).toHaveCount(0);
  await page.keyboard.press("Tab");
  await expect(linkForm.getByLabel("Repository")).toBeFocused();
  await page.keyboard.type(repo);
  await page.keyboard.press("Enter");

  const linked = page.getByRole("status").filter({ hasText: `${repo} is linked` });
  await expect(linked).toBeVisible();
  const webhookUrl = (await linked.getByTestId("webhook-url").textContent())!.trim();
  const secret = (await linked.getByTestId("webhook-secret").textContent())!.trim();
  expect(webhookUrl).toMatch(new RegExp(`^${baseURL!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/api/webhooks/github/\\d+$`));
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  const repositoryId = webhookUrl.split("/").at(-1)!;
  await expect(linked.getByText("Settings → Webhooks → Add webhook")).toHaveAttribute("href", `https://github.com/${repo}/settings/hooks/new`);
  await expect(page.getByRole("list", { name: "Linked repositories" }).getByRole("link", { name: repo })).toBeVisible();

  // Copy buttons: checked against the clipboard when this Chromium lets the page read it.
  const clipboard = await context
    .grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL })
    .then(() => true)
    .catch(() => false);
  if (clipboard) {
    const copyButtons = linked.getByRole("button", { name: "Copy" });
    await copyButtons.nth(1).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
    if (copied !== null) {
      expect(copied).toBe(secret);
      await linked.getByRole("button", { name: "Copy" }).first().click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(webhookUrl);
    }
    test.info().annotations.push({ type: "clipboard", description: copied === null ? "not readable: skipped" : "checked" });
  } else test.info().annotations.push({ type: "clipboard", description: "permission refused: skipped" });

  const payload = {
    action: "closed",
    number: 45,
    pull_request: {
      number: 45,
      title: "Guard against a null session on login",
      body: `Fixes ${projectPath}#1`,
      html_url: prUrl,
      merged: true,
      base: { ref: "main" },
    },
    repository: { full_name: repo, default_branch: "main" },
    sender: { login: "octocat" },
  };

  // Signed with another secret: refused before anything is stored or changed.
  const forged = await deliverGitHub(request, webhookUrl, "not-the-secret", "pull_request", payload);
  expect(forged.status()).toBe(401);
  expect(await forged.json()).toMatchObject({ message: "Invalid or missing X-Hub-Signature-256." });
  const unsigned = await request.post(webhookUrl, {
    headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": randomUUID() },
    data: Buffer.from(JSON.stringify(payload)),
  });
  expect(unsigned.status()).toBe(401);
  await page.goto(`${projectUrl}/issues/1`);
  const header = page.locator("article header");
  await expect(header.getByText("Open", { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Activity" }).getByText(/closed via/)).toHaveCount(0);

  const delivered = await deliverGitHub(request, webhookUrl, secret, "pull_request", payload);
  expect(delivered.status(), await delivered.text()).toBe(200);
  expect(await delivered.json()).toMatchObject({ status: "processed", closed: [`${projectPath}#1`] });

  await page.reload();
  await expect(header.getByText("Closed", { exact: true })).toBeVisible();
  await expect(header.getByText("Open", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reopen issue" })).toBeVisible();
  const note = page.getByRole("region", { name: "Activity" }).getByRole("listitem").filter({ hasText: `closed via pull request #45 in ${repo}` });
  await expect(note).toHaveCount(1);
  await expect(note).toContainText(`GitHub closed via pull request #45 in ${repo}`);
  await expect(note.getByRole("link", { name: "#45" })).toHaveAttribute("href", prUrl);

  const change = page.getByTestId("linked-change").filter({ hasText: "PR #45" });
  await expect(change).toHaveCount(1);
  await expect(change.getByRole("link", { name: "PR #45" })).toHaveAttribute("href", prUrl);
  await expect(change.getByText("merged", { exact: true })).toBeVisible();
  await expect(change.getByText("closed this", { exact: true })).toBeVisible();
  await expect(change).toContainText(`${repo} · Guard against a null session on login`);

  // The customer hears of it once: the forged deliveries queued nothing.
  const closedMail = (m: { to: string[]; text?: string }) => m.to.includes(customer) && /has been closed/.test(m.text ?? "");
  const mail = await waitForMail(closedMail);
  expect(mail.subject).toBe("Re: Server crashes on login (#1)");
  expect(mail.to).toEqual([customer]);
  expect((await sentMail()).accepted.filter(closedMail)).toHaveLength(1);

  // By hand: another pull request of the linked repository, pasted in the sidebar.
  await page.getByLabel("Link a pull/merge request, issue or commit").fill(`https://github.com/${repo}/pull/46`);
  await page.getByRole("form", { name: "Link a change" }).getByRole("button", { name: "Link", exact: true }).click();
  const manual = page.getByTestId("linked-change").filter({ hasText: "PR #46" });
  await expect(manual).toBeVisible();
  await expect(manual.getByRole("link", { name: "PR #46" })).toHaveAttribute("href", `https://github.com/${repo}/pull/46`);
  await expect(manual.getByText("linked", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Link a pull/merge request, issue or commit")).toHaveValue("");
  await expect(page.getByTestId("linked-change")).toHaveCount(2);

  // The repository's page logs the one stored delivery (the refused ones were never stored) and what it did.
  await page.goto(`${projectUrl}/settings`);
  const listed = page.getByRole("list", { name: "Linked repositories" }).getByRole("listitem").filter({ hasText: repo });
  await expect(listed).toContainText("processed");
  await listed.getByRole("link", { name: "Webhook & deliveries" }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/repositories/${repositoryId}$`));
  const deliveries = page.getByTestId("delivery");
  await expect(deliveries).toHaveCount(1);
  await expect(deliveries.first()).toContainText("processed");
  await expect(deliveries.first()).toContainText("pull request #45 merged");
  await expect(deliveries.first()).toContainText("by octocat");
  await expect(deliveries.first()).toContainText(`Closed ${projectPath}#1`);
});
