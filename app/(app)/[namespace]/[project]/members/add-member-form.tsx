"use client";
// Add a member by email with a role; unknown addresses get an account they can sign in to by magic link.
import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { Button, FormError, inputClass } from "@/app/_components/ui";
import { ROLE_LABELS, type Role } from "@/lib/auth/roles";
import { addMemberSchema } from "@/lib/schemas";
import { addMemberAction } from "../actions";

export function AddMemberForm({ projectPath, roles }: { projectPath: string; roles: Role[] }) {
  const router = useRouter();
  const [added, setAdded] = useState<string>();
  const form = useForm({
    resolver: zodResolver(addMemberSchema),
    defaultValues: { projectPath, email: "", role: "DEVELOPER" as Role },
  });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    setAdded(undefined);
    const result = await addMemberAction(values);
    if (applyResult(result, form.setError, ["email", "role"])) {
      setAdded(`${result.data.email} was added as ${ROLE_LABELS[result.data.role]}.`);
      form.reset({ projectPath, email: "", role: values.role });
      router.refresh();
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-2">
      <FormError message={errors.root?.server?.message} />
      <div className="flex flex-wrap items-start gap-2">
        <div className="min-w-56 flex-1">
          <label htmlFor="member-email" className="sr-only">
            Email
          </label>
          <input
            id="member-email"
            type="email"
            placeholder="name@example.com"
            className={inputClass}
            aria-invalid={!!errors.email}
            {...form.register("email")}
          />
          {errors.email && (
            <p role="alert" className="mt-1 text-sm text-red-600">
              {errors.email.message}
            </p>
          )}
        </div>
        <label htmlFor="member-role" className="sr-only">
          Role
        </label>
        <select id="member-role" className={`${inputClass} w-auto`} {...form.register("role")}>
          {roles.map((role) => (
            <option key={role} value={role}>
              {ROLE_LABELS[role]}
            </option>
          ))}
        </select>
        <Button type="submit" pending={isSubmitting}>
          {isSubmitting ? "Adding…" : "Add member"}
        </Button>
      </div>
      {added && (
        <p role="status" className="text-sm text-green-700">
          {added}
        </p>
      )}
    </form>
  );
}
