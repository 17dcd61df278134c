// Team notifications end to end: an @mention becomes a To-Do and a team mail, commenting clears the To-Do, the default level and the issue switch are saved, and the mail's List-Unsubscribe link unsubscribes.
import { expect, test, type Page } from "@playwright/test";
import { signIn, waitForMail } from "./helpers";

const stamp = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** The top bar's To-Do link, whose accessible name carries the pending count. */
const todoLink = (page: Page) => page.getByRole("banner").getByRole("link", { name: /^To-Do list, \d+ pending$/ });

/** Fan-out runs after the response and the top bar has no live updates: reload until the count is `count`. */
async function expectPendingTodos(page: Page, count: number) {
  await expect(async () => {
    await page.reload();
    await expect(todoLink(page)).toHaveAccessibleName(`To-Do list, ${count} pending`, { timeout: 2_000 });
  }).toPass({ timeout: 45_000, intervals: [500, 1_000, 2_000] });
}

test("an @mention reaches the teammate as a To-Do and a team mail; commenting, levels, the issue switch and List-Unsubscribe work", async ({
  browser,
}) => {
  const run = stamp();
  const anaEmail = `ana-${run}@example.com`;
  const bobEmail = `bob-${run}@example.com`;
  const anaContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const ana = await anaContext.newPage();
  const bob = await bobContext.newPage();

  await signIn(ana, anaEmail);
  await signIn(bob, bobEmail);
  await expect(todoLink(bob)).toHaveAccessibleName("To-Do list, 0 pending");

  // 1. Ana's project, Bob as Reporter, an issue.
  await ana.goto("/projects/new");
  await ana.getByLabel("Project name").fill("Call Center");
  await ana.getByRole("button", { name: "Create project" }).click();
  await expect(ana).toHaveURL(/\/issues$/);
  const projectUrl = ana.url().replace(/\/issues$/, "");
  const projectPath = new URL(projectUrl).pathname.slice(1);

  await ana.getByRole("navigation", { name: "Project" }).first().getByRole("link", { name: "Members" }).click();
  await ana.getByLabel("Email").fill(bobEmail);
  await ana.getByLabel("Role", { exact: true }).selectOption("REPORTER");
  await ana.getByRole("button", { name: "Add member" }).click();
  // The project sidebar's level select has its own (empty) status region: pick the form's.
  await expect(ana.getByRole("status").filter({ hasText: "was added as" })).toHaveText(`${bobEmail} was added as Reporter.`);
  const bobRow = ana.getByTestId(`member-${bobEmail}`);
  await expect(bobRow).toContainText(`@bob-${run}`);
  const username = (await bobRow.textContent())!.match(/@([A-Za-z0-9_][A-Za-z0-9_.-]*?) ·/)?.[1];
  expect(username, "the members page shows Bob's username").toBe(`bob-${run}`);

  await ana.goto(`${projectUrl}/issues/new`);
  await ana.getByLabel("Title").fill("Customer wants a callback");
  await ana.getByLabel("Description").fill("The customer asked to be called back about the invoice.");
  await ana.getByRole("button", { name: "Create issue" }).click();
  await expect(ana).toHaveURL(/\/issues\/1$/);
  const reference = `${projectPath}#1`;

  // 2. Ana addresses Bob.
  const comment = `@${username} can you call the customer back?`;
  await ana.getByLabel("Comment").fill(comment);
  await ana.getByRole("button", { name: "Comment" }).click();
  await expect(ana.getByLabel("Comment")).toHaveValue("");
  await expect(ana.getByRole("listitem").filter({ hasText: "can you call the customer back?" })).toBeVisible();

  // 3. Bob: one pending To-Do, listed as "addressed you" with the issue linked, and a team mail.
  await expectPendingTodos(bob, 1);
  await todoLink(bob).click();
  await expect(bob).toHaveURL(/\/todos$/);
  await expect(bob.getByRole("heading", { name: "To-Do list" })).toBeVisible();
  const item = bob.getByRole("listitem").filter({ hasText: "addressed you" });
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(`${anaEmail.split("@")[0]} addressed you on ${reference} Customer wants a callback`);
  const issueLink = item.getByRole("link", { name: `${reference} Customer wants a callback` });
  await expect(issueLink).toHaveAttribute("href", new RegExp(`^/${projectPath}/issues/1#note_\\d+$`));
  await expect(item.getByRole("button", { name: "Mark as done" })).toBeVisible();

  const mail = await waitForMail((m) => m.to.includes(bobEmail) && (m.text ?? "").includes("can you call the customer back?"));
  expect(mail.to).toEqual([bobEmail]);
  expect(mail.subject).toContain(reference);
  expect(mail.subject).toBe(`Re: Customer wants a callback (${reference})`);
  expect(mail.text).toContain(comment);
  expect(mail.text).toContain("You get this because you were mentioned.");
  expect(mail.headers["X-Service-Desk-Notification"]).toMatch(/^team(;|$)/);
  expect(mail.headers["X-Service-Desk-Notification"]).toContain("reason=mentioned");
  const unsubscribeUrl = mail.headers["List-Unsubscribe"]?.match(/^<(https?:\/\/[^>]+)>$/)?.[1];
  expect(unsubscribeUrl, `List-Unsubscribe ${mail.headers["List-Unsubscribe"]}`).toBeTruthy();
  expect(new URL(unsubscribeUrl!).pathname).toMatch(/^\/notifications\/unsubscribe\/[^/]+$/);
  expect(mail.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");

  // 4. Bob opens the issue from the To-Do and answers: the To-Do is done.
  await issueLink.click();
  await expect(bob).toHaveURL(new RegExp(`/${projectPath}/issues/1#note_\\d+$`));
  await expect(bob.getByRole("heading", { name: "Customer wants a callback" })).toBeVisible();
  await bob.getByLabel("Comment").fill("On it.");
  await bob.getByRole("button", { name: "Comment" }).click();
  await expect(bob.getByLabel("Comment")).toHaveValue("");
  await expect(bob.getByRole("listitem").filter({ hasText: "On it." })).toBeVisible();
  await bob.reload();
  await expect(todoLink(bob)).toHaveAccessibleName("To-Do list, 0 pending");
  await bob.goto("/todos");
  await expect(bob.getByText("Nothing to do")).toBeVisible();
  await bob.getByRole("navigation", { name: "To-Do state" }).getByRole("link", { name: /Done/ }).click();
  await expect(bob.getByRole("listitem").filter({ hasText: "addressed you" })).toHaveCount(1);

  // 5. Bob's default level: Watch, chosen with the keyboard, saved, kept after a reload.
  await bob.getByRole("banner").getByRole("link", { name: "Notifications" }).click();
  await expect(bob).toHaveURL(/\/profile\/notifications$/);
  const levels = bob.getByRole("group", { name: "Default notification level" });
  const participating = levels.getByRole("radio", { name: /^Participating/ });
  const watch = levels.getByRole("radio", { name: /^Watch/ });
  await expect(participating).toBeChecked();
  await participating.focus();
  await bob.keyboard.press("ArrowUp");
  await expect(watch).toBeChecked();
  await expect(watch).toBeFocused();
  await expect(participating).not.toBeChecked();
  await bob.getByRole("button", { name: "Save" }).click();
  await expect(bob.getByRole("status")).toHaveText(/Saved/);
  await bob.reload();
  await expect(levels.getByRole("radio", { name: /^Watch/ })).toBeChecked();
  await expect(levels.getByRole("radio", { name: /^Participating/ })).not.toBeChecked();

  // The issue's switch: Bob never chose, but he commented on the issue, so he hears of it and it says why; off,
  // on (now his own choice) and kept after a reload.
  await bob.goto(`${projectUrl}/issues/1`);
  const details = bob.getByRole("complementary", { name: "Issue details" });
  const toggle = details.getByRole("button", { name: "Subscribe to this issue" });
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await expect(details.getByText("Subscribed", { exact: true })).toBeVisible();
  await expect(details.getByText("You get mail about replies and comments: you took part in this issue.")).toBeVisible();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  await expect(details.getByText("Not subscribed", { exact: true })).toBeVisible();
  await expect(details.getByText("No mail about this issue unless you are @mentioned or assigned.")).toBeVisible();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await expect(details.getByText("You get mail about replies and comments: you subscribed.")).toBeVisible();
  await bob.reload();
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await expect(details.getByText("Subscribed", { exact: true })).toBeVisible();

  // 6. The mail's List-Unsubscribe link: a GET only asks, the button unsubscribes.
  await bob.goto(unsubscribeUrl!);
  await expect(bob.getByRole("heading", { name: "Stop mail about this issue?" })).toBeVisible();
  await expect(bob.getByText(reference, { exact: true })).toBeVisible();
  await bob.goto(`${projectUrl}/issues/1`);
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await bob.goto(unsubscribeUrl!);
  await bob.getByRole("button", { name: `Stop mail about ${reference}` }).click();
  await expect(bob.getByRole("heading", { name: "Unsubscribed" })).toBeVisible();
  await expect(bob.getByText(`You will no longer get mail about ${reference} (Customer wants a callback).`)).toBeVisible();

  await bob.goto(`${projectUrl}/issues/1`);
  await expect(details.getByText("Not subscribed", { exact: true })).toBeVisible();
  await expect(toggle).toHaveAttribute("aria-pressed", "false");

  await anaContext.close();
  await bobContext.close();
});
