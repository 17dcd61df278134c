// A long thread (issue "performance"): the issue page shows the latest 50 notes and a plain link to all of
// them; a link to an older note (#note_…) loads the whole thread at that note.
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

test("a long thread shows its latest notes, the rest on request, and an older note when a link targets it", async ({ page, request }) => {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await signIn(page, `thread-${run}@example.com`);
  await page.goto("/projects/new");
  await page.getByLabel("Project name").fill(`Thread ${run}`);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/issues$/);
  const projectUrl = page.url().replace(/\/issues$/, "");
  const projectPath = new URL(projectUrl).pathname.slice(1);

  await page.goto(`${projectUrl}/issues/new`);
  await page.getByLabel("Title").fill("A long conversation");
  await page.getByRole("button", { name: "Create issue" }).click();
  await expect(page).toHaveURL(/\/issues\/1$/);

  // 52 comments, through the API (quicker than the composer).
  await page.goto("/profile/tokens");
  await page.getByLabel("Token name").fill("thread");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByLabel("New token").textContent())!.trim();
  const ids: number[] = [];
  for (let i = 1; i <= 52; i++) {
    const note = await request.post(`/api/v1/projects/${encodeURIComponent(projectPath)}/issues/1/notes`, {
      headers: { "PRIVATE-TOKEN": token },
      data: { body: `Comment ${i} of the thread` },
    });
    expect(note.status()).toBe(201);
    ids.push((await note.json()).id);
  }
  const comment = (i: number) => page.getByText(`Comment ${i} of the thread`, { exact: true });

  await page.goto(`${projectUrl}/issues/1`);
  await expect(comment(52)).toBeVisible();
  await expect(comment(3)).toBeVisible();
  await expect(comment(2)).toHaveCount(0);
  const showEarlier = page.getByRole("link", { name: "Show 2 earlier comments" });
  await expect(showEarlier).toBeVisible();

  // The link is a plain link: focus it and press Enter.
  await showEarlier.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\?notes=all#activity-heading$/);
  await expect(comment(1)).toBeVisible();
  await expect(comment(52)).toBeAttached();
  await expect(page.getByRole("link", { name: "Show only the latest 50" })).toBeVisible();

  // A permalink to a note outside the window opens the whole thread there.
  await page.goto("/");
  await page.goto(`${projectUrl}/issues/1#note_${ids[0]}`);
  await expect(page).toHaveURL(new RegExp(`\\?notes=all#note_${ids[0]}$`));
  await expect(comment(1)).toBeInViewport();
});
