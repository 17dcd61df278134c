// Where GitLab's mail corpus lives (../shared, on the team's machines and CI only) and the loud notice
// printed when it is missing, so a user's clone skips those tests visibly.
import { existsSync } from "node:fs";
import path from "node:path";

export const CORPUS_DIR = path.resolve(__dirname, "../../../shared/corpus/gitlab-emails");
export const corpusPresent = existsSync(CORPUS_DIR);

export function warnCorpusMissing(suite: string): void {
  if (corpusPresent) return;
  console.warn(
    [
      "",
      "#".repeat(78),
      `#  GitLab mail corpus tests SKIPPED (${suite}): ${CORPUS_DIR} does not exist.`,
      "#  It exists only next to the project on the team's machines and in CI; nothing was checked here.",
      "#".repeat(78),
      "",
    ].join("\n"),
  );
}
