// Live pages end to end: two signed-in browsers (Ana and Bob) on one Service Desk issue. A customer's mail shows
// up on both without a reload and Ana's half-written reply stays; Bob typing shows "Bob is replying…" to Ana;
// Ana's @mention puts a To-Do in Bob's top bar and a "new reply" marker on his scrolled-away page. Then the
// polling fallback: with the stream refused (as on a platform that cannot hold one) a page still updates.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { postMail, serviceDeskProject, signIn, waitForMail } from "./helpers";

const stamp = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

const todoLink = (page: Page) => page.getByRole("banner").getByRole("link", { name: /^To-Do list, \d+ pending$/ });

/** Marks the document, so the test can tell a live update from a reload (a reload loses the mark). */
const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true));
const stillSameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded === true);

const mail = (lines: string[]) => [...lines, "Content-Type: text/plain; charset=utf-8", ""].join("\r\n");

async function deskWithTeammate(browser: Browser, run: string) {
  const anaEmail = `ana-${run}@example.com`;
  const bobEmail = `bob-${run}@example.com`;
  const ana = await (await browser.newContext()).newPage();
  const { projectUrl, address } = await serviceDeskProject(ana, anaEmail, "Live Desk");
  await ana.goto(`${projectUrl}/members`);
  await ana.getByLabel("Email").fill(bobEmail);
  await ana.getByLabel("Role", { exact: true }).selectOption("REPORTER");
  await ana.getByRole("button", { name: "Add member" }).click();
  await expect(ana.getByRole("status").filter({ hasText: "was added as" })).toHaveText(`${bobEmail} was added as Reporter.`);
  return { ana, anaEmail, bobEmail, projectUrl, address };
}

