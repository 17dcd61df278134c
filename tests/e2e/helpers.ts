// E2E helpers: sign in through the real magic link, read from the dev mailbox like a developer would.
import { expect, type Page } from "@playwright/test";

export async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByText("Check your email")).toBeVisible();

  await page.goto("/dev/mailbox");
  const mail = page.getByTestId("dev-mail").filter({ has: page.getByTestId("dev-mail-to").getByText(email, { exact: true }) }).first();
  await expect(mail).toBeVisible();
  const text = await mail.getByTestId("dev-mail-text").textContent();
  const link = text?.match(/https?:\/\/\S+\/api\/auth\/callback\/email\?\S+/)?.[0];
  expect(link, "the sign-in mail contains a magic link").toBeTruthy();
  await page.goto(link!);
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
}
