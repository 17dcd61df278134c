// Runs the admin CLI (`scripts/cli.ts`) as an operator does: a child process on the given database (a Postgres
// URL, else the embedded one in `pgliteDir`), in development mode.
import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(__dirname, "../..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(database: { url?: string; pgliteDir: string }, ...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development", PGLITE_DATA_DIR: database.pgliteDir, DATABASE_URL: database.url ?? "" };
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["scripts/cli.ts", ...args], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
