// Runs a list query for a page: 404 for what the actor may not see, and a link that is not valid (edited by
// hand, or from an older version) becomes a message on the page instead of an error page.
import { orNotFound } from "@/lib/auth/page-access";
import type { IssueListPage } from "@/lib/data/issue-list";
import { AppError } from "@/lib/errors";

export type LoadedList = { page: IssueListPage; invalid?: undefined } | { page?: undefined; invalid: string };

export function loadList(promise: Promise<IssueListPage>): Promise<LoadedList> {
  return orNotFound(
    promise.then(
      (page): LoadedList => ({ page }),
      (error: unknown) => {
        if (error instanceof AppError && error.code === "bad_request") return { invalid: error.message };
        throw error;
      },
    ),
  );
}
