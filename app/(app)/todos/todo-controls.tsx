"use client";
// The To-Do list's buttons: "Mark as done" on one item (named after it for screen readers) and "Mark all as done".
import { Button } from "@/app/_components/ui";
import { useAction } from "@/app/_components/use-action";
import { markAllTodosDoneAction, markTodoDoneAction } from "./actions";

function ErrorText({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <span role="alert" className="text-sm text-red-600">
      {message}
    </span>
  );
}

export function MarkDoneButton({ id, describedBy }: { id: number; describedBy: string }) {
  const { pending, error, run } = useAction();
  return (
    <span className="flex items-center gap-2">
      <ErrorText message={error} />
      <Button type="button" variant="secondary" pending={pending} aria-describedby={describedBy} onClick={() => run(() => markTodoDoneAction({ id }))}>
        {pending ? "Marking…" : "Mark as done"}
      </Button>
    </span>
  );
}

export function MarkAllDoneButton({ count }: { count: number }) {
  const { pending, error, run } = useAction();
  return (
    <span className="flex items-center gap-2">
      <ErrorText message={error} />
      <Button type="button" variant="secondary" pending={pending} disabled={count === 0} onClick={() => run(() => markAllTodosDoneAction({}))}>
        {pending ? "Marking…" : "Mark all as done"}
      </Button>
    </span>
  );
}
