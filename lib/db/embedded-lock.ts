// Guards the embedded PGlite directory: PGlite is one in-process database, and a second process opening the
// same directory (a CLI next to a running dev server) would corrupt it. The owner writes its pid beside it.
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export class EmbeddedDbInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database ${dir} is in use by another process (pid ${pid}, probably \`npm run dev\`). ` +
        `Stop it first, or use a Postgres database by setting DATABASE_URL.`,
    );
  }
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockFileFor(dir: string): string {
  return `${path.resolve(dir)}.lock`;
}

/** Claims `dir` for this process, or throws EmbeddedDbInUseError if a live process holds it. */
export function claimEmbeddedDir(dir: string): void {
  const file = lockFileFor(dir);
  if (existsSync(file)) {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    if (pid && pid !== process.pid && processAlive(pid)) throw new EmbeddedDbInUseError(dir, pid);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, String(process.pid));
  process.once("exit", () => {
    try {
      if (readFileSync(file, "utf8") === String(process.pid)) unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  });
}
