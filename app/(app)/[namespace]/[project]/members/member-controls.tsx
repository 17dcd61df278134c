"use client";
// Per-member role select and remove/leave button; errors (e.g. "last Owner") are shown beside them.
import { useRouter } from "next/navigation";
import { useAction } from "@/app/_components/use-action";
import { Button, inputClass } from "@/app/_components/ui";
import { ROLE_LABELS, type Role } from "@/lib/auth/roles";
import { changeRoleAction, removeMemberAction } from "../actions";

interface Props {
  projectPath: string;
  userId: string;
  email: string;
  role: Role;
  roleLabel: string;
  roles: Role[];
  canRemove: boolean;
  self: boolean;
}

export function MemberControls({ projectPath, userId, email, role, roleLabel, roles, canRemove, self }: Props) {
  const router = useRouter();
  const { pending, error, run } = useAction();

  return (
    <>
      <td className="px-4 py-3">
        {roles.length > 0 ? (
          <>
            <label htmlFor={`role-${userId}`} className="sr-only">
              Role of {email}
            </label>
            <select
              id={`role-${userId}`}
              value={role}
              disabled={pending}
              className={`${inputClass} w-auto py-1`}
              onChange={(e) => run(() => changeRoleAction({ projectPath, userId, role: e.target.value as Role }))}
            >
              {(roles.includes(role) ? roles : [role, ...roles]).map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </>
        ) : (
          <span className="text-slate-700">{roleLabel}</span>
        )}
        {error && (
          <p role="alert" className="mt-1 max-w-xs text-xs text-red-600">
            {error}
          </p>
        )}
      </td>
      <td className="px-4 py-3 text-right">
        {canRemove && (
          <Button
            type="button"
            variant="danger"
            pending={pending}
            onClick={() => {
              const question = self ? "Leave this project? You will lose access to it." : `Remove ${email} from this project?`;
              if (window.confirm(question))
                run(() => removeMemberAction({ projectPath, userId }), self ? () => router.push("/") : undefined);
            }}
          >
            {self ? "Leave" : "Remove"}
          </Button>
        )}
      </td>
    </>
  );
}
