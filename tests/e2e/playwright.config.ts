// Playwright E2E: Debian's Chromium against a dev server on its own port, embedded database and build folder,
// so it never touches a developer's running `npm run dev`.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const chromium = process.env.PLAYWRIGHT_CHROMIUM_PATH || "/usr/bin/chromium";
if (!existsSync(chromium)) {
  throw new Error(
    `Chromium not found at ${chromium}. Install it with \`apt-get install -y chromium\` (Debian/Ubuntu), ` +
      `or set PLAYWRIGHT_CHROMIUM_PATH to a Chromium/Chrome binary.`,
  );
}

const port = Number(process.env.E2E_PORT || 3100);
const baseURL = `http://localhost:${port}`;
// Created once here and handed to the server (the config is evaluated again in workers: keep the first one).
process.env.E2E_DATA_DIR ||= mkdtempSync(path.join(tmpdir(), "service-desk-e2e-"));
// The inbound webhook is protected as in production; the CLI's mail:send (spawned by tests) reads it too.
process.env.SENDGRID_INBOUND_SECRET ||= "e2e-inbound-secret";
// Outgoing mail goes through the real @sendgrid/mail client to a local SendGrid-compatible server, which
// warm-up.ts starts on this fixed port (the dev server is configured with it before the server exists).
process.env.E2E_SENDGRID_URL ||= `http://127.0.0.1:${Number(process.env.E2E_SENDGRID_PORT || port + 1)}`;
process.env.E2E_SENDGRID_API_KEY ||= "SG.e2e-test-key";

export default defineConfig({
  testDir: ".",
  globalSetup: "./warm-up.ts",
  globalTeardown: "./teardown.ts",
  timeout: 300_000,
  expect: { timeout: 45_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  outputDir: path.resolve(__dirname, "../../.tmp/e2e-results"),
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `npx next dev --port ${port}`,
    url: `${baseURL}/sign-in`,
    timeout: 180_000,
    cwd: path.resolve(__dirname, "../.."),
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_DIST_DIR: ".tmp/next-e2e",
      APP_URL: baseURL,
      PGLITE_DATA_DIR: path.join(process.env.E2E_DATA_DIR, "pglite"),
      DATABASE_URL: "",
      SENDGRID_API_KEY: process.env.E2E_SENDGRID_API_KEY,
      SENDGRID_API_BASE_URL: process.env.E2E_SENDGRID_URL,
      SENDGRID_INBOUND_SECRET: process.env.SENDGRID_INBOUND_SECRET,
    },
  },
});
