"use client";
// The sign-in form: asks next-auth to email a magic link, then says where to find it.
import { zodResolver } from "@hookform/resolvers/zod";
import { signIn } from "next-auth/react";
import Link from "next/link";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Button, Field, FormError, inputClass } from "@/app/_components/ui";
import { signInSchema } from "@/lib/schemas";

interface Props {
  callbackUrl: string;
  error?: string;
  oauth: { id: string; name: string }[];
  devMailbox: boolean;
}

export function SignInForm({ callbackUrl, error, oauth, devMailbox }: Props) {
  const [sentTo, setSentTo] = useState<string>();
  const form = useForm({ resolver: zodResolver(signInSchema), defaultValues: { email: "" } });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async ({ email }) => {
    const result = await signIn("email", { email, callbackUrl, redirect: false });
    if (result?.error) form.setError("root.server", { message: "We could not send the sign-in email. Try again in a moment." });
    else setSentTo(email);
  });

  if (sentTo)
    return (
      <div className="space-y-3 text-sm" role="status">
        <p className="font-medium text-slate-900">Check your email</p>
        <p className="text-slate-600">
          If <strong>{sentTo}</strong> may sign in here, a sign-in link is on its way. It works once and expires in 30 minutes.
        </p>
        <p className="text-slate-600">Nothing after a few minutes? Look in your spam folder; a few links an hour are sent to one address.</p>
        {devMailbox && (
          <p className="rounded-md bg-amber-50 px-3 py-2 text-amber-800">
            Development: no mail is really sent. Open the <Link className="font-medium underline" href="/dev/mailbox">dev mailbox</Link> to find the link.
          </p>
        )}
        <button type="button" className="text-indigo-600 hover:underline" onClick={() => setSentTo(undefined)}>
          Use another address
        </button>
      </div>
    );

  return (
    <div className="space-y-4">
      <FormError message={error ?? errors.root?.server?.message} />
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <Field label="Email" htmlFor="email" error={errors.email?.message}>
          <input
            id="email"
            type="email"
            autoComplete="email"
            autoFocus
            placeholder="you@example.com"
            aria-invalid={!!errors.email}
            aria-describedby={errors.email ? "email-error" : undefined}
            className={inputClass}
            {...form.register("email")}
          />
        </Field>
        <Button type="submit" pending={isSubmitting} className="w-full">
          {isSubmitting ? "Sending link…" : "Email me a sign-in link"}
        </Button>
      </form>
      {oauth.length > 0 && (
        <div className="space-y-2 border-t border-slate-200 pt-4">
          {oauth.map((p) => (
            <Button key={p.id} type="button" variant="secondary" className="w-full" onClick={() => void signIn(p.id, { callbackUrl })}>
              Continue with {p.name}
            </Button>
          ))}
        </div>
      )}
    </div>
  );
}