test("two agents on one issue: mail and comments appear live, the draft stays, 'replying' shows, the To-Do count changes", async ({ browser, request }) => {
  test.setTimeout(180_000);
  const run = stamp();
  const customer = `jo-${run}@customer.example`;
  const { ana, bobEmail, projectUrl, address } = await deskWithTeammate(browser, run);
  // Bob's window is short, so that a new note at the bottom of the thread is out of his sight.
  const bob = await (await browser.newContext({ viewport: { width: 1280, height: 480 } })).newPage();
  await signIn(bob, bobEmail);

  // 1. The Service Desk list is open when the first mail arrives: the request appears without a reload.
  await bob.goto(`${projectUrl}/service-desk`);
  await expect(bob.getByTestId("live-status")).toHaveAttribute("data-live", "stream");
  await markDocument(bob);
  const created = await postMail(
    request,
    mail([`From: Jo Customer <${customer}>`, `To: ${address}`, "Subject: Cannot export my data", `Message-ID: <export-${run}@customer.example>`, "", "The export button does nothing."]),
  );
  expect(created).toMatchObject({ status: "created_issue", issueIid: 1 });
  await expect(bob.getByRole("link", { name: "Cannot export my data" })).toBeVisible({ timeout: 15_000 });
  expect(await stillSameDocument(bob)).toBe(true);
  const thankYou = await waitForMail((m) => m.to.includes(customer) && m.subject === "Re: Cannot export my data (#1)");

  // 2. Both open the issue; Ana starts a reply and leaves it half written.
  const issueUrl = `${projectUrl}/issues/1`;
  await ana.goto(issueUrl);
  await bob.goto(issueUrl);
  await expect(ana.getByTestId("live-status")).toHaveAttribute("data-live", "stream");
  await expect(bob.getByTestId("live-status")).toHaveAttribute("data-live", "stream");
  await markDocument(ana);
  await markDocument(bob);
  const draft = "Hi Jo, could you tell me which browser you";
  await ana.getByLabel("Comment").fill(draft);

  // Ana sees that Bob has the issue open; once Ana types, Bob sees her replying.
  await expect(ana.getByTestId("presence")).toContainText(/is also viewing this issue/, { timeout: 20_000 });
  await expect(bob.getByTestId("presence")).toContainText(/is replying…/, { timeout: 10_000 });

  // 3. The customer answers by mail: the note appears on both pages, Ana's draft untouched.
  const reply = await postMail(
    request,
    mail([
      `From: Jo Customer <${customer}>`,
      `To: ${thankYou.replyTo!.email}`,
      "Subject: Re: Cannot export my data (#1)",
      `Message-ID: <export-reply-${run}@customer.example>`,
      `In-Reply-To: ${thankYou.headers["Message-ID"] ?? `<${thankYou.messageId}>`}`,
      "",
      "It is Firefox 128 on Windows.",
    ]),
  );
  expect(reply).toMatchObject({ status: "added_note", issueIid: 1 });
  await expect(ana.getByRole("listitem").filter({ hasText: "It is Firefox 128 on Windows." })).toBeVisible({ timeout: 15_000 });
  await expect(bob.getByRole("listitem").filter({ hasText: "It is Firefox 128 on Windows." })).toBeAttached({ timeout: 15_000 });
  await expect(ana.getByLabel("Comment")).toHaveValue(draft);
  expect(await stillSameDocument(ana)).toBe(true);
  expect(await stillSameDocument(bob)).toBe(true);

  // 4. Bob types: Ana sees "… is replying…"; Bob empties the box: back to viewing.
  await bob.getByLabel("Comment").fill("I'll take this one");
  await expect(ana.getByTestId("presence")).toContainText(`bob-${run} is replying…`, { timeout: 10_000 });
  await bob.getByLabel("Comment").fill("");
  await expect(ana.getByTestId("presence")).toContainText(`bob-${run} is also viewing this issue`, { timeout: 10_000 });

  // 5. Ana @mentions Bob while he reads the top of the issue: his To-Do count goes up and a "new reply" button
  // appears instead of the page jumping; it takes him to the note.
  await expect(todoLink(bob)).toHaveAccessibleName("To-Do list, 0 pending");
  await bob.evaluate(() => window.scrollTo(0, 0));
  await ana.getByLabel("Comment").fill(`${draft} use? @bob-${run} can you check the export logs?`);
  await ana.getByRole("button", { name: "Comment" }).click();
  await expect(ana.getByLabel("Comment")).toHaveValue("");
  await expect(todoLink(bob)).toHaveAccessibleName("To-Do list, 1 pending", { timeout: 20_000 });
  const marker = bob.getByTestId("new-replies");
  await expect(marker).toHaveText("↓ 1 new reply", { timeout: 15_000 });
  expect(await bob.evaluate(() => window.scrollY)).toBe(0);
  await marker.click();
  await expect(bob.getByRole("listitem").filter({ hasText: "can you check the export logs?" })).toBeInViewport();
  await expect(marker).toHaveCount(0);
  expect(await stillSameDocument(bob)).toBe(true);

  // 6. Bob leaves the issue: Ana's page no longer lists him.
  await bob.goto(projectUrl);
  await expect(ana.getByTestId("presence")).not.toContainText(`bob-${run}`, { timeout: 10_000 });
});

test("where the stream is refused, the page polls and still updates by itself", async ({ browser, request }) => {
  test.setTimeout(120_000);
  const run = stamp();
  const customer = `kim-${run}@customer.example`;
  const { ana, projectUrl, address } = await deskWithTeammate(browser, run);
  // As on a serverless platform (LIVE_UPDATES=poll): /api/live answers 204, and the page falls back to polling.
  await ana.route("**/api/live", (route) => route.fulfill({ status: 204 }));
  await ana.goto(`${projectUrl}/service-desk`);
  await expect(ana.getByTestId("live-status")).toHaveAttribute("data-live", "poll", { timeout: 20_000 });
  await markDocument(ana);
  await postMail(
    request,
    mail([`From: Kim <${customer}>`, `To: ${address}`, "Subject: Invoice address wrong", `Message-ID: <invoice-${run}@customer.example>`, "", "Please fix it."]),
  );
  await expect(ana.getByRole("link", { name: "Invoice address wrong" })).toBeVisible({ timeout: 20_000 });
  expect(await stillSameDocument(ana)).toBe(true);
});
