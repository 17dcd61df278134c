// The foundation journey: sign in by magic link, create a project, add a member, file a confidential
// issue, comment on it, close it — in a real Chromium against a real dev server.
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

test("a new user signs in, creates a project, adds a member and works an issue", async ({ page }) => {
  const owner = `owner-${Date.now()}@example.com`;
  await signIn(page, owner);

  // First visit: the empty state leads to project creation.
  await expect(page.getByText("No projects yet")).toBeVisible();
  await page.getByRole("link", { name: "Create your first project" }).click();

  // A bad path is explained beside the field, and nothing is created.
  await page.getByLabel("Project name").fill("Customer Portal");
  await expect(page.getByLabel("Project path")).toHaveValue("customer-portal");
  await page.getByLabel("Project path").fill("Bad Path");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByText("Project path must be lower-case.")).toBeVisible();

  await page.getByLabel("Project path").fill("customer-portal");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/owner-\d+\/customer-portal\/issues$/);
  await expect(page.getByText("No open issues")).toBeVisible();
  const projectUrl = page.url().replace(/\/issues$/, "");

  // Members: add a teammate as Reporter.
  await page.getByRole("navigation", { name: "Project" }).first().getByRole("link", { name: "Members" }).click();
  await page.getByLabel("Email").fill("teammate@example.com");
  await page.getByLabel("Role", { exact: true }).selectOption("REPORTER");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("status")).toContainText("teammate@example.com was added as Reporter.");
  await expect(page.getByTestId("member-teammate@example.com")).toContainText("teammate");

  // The last Owner cannot be demoted: the error is shown, the role stays.
  await page.getByLabel(`Role of ${owner}`).selectOption("DEVELOPER");
  await expect(page.getByText("A project needs at least one Owner")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel(`Role of ${owner}`)).toHaveValue("OWNER");

  // A confidential issue.
  await page.goto(`${projectUrl}/issues/new`);
  await page.getByLabel("Title").fill("Printer on fire");
  await page.getByLabel("Description").fill("Customer reports smoke from the printer.");
  await page.getByLabel("Confidential").check();
  await page.getByRole("button", { name: "Create issue" }).click();
  await expect(page).toHaveURL(/\/issues\/1$/);
  await expect(page.getByRole("heading", { name: "Printer on fire" })).toBeVisible();
  await expect(page.getByText("Confidential", { exact: true })).toBeVisible();

  // Comment.
  await page.getByLabel("Comment").fill("Have you tried turning it off?");
  await page.getByRole("button", { name: "Comment" }).click();
  await expect(page.getByText("Have you tried turning it off?")).toBeVisible();
  await expect(page.getByLabel("Comment")).toHaveValue("");

  // Close.
  await page.getByRole("button", { name: "Close issue" }).click();
  await expect(page.getByRole("button", { name: "Reopen issue" })).toBeVisible();
  await expect(page.getByText("Closed", { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Activity" }).getByText(/closed\s+just now/)).toBeVisible();

  // It is listed under Closed, not Open.
  await page.goto(`${projectUrl}/issues`);
  await expect(page.getByText("No open issues")).toBeVisible();
  await page.getByRole("tab", { name: /Closed/ }).click();
  await expect(page.getByRole("link", { name: "Printer on fire" })).toBeVisible();
});
