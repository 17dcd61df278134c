"use client";
// Assignees of the issue: the list, and for triagers a checkbox picker of the project's members plus
// "assign yourself".
import { useRouter } from "next/navigation";
import { useId, useRef, useState, useTransition } from "react";
import { PickerPanel, PickerToggle, matches } from "./sidebar-picker";
import { setIssueAssigneesAction } from "./sidebar-actions";

export interface SidebarUser {
  id: string;
  username: string;
  name: string | null;
}

interface Props {
  projectPath: string;
  iid: number;
  currentUserId: string;
  assignees: SidebarUser[];
  members: SidebarUser[];
  canEdit: boolean;
}

function Avatar({ user }: { user: SidebarUser }) {
  return (
    <span aria-hidden className="flex size-6 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-800 uppercase">
      {(user.name || user.username).slice(0, 1)}
    </span>
  );
}

export function SidebarAssignees({ projectPath, iid, currentUserId, assignees, members, canEdit }: Props) {
  const router = useRouter();
  const headingId = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();

  const save = (userIds: string[]) =>
    startTransition(async () => {
      const result = await setIssueAssigneesAction({ projectPath, iid, userIds });
      if (!result.ok) return setError(result.error.message);
      setError(undefined);
      setOpen(false);
      toggleRef.current?.focus();
      router.refresh();
    });

  const openPicker = () => {
    if (open) return close();
    setSelected(new Set(assignees.map((a) => a.id)));
    setSearch("");
    setError(undefined);
    setOpen(true);
  };
  const close = () => {
    setOpen(false);
    setError(undefined);
    toggleRef.current?.focus();
  };
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  // Someone assigned who is no longer assignable (left the project) stays listed, so they can be unassigned.
  const choices = [...members, ...assignees.filter((a) => !members.some((m) => m.id === a.id))];
  const visible = choices.filter((u) => matches(search, u.name, u.username));
  const canAssignSelf = canEdit && members.some((m) => m.id === currentUserId) && !assignees.some((a) => a.id === currentUserId);

  return (
    <section aria-labelledby={headingId} className="py-4">
      <div className="flex items-center justify-between">
        <h2 id={headingId} className="text-sm font-semibold text-slate-900">
          Assignees
        </h2>
        {canEdit && <PickerToggle what="assignees" open={open} onOpen={openPicker} buttonRef={toggleRef} />}
      </div>
      {assignees.length ? (
        <ul className="mt-2 space-y-1.5">
          {assignees.map((user) => (
            <li key={user.id} className="flex min-w-0 items-center gap-2 text-sm">
              <Avatar user={user} />
              <span className="truncate">
                <span className="font-medium text-slate-900">{user.name || user.username}</span>{" "}
                <span className="text-slate-500">@{user.username}</span>
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-1 text-sm text-slate-500">
          None
          {canAssignSelf && !open && (
            <>
              {" – "}
              <button
                type="button"
                className="text-indigo-700 hover:underline disabled:text-slate-400"
                disabled={pending}
                onClick={() => save([currentUserId])}
              >
                assign yourself
              </button>
            </>
          )}
        </p>
      )}
      {!open && error && (
        <p role="alert" className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
      <PickerPanel
        what="assignees"
        open={open}
        onCancel={close}
        onApply={() => save([...selected])}
        pending={pending}
        error={error}
        search={search}
        onSearch={setSearch}
        searchLabel="Search members"
      >
        {visible.length ? (
          <fieldset>
            <legend className="sr-only">Assignees</legend>
            <ul className="space-y-0.5">
              {visible.map((user) => (
                <li key={user.id}>
                  <label className="flex cursor-pointer items-center gap-2 rounded px-1.5 py-1 text-sm hover:bg-slate-50 has-focus-visible:bg-slate-50">
                    <input type="checkbox" className="size-4 rounded border-slate-300" checked={selected.has(user.id)} onChange={() => toggle(user.id)} />
                    <Avatar user={user} />
                    <span className="min-w-0 truncate">
                      {user.name || user.username} <span className="text-slate-500">@{user.username}</span>
                      {user.id === currentUserId && <span className="text-slate-500"> (you)</span>}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        ) : (
          <p className="px-1.5 py-1 text-sm text-slate-500">{choices.length ? "No member matches." : "This project has no members who can be assigned."}</p>
        )}
      </PickerPanel>
    </section>
  );
}
