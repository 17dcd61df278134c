"use client";
// External participants of a Service Desk issue (Reporter and up): their addresses with mail status, removing
// one (after a confirmation) and adding one, who is then emailed (new_participant).
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useId, useRef, useState, useTransition } from "react";
import { useForm } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Badge, Button, inputClass } from "@/app/_components/ui";
import { participantEmailSchema } from "@/lib/schemas";
import { addParticipantAction, removeParticipantAction } from "./sidebar-actions";

export interface SidebarParticipant {
  id: number;
  email: string;
  status: "subscribed" | "unsubscribed" | "bouncing";
}

interface Props {
  projectPath: string;
  iid: number;
  participants: SidebarParticipant[];
  max: number;
}

export function SidebarParticipants({ projectPath, iid, participants, max }: Props) {
  const headingId = useId();
  const [status, setStatus] = useState<string>();
  const full = participants.length >= max;

  return (
    <section aria-labelledby={headingId} className="py-4">
      <div className="flex items-baseline justify-between">
        <h2 id={headingId} className="text-sm font-semibold text-slate-900">
          Participants
        </h2>
        <span className="text-xs text-slate-500">
          {participants.length} of {max}
        </span>
      </div>
      <p className="mt-0.5 text-xs text-slate-500">People outside the team who get public comments by email.</p>
      {participants.length ? (
        <ul className="mt-2 space-y-1">
          {participants.map((p) => (
            <ParticipantRow key={p.id} projectPath={projectPath} iid={iid} participant={p} onRemoved={() => setStatus(`Removed ${p.email}.`)} />
          ))}
        </ul>
      ) : (
        <p className="mt-2 text-sm text-slate-500">Nobody is emailed about this issue. Add the customer&apos;s address below.</p>
      )}
      {status && (
        <p role="status" className="mt-2 text-xs text-green-700">
          {status}
        </p>
      )}
      <AddParticipantForm projectPath={projectPath} iid={iid} full={full} max={max} onAdded={(email) => setStatus(`Added ${email}; they were emailed a link to this request.`)} />
    </section>
  );
}

function ParticipantRow({ projectPath, iid, participant, onRemoved }: { projectPath: string; iid: number; participant: SidebarParticipant; onRemoved: () => void }) {
  const router = useRouter();
  const removeRef = useRef<HTMLButtonElement>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();
  const { email } = participant;

  const remove = () =>
    startTransition(async () => {
      const result = await removeParticipantAction({ projectPath, iid, email });
      if (!result.ok) return setError(result.error.message);
      onRemoved();
      router.refresh();
    });
  const cancel = () => {
    setConfirming(false);
    setError(undefined);
    // Focus goes back where it was once the confirmation is gone.
    requestAnimationFrame(() => removeRef.current?.focus());
  };

  return (
    <li className="rounded-md text-sm">
      <div className="flex items-start gap-2">
        <span className="min-w-0 flex-1 break-all text-slate-800">{email}</span>
        {participant.status === "unsubscribed" && <Badge tone="amber">Unsubscribed</Badge>}
        {participant.status === "bouncing" && <Badge tone="red">Bouncing</Badge>}
        {!confirming && (
          <button
            ref={removeRef}
            type="button"
            aria-label={`Remove ${email}`}
            title={`Remove ${email}`}
            onClick={() => setConfirming(true)}
            className="shrink-0 rounded px-1 text-slate-400 hover:bg-red-50 hover:text-red-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
          >
            <span aria-hidden>×</span>
          </button>
        )}
      </div>
      {confirming && (
        <div
          role="group"
          aria-label={`Confirm removing ${email}`}
          className="mt-1 rounded-md border border-red-200 bg-red-50 p-2 text-xs text-red-800"
          onKeyDown={(e) => e.key === "Escape" && cancel()}
        >
          <p>Remove {email}? They will get no more mail about this issue.</p>
          {error && (
            <p role="alert" className="mt-1 text-red-700">
              {error}
            </p>
          )}
          <div className="mt-2 flex gap-2">
            <Button type="button" variant="danger" autoFocus className="px-2 py-1 text-xs" pending={pending} onClick={remove} aria-label={`Yes, remove ${email}`}>
              Yes, remove
            </Button>
            <Button type="button" variant="secondary" className="px-2 py-1 text-xs" onClick={cancel} disabled={pending}>
              Cancel
            </Button>
          </div>
        </div>
      )}
    </li>
  );
}

function AddParticipantForm({ projectPath, iid, full, max, onAdded }: { projectPath: string; iid: number; full: boolean; max: number; onAdded: (email: string) => void }) {
  const router = useRouter();
  const inputId = useId();
  const form = useForm({
    resolver: zodResolver(participantEmailSchema),
    defaultValues: { projectPath, iid, email: "" },
  });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    const result = await addParticipantAction(values);
    if (applyResult(result, form.setError, ["email"])) {
      onAdded(result.data.email);
      form.reset({ projectPath, iid, email: "" });
      router.refresh();
    }
  });

  const message = errors.email?.message ?? errors.root?.server?.message;
  return (
    <form onSubmit={onSubmit} noValidate className="mt-3 space-y-1.5">
      <label htmlFor={inputId} className="block text-xs font-medium text-slate-700">
        Participant email
      </label>
      <div className="flex gap-2">
        <input
          id={inputId}
          type="email"
          autoComplete="off"
          placeholder="name@example.com"
          disabled={full}
          className={`${inputClass} py-1.5 disabled:bg-slate-50`}
          aria-invalid={!!message}
          aria-describedby={message ? `${inputId}-error` : full ? `${inputId}-hint` : undefined}
          {...form.register("email")}
        />
        <Button type="submit" variant="secondary" className="shrink-0 px-2 py-1 text-xs" pending={isSubmitting} disabled={full}>
          {isSubmitting ? "Adding…" : "Add participant"}
        </Button>
      </div>
      {message ? (
        <p id={`${inputId}-error`} role="alert" className="text-xs text-red-600">
          {message}
        </p>
      ) : full ? (
        <p id={`${inputId}-hint`} className="text-xs text-slate-500">
          This issue has the maximum of {max} participants. Remove one to add another.
        </p>
      ) : null}
    </form>
  );
}
